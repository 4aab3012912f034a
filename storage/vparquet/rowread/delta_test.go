package rowread

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go/encoding/delta"
)

func TestDeltaRangeMatchesEncoder(t *testing.T) {
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
	var sc deltaScratch
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
			tail := []byte{7, 7, 7}
			withTail := append(append([]byte(nil), src...), tail...)
			for trial := 0; trial < 30; trial++ {
				from := 0
				if n > 0 {
					from = rnd.IntN(n + 1)
				}
				to := from + rnd.IntN(n-from+1)
				got, sum, end, err := deltaRange(withTail, from, to, trial%2 == 0, nil, &sc)
				if err != nil {
					t.Fatalf("%s n=%d [%d,%d): %v", name, n, from, to, err)
				}
				var wantSum int64
				for _, v := range vals[:from] {
					wantSum += v
				}
				if sum != wantSum {
					t.Fatalf("%s n=%d [%d,%d): sum %d, want %d", name, n, from, to, sum, wantSum)
				}
				if len(got) != to-from {
					t.Fatalf("%s n=%d [%d,%d): %d values", name, n, from, to, len(got))
				}
				for i, v := range got {
					if v != vals[from+i] {
						t.Fatalf("%s n=%d value %d = %d, want %d", name, n, from+i, v, vals[from+i])
					}
				}
				if trial%2 == 0 && end != len(src) {
					t.Fatalf("%s n=%d: end %d, want %d", name, n, end, len(src))
				}
			}
		}
	}
}

func TestDeltaRangeInt32Wraps(t *testing.T) {
	vals := []int32{math.MaxInt32, math.MinInt32, 0, -5, math.MaxInt32, 3}
	var enc delta.BinaryPackedEncoding
	src, err := enc.EncodeInt32(nil, vals)
	if err != nil {
		t.Fatal(err)
	}
	got, _, _, err := deltaRange(src, 0, len(vals), false, nil, &deltaScratch{})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if int32(v) != vals[i] {
			t.Fatalf("value %d = %d, want %d", i, int32(v), vals[i])
		}
	}
}

func TestDeltaRangeCorrupt(t *testing.T) {
	var enc delta.BinaryPackedEncoding
	src, _ := enc.EncodeInt64(nil, []int64{1, 5, 9, 100, 3, 7, 11, 12, 13})
	for cut := 0; cut < len(src); cut++ {
		if _, _, _, err := deltaRange(src[:cut], 0, 9, true, nil, &deltaScratch{}); err == nil {
			t.Fatalf("cut at %d: no error", cut)
		}
	}
}
