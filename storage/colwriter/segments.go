package colwriter

import "sync"

// segments is a byte buffer in fixed-size pieces: a column chunk grows to
// the size of its row group (tens of MB for a busy block) without the
// copies and the doubled peak of one growing slice; pieces are recycled.
type segments struct {
	segs [][]byte
	n    int
}

const segmentSize = 256 << 10

var segmentPool = sync.Pool{New: func() any { b := make([]byte, 0, segmentSize); return &b }}

func (s *segments) len() int { return s.n }

func (s *segments) append(parts ...[]byte) {
	for _, p := range parts {
		s.n += len(p)
		for len(p) > 0 {
			if len(s.segs) == 0 || len(s.segs[len(s.segs)-1]) == cap(s.segs[len(s.segs)-1]) {
				s.segs = append(s.segs, (*segmentPool.Get().(*[]byte))[:0])
			}
			last := &s.segs[len(s.segs)-1]
			k := min(len(p), cap(*last)-len(*last))
			*last = append(*last, p[:k]...)
			p = p[k:]
		}
	}
}

// writeTo writes the bytes in order.
func (s *segments) writeTo(write func([]byte) (int, error)) error {
	for _, b := range s.segs {
		if _, err := write(b); err != nil {
			return err
		}
	}
	return nil
}

func (s *segments) reset() {
	for i, b := range s.segs {
		b = b[:0]
		segmentPool.Put(&b)
		s.segs[i] = nil
	}
	s.segs, s.n = s.segs[:0], 0
}
