package wal

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

func TestAppendReplayRotateTruncate(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(Config{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, err := w.Append(fmt.Sprintf("t%d", g), []byte(fmt.Sprintf("rec-%d-%d", g, i))); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	first, err := w.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Append("t9", []byte("after-rotate")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	// A new process replays both segments.
	w2, err := Open(Config{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	seen := map[string]int{}
	perSeg := map[int]int{}
	st, err := w2.Replay(func(seg int, tenant string, data []byte) error {
		seen[tenant+"/"+string(data)]++
		perSeg[seg]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 401 || len(seen) != 401 || perSeg[first] != 400 {
		t.Fatalf("replayed %+v, %d distinct, per segment %v", st, len(seen), perSeg)
	}
	// Truncating the first segment leaves only the later record.
	if err := w2.Truncate(first); err != nil {
		t.Fatal(err)
	}
	n := 0
	if _, err := w2.Replay(func(int, string, []byte) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("after truncate: %d records, %v", n, err)
	}
}

func TestReplayStopsAtTornTail(t *testing.T) {
	tests := []struct {
		name string
		cut  func(b []byte) []byte
		want int
	}{
		{"torn header", func(b []byte) []byte { return b[:len(b)-len("third")-9+3] }, 2},
		{"torn payload", func(b []byte) []byte { return b[:len(b)-2] }, 2},
		{"flipped byte", func(b []byte) []byte { b[len(b)-1] ^= 0xff; return b }, 2},
		{"intact", func(b []byte) []byte { return b }, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w, _ := Open(Config{Path: dir})
			for _, s := range []string{"first", "second", "third"} {
				if _, err := w.Append("t", []byte(s)); err != nil {
					t.Fatal(err)
				}
			}
			w.Close()
			p := w.segPath(1)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, tc.cut(b), 0o644)
			w2, _ := Open(Config{Path: dir})
			defer w2.Close()
			n := 0
			st, err := w2.Replay(func(int, string, []byte) error { n++; return nil })
			if err != nil || n != tc.want {
				t.Fatalf("%d records (want %d), err %v, stats %+v", n, tc.want, err, st)
			}
			if tc.want < 3 && len(st.Corrupt) != 1 {
				t.Fatalf("corruption not reported: %+v", st)
			}
		})
	}
}

func FuzzReplay(f *testing.F) {
	f.Add([]byte{5, 0, 0, 0, 1, 2, 3, 4, 1, 't', 'x', 'y', 'z'})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		p := t.TempDir() + "/seg"
		os.WriteFile(p, data, 0o644)
		_, _ = replaySegment(p, func(string, []byte) error { return nil })
	})
}

func BenchmarkAppend(b *testing.B) {
	w, err := Open(Config{Path: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	rec := make([]byte, 64<<10) // ~ one 500-span batch
	b.SetBytes(int64(len(rec)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := w.Append("t", rec); err != nil {
				b.Fatal(err)
			}
		}
	})
}
