package rowread

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go/encoding/delta"
)

// TestDeltaStreamMatchesEncoder: skipping to a value (with the sum of the
// ones passed), reading on, and finding the stream's end agree with the
// encoder's input, for value shapes that give every bit width.
func TestDeltaStreamMatchesEncoder(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 10))
	gens := map[string]func(i int) int64{
		"ascending": func(i int) int64 { return int64(i)*1000 + rnd.Int64N(50) },
		"random":    func(int) int64 { return rnd.Int64() },
		"small":     func(int) int64 { return rnd.Int64N(8) },
		"constant":  func(int) int64 { return 42 },
		"extremes": func(i int) int64 {
			if i%2 == 0 {
				return math.MinInt64
			}
			return math.MaxInt64
		},
	}
	var enc delta.BinaryPackedEncoding
	var d deltaStream
	for name, gen := range gens {
		for _, n := range []int{0, 1, 2, 33, 128, 129, 1000} {
			vals := make([]int64, n)
			for i := range vals {
				vals[i] = gen(i)
			}
			src, err := enc.EncodeInt64(nil, vals)
			if err != nil {
				t.Fatal(err)
			}
			withTail := append(append([]byte(nil), src...), 7, 7, 7)
			for trial := 0; trial < 30; trial++ {
				from := 0
				if n > 0 {
					from = rnd.IntN(n + 1)
				}
				to := from + rnd.IntN(n-from+1)
				if err := d.init(withTail); err != nil {
					t.Fatal(err)
				}
				sum, err := d.skip(from)
				if err != nil {
					t.Fatalf("%s n=%d skip %d: %v", name, n, from, err)
				}
				var wantSum int64
				for _, v := range vals[:from] {
					wantSum += v
				}
				if sum != wantSum {
					t.Fatalf("%s n=%d skip %d: sum %d, want %d", name, n, from, sum, wantSum)
				}
				for i := from; i < to; i++ {
					v, err := d.value()
					if err != nil || v != vals[i] {
						t.Fatalf("%s n=%d value %d = %d (%v), want %d", name, n, i, v, err, vals[i])
					}
				}
				if end, err := d.end(); err != nil || end != len(src) {
					t.Fatalf("%s n=%d after %d: end %d (%v), want %d", name, n, to, end, err, len(src))
				}
			}
		}
	}
}

func TestDeltaStreamInt32Wraps(t *testing.T) {
	vals := []int32{math.MaxInt32, math.MinInt32, 0, -5, math.MaxInt32, 3}
	var enc delta.BinaryPackedEncoding
	src, err := enc.EncodeInt32(nil, vals)
	if err != nil {
		t.Fatal(err)
	}
	var d deltaStream
	if err := d.init(src); err != nil {
		t.Fatal(err)
	}
	for i, want := range vals {
		v, err := d.value()
		if err != nil || int32(v) != want {
			t.Fatalf("value %d = %d (%v), want %d", i, int32(v), err, want)
		}
	}
}

func TestDeltaStreamCorrupt(t *testing.T) {
	var enc delta.BinaryPackedEncoding
	vals := []int64{1, 5, 9, 100, 3, 7, 11, 12, 13}
	src, _ := enc.EncodeInt64(nil, vals)
	for cut := 0; cut < len(src); cut++ {
		var d deltaStream
		err := d.init(src[:cut])
		if err == nil {
			_, err = d.skip(len(vals))
		}
		if err == nil {
			_, err = d.end()
		}
		if err == nil {
			t.Fatalf("cut at %d: no error", cut)
		}
	}
}
