package slab

import (
	"sync"
	"testing"
)

func TestAllocSizesAndIndependence(t *testing.T) {
	a := New(1 << 20)
	cases := []struct {
		n, wantLen int
	}{
		{0, 0},
		{-1, 0},
		{1, 1},
		{1000, 1000},
		{1 << 17, 1 << 17},     // largest carved from a slab
		{1<<17 + 1, 1<<17 + 1}, // memory of its own
		{3 << 20, 3 << 20},     // larger than a slab
		{(1 << 20) - 5, (1 << 20) - 5},
	}
	var got [][]byte
	for _, c := range cases {
		b := a.Alloc(c.n)
		if len(b) != c.wantLen || cap(b) != c.wantLen {
			t.Fatalf("Alloc(%d): len %d cap %d, want %d", c.n, len(b), cap(b), c.wantLen)
		}
		for i, x := range b {
			if x != 0 {
				t.Fatalf("Alloc(%d): byte %d is %d, want zero", c.n, i, x)
			}
		}
		for i := range b {
			b[i] = byte(len(got) + 1)
		}
		got = append(got, b)
	}
	// No slice overlaps another: each still holds its own mark.
	for k, b := range got {
		for i, x := range b {
			if x != byte(k+1) {
				t.Fatalf("slice %d byte %d is %d, want %d (overwritten by another)", k, i, x, k+1)
			}
		}
	}
}

func TestAllocConcurrent(t *testing.T) {
	a := New(1 << 20)
	var wg sync.WaitGroup
	out := make([][][]byte, 8)
	for g := range out {
		wg.Go(func() {
			for i := range 500 {
				b := a.Alloc(100 + i%300)
				for j := range b {
					b[j] = byte(g)
				}
				out[g] = append(out[g], b)
			}
		})
	}
	wg.Wait()
	for g, bs := range out {
		for _, b := range bs {
			for _, x := range b {
				if x != byte(g) {
					t.Fatalf("goroutine %d's slice holds %d: slices overlap", g, x)
				}
			}
		}
	}
}
