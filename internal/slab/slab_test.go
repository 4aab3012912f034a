package slab

import (
	"runtime"
	"sync"
	"testing"
	"time"
	"unsafe"
)

func TestAllocSizesAndIndependence(t *testing.T) {
	a := New(1<<20, 4)
	cases := []struct {
		n, wantLen int
		own        bool // memory of its own: a zero Ref
	}{
		{0, 0, true},
		{-1, 0, true},
		{1, 1, false},
		{1000, 1000, false},
		{1 << 17, 1 << 17, false},    // largest carved from a slab
		{1<<17 + 1, 1<<17 + 1, true}, // memory of its own
		{3 << 20, 3 << 20, true},     // larger than a slab
		{(1 << 20) - 5, (1 << 20) - 5, true},
	}
	var got [][]byte
	for _, c := range cases {
		b, ref := a.Alloc(c.n)
		if len(b) != c.wantLen || cap(b) != c.wantLen {
			t.Fatalf("Alloc(%d): len %d cap %d, want %d", c.n, len(b), cap(b), c.wantLen)
		}
		if own := ref.s == nil; own != c.own {
			t.Fatalf("Alloc(%d): own memory %v, want %v", c.n, own, c.own)
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

// churn allocates and releases n slices of size bytes, one by one.
func churn(a *Allocator, n, size int) {
	for range n {
		_, r := a.Alloc(size)
		r.Release()
	}
}

func start(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// A slab is reused once every slice carved from it is released and it is
// no longer the one being carved; not before.
func TestReleasedSlabIsReused(t *testing.T) {
	const size = 1 << 20
	a := New(size, 4)
	x, rx := a.Alloc(size / 8)
	y, ry := a.Alloc(size / 8)
	base := start(x)
	for _, ref := range []Ref{rx, ry} {
		ref.Release()
	}
	// x and y released, but the slab is still being carved: the next
	// slice comes after y, not over x.
	z, rz := a.Alloc(size / 8)
	if start(z) != start(y)+size/8 {
		t.Fatalf("slice at %#x, want %#x (after the previous one)", start(z), start(y)+size/8)
	}
	if _, pooled := a.Stats(); pooled != 0 {
		t.Fatalf("%d slabs pooled while the slab is carved and z holds it", pooled)
	}
	// Fill the slab so the next Alloc starts another; z still holds the
	// first, which must not be pooled yet.
	churn(a, 5, size/8)
	w, rw := a.Alloc(size / 8)
	if made, pooled := a.Stats(); made != 2 || pooled != 0 {
		t.Fatalf("made %d, pooled %d; want 2 made, none pooled (z still in use)", made, pooled)
	}
	rz.Release()
	if _, pooled := a.Stats(); pooled != 1 {
		t.Fatalf("%d slabs pooled after the last slice of the first was released, want 1", pooled)
	}
	// Fill the second slab: the third comes from the pool, at x's address.
	churn(a, 7, size/8)
	v, rv := a.Alloc(size / 8)
	if start(v) != base {
		t.Fatalf("third slab at %#x, want the pooled first at %#x", start(v), base)
	}
	if made, _ := a.Stats(); made != 2 {
		t.Fatalf("made %d slabs, want 2 (the pooled one reused)", made)
	}
	rw.Release()
	rv.Release()
	_ = w
}

// ReleaseWith releases when the owner is collected, and not while it lives.
func TestReleaseWithOwner(t *testing.T) {
	const size = 1 << 20
	a := New(size, 4)
	type owner struct{ b []byte }
	b, ref := a.Alloc(size / 8)
	o := &owner{b: b}
	ReleaseWith(o, ref)
	// Move on to a second slab so the first is no longer carved.
	churn(a, 9, size/8)
	for range 3 {
		runtime.GC()
	}
	time.Sleep(10 * time.Millisecond)
	if _, pooled := a.Stats(); pooled != 0 {
		t.Fatalf("slab pooled while its owner is reachable")
	}
	runtime.KeepAlive(o)
	o = nil
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		if _, pooled := a.Stats(); pooled == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("slab not pooled after its owner was collected")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPoolBoundAndTrim(t *testing.T) {
	const size = 1 << 20
	a := New(size, 2)
	var refs []Ref
	for range 5 { // one whole slab each
		for range 8 {
			_, r := a.Alloc(size / 8)
			refs = append(refs, r)
		}
	}
	for _, r := range refs {
		r.Release()
	}
	// Four slabs are free (the fifth is still carved); the pool keeps two.
	if made, pooled := a.Stats(); made != 5 || pooled != 2 {
		t.Fatalf("made %d pooled %d, want 5 and 2", made, pooled)
	}
	a.Trim(time.Hour)
	if _, pooled := a.Stats(); pooled != 2 {
		t.Fatalf("Trim(1h) dropped recently released slabs: %d left", pooled)
	}
	time.Sleep(2 * time.Millisecond)
	a.Trim(time.Millisecond)
	if _, pooled := a.Stats(); pooled != 0 {
		t.Fatalf("Trim(1ms) left %d idle slabs", pooled)
	}
	// No pool at all: released slabs go to the garbage collector.
	b := New(size, 0)
	churn(b, 16, size/8)
	if made, pooled := b.Stats(); made != 2 || pooled != 0 {
		t.Fatalf("pool 0: made %d pooled %d, want 2 and 0", made, pooled)
	}
}

// Slices handed out concurrently never overlap, with slabs released and
// reused underneath (run with -race).
func TestAllocConcurrent(t *testing.T) {
	a := New(1<<20, 2)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			type held struct {
				b   []byte
				ref Ref
			}
			var live []held
			for i := range 2000 {
				b, ref := a.Alloc(100 + i%3000)
				for j := range b {
					b[j] = byte(g)
				}
				live = append(live, held{b, ref})
				if len(live) > 50 {
					h := live[0]
					for _, x := range h.b {
						if x != byte(g) {
							t.Errorf("goroutine %d's slice holds %d: slices overlap", g, x)
							return
						}
					}
					h.ref.Release()
					live = live[1:]
				}
			}
			for _, h := range live {
				h.ref.Release()
			}
		})
	}
	wg.Wait()
	if made, _ := a.Stats(); made > 8 {
		t.Errorf("%d slabs made for ~17 MiB allocated, under 1 MiB live at once: released slabs not reused", made)
	}
}

// The pool trims itself: slabs idle longer than SetIdle's time are dropped
// without anyone calling Trim.
func TestPoolTrimsItself(t *testing.T) {
	const size = 1 << 20
	a := New(size, 4)
	a.trimEvery = 5 * time.Millisecond
	a.SetIdle(time.Hour)
	churn(a, 3*8, size/8)
	time.Sleep(50 * time.Millisecond)
	// The third slab is the first one again; the second is pooled.
	if made, pooled := a.Stats(); made != 2 || pooled != 1 {
		t.Fatalf("made %d, pooled %d with an idle time of an hour, want 2 and 1", made, pooled)
	}
	a.SetIdle(time.Millisecond)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, pooled := a.Stats(); pooled == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("idle slabs never trimmed")
		}
	}
}
