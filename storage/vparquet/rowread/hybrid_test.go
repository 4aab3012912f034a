package rowread

import (
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go/encoding/rle"
)

// levelsLike returns n values below 1<<width: runs (RLE) mixed with noise
// (bit-packed), as real levels look.
func levelsLike(rnd *rand.Rand, n int, width uint) []uint8 {
	out := make([]uint8, 0, n)
	for len(out) < n {
		v := uint8(rnd.IntN(1 << width))
		if rnd.IntN(3) == 0 {
			for k := rnd.IntN(40); k > 0 && len(out) < n; k-- {
				out = append(out, v)
			}
			continue
		}
		out = append(out, v)
	}
	return out
}

func encodeLevels(t *testing.T, vals []uint8, width uint) []byte {
	t.Helper()
	enc := rle.Encoding{BitWidth: int(width)}
	b, err := enc.EncodeLevels(nil, vals)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHybridMatchesDecodedLevels: pass and next agree with the decoded
// values at every width and position, and levelRuns decodes the same
// levels run by run.
func TestHybridMatchesDecodedLevels(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for width := uint(1); width <= 8; width++ {
		vals := levelsLike(rnd, 3000, width)
		src := encodeLevels(t, vals, width)
		for trial := 0; trial < 200; trial++ {
			from := rnd.IntN(len(vals))
			h := newHybrid(src, width)
			if err := h.pass(from); err != nil {
				t.Fatal(err)
			}
			for i := from; i < min(from+10, len(vals)); i++ {
				if v, err := h.next(); err != nil || v != uint32(vals[i]) {
					t.Fatalf("width %d value %d after pass %d = %d (%v), want %d", width, i, from, v, err, vals[i])
				}
			}
		}
		var lr levelRuns
		lr.reset(src, 1<<width-1, nil, len(vals))
		for {
			more, err := lr.more()
			if err != nil {
				t.Fatal(err)
			}
			if !more {
				break
			}
		}
		if len(lr.buf) < len(vals) || string(lr.buf[:len(vals)]) != string(vals) {
			t.Fatalf("width %d: levelRuns decoded %d levels, differing from the %d encoded", width, len(lr.buf), len(vals))
		}
	}
}

// TestHybridDictionaryIndexes walks wide dictionary indexes.
func TestHybridDictionaryIndexes(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	for _, width := range []uint{9, 13, 20, 31} {
		vals := make([]int32, 2000)
		for i := range vals {
			if i > 0 && rnd.IntN(4) == 0 {
				vals[i] = vals[i-1]
			} else {
				vals[i] = int32(rnd.Uint32() & (1<<width - 1))
			}
		}
		var enc rle.DictionaryEncoding
		src, err := enc.EncodeInt32(nil, vals)
		if err != nil {
			t.Fatal(err)
		}
		for trial := 0; trial < 100; trial++ {
			from := rnd.IntN(len(vals))
			h := newHybrid(src[1:], uint(src[0]))
			if err := h.pass(from); err != nil {
				t.Fatal(err)
			}
			for i := from; i < min(from+5, len(vals)); i++ {
				if v, err := h.next(); err != nil || v != uint32(vals[i]) {
					t.Fatalf("width %d value %d = %d (%v), want %d", width, i, v, err, vals[i])
				}
			}
		}
	}
}

func TestHybridTruncated(t *testing.T) {
	vals := levelsLike(rand.New(rand.NewPCG(7, 8)), 500, 3)
	src := encodeLevels(t, vals, 3)
	h := newHybrid(src[:len(src)/2], 3)
	if err := h.pass(len(vals)); err == nil {
		t.Fatal("skip past truncated data: no error")
	}
}
