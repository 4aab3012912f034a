package bloom

import "testing"

// FuzzTest feeds arbitrary shard bytes to the decoder: it must answer or
// return an error, never panic or read out of bounds.
func FuzzTest(f *testing.F) {
	s := New(0.01, 64, 10)
	s.Add(make([]byte, 16))
	shards, _ := s.Marshal()
	f.Add(shards[0], make([]byte, 16))
	f.Add([]byte{}, []byte{1})
	f.Add(make([]byte, 24), make([]byte, 16))
	f.Fuzz(func(t *testing.T, shard, id []byte) {
		_, _ = Test(shard, id)
	})
}
