// Package slab hands out byte slices carved from large slabs whose memory the
// kernel is asked to back with transparent huge pages, and reuses a slab
// once nothing carved from it is in use.
//
// The ingester keeps every received request's bytes until the block holding
// them is flushed, so under load its heap grows by the request rate. Touching
// that fresh memory one 4 KiB page at a time was a tenth of the server's CPU
// (a page fault per page); with 2 MiB pages the faults all but vanish. The Go
// runtime does not ask for huge pages itself, and most distributions leave
// transparent huge pages to madvise(2) ("madvise" mode).
//
// Fresh memory costs even as huge pages: the kernel zeroes each one on first
// touch (a seventh of the server's CPU on the VMs it was measured on). So a
// slab whose slices are all released goes to a pool and is carved again,
// without zeroing, instead of going back to the garbage collector and the
// next slab coming fresh from the kernel. Pooled slabs idle for longer than
// the allocator's idle time (SetIdle) are dropped, checked every minute.
//
// Slabs are ordinary Go memory. A slice whose release is forgotten only
// keeps its slab out of the pool: the garbage collector frees the slab once
// nothing references it, as for any other memory.
package slab

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultSize is the slab size. Each slab is allocated one huge page larger
// and carved from its first 2 MiB boundary (Go aligns large objects to 8 KiB
// only): the unaligned head and tail are never written, so they cost address
// space and heap accounting but no resident memory.
const DefaultSize = 32 << 20

// DefaultPool is how many released slabs Requests keeps for reuse (512 MiB).
const DefaultPool = 16

// DefaultIdle is how long a pooled slab waits for reuse before it is
// dropped, unless SetIdle says otherwise.
const DefaultIdle = 5 * time.Minute

// trimEvery is how often pooled slabs are checked for idleness.
const trimEvery = time.Minute

// Requests holds the bytes of the requests the ingester keeps until their
// block is flushed: received over OTLP gRPC or as OTLP/HTTP protobuf, and
// read back from the WAL. One allocator, so one partly filled slab and one
// pool.
var Requests = New(DefaultSize, DefaultPool)

// Allocator carves slices from slabs. It is safe for concurrent use.
type Allocator struct {
	size    int
	maxPool int

	idle      atomic.Int64 // time.Duration
	trimEvery time.Duration
	trimmer   sync.Once

	mu   sync.Mutex
	cur  *slab
	free []byte  // cur's unused tail
	pool []*slab // released slabs, most recently released last
	made int64   // slabs taken from the runtime
}

// slab is one slab's memory and the count of its slices in use, plus one
// while it is the slab being carved.
type slab struct {
	a        *Allocator
	mem      []byte
	refs     atomic.Int64
	released time.Time // when it entered the pool
}

// Ref is the claim a slice holds on its slab; the zero Ref (a slice with
// memory of its own) releases nothing.
type Ref struct{ s *slab }

// New returns an allocator of slabs of size bytes (DefaultSize if size <=
// 0), keeping up to pool released slabs for reuse (none if pool <= 0).
func New(size, pool int) *Allocator {
	if size <= 0 {
		size = DefaultSize
	}
	a := &Allocator{size: size, maxPool: max(pool, 0), trimEvery: trimEvery}
	a.idle.Store(int64(DefaultIdle))
	return a
}

// SetIdle sets how long a pooled slab may wait for reuse: the ingester
// sets a generation's time, since slabs released by one flush serve the
// next generation's requests.
func (a *Allocator) SetIdle(d time.Duration) { a.idle.Store(int64(d)) }

// Alloc returns a slice of length and capacity n and the claim it holds on
// its slab. Its contents are unspecified (a reused slab keeps old bytes):
// the caller overwrites all of it. Slices larger than an eighth of a slab
// get memory of their own, advised the same way, and a zero Ref.
func (a *Allocator) Alloc(n int) ([]byte, Ref) {
	if n <= 0 {
		return nil, Ref{}
	}
	if n > a.size/8 {
		return hugeSlice(n), Ref{}
	}
	a.mu.Lock()
	var done *slab
	if len(a.free) < n {
		done = a.cur
		a.cur = a.next()
		a.free = a.cur.mem
	}
	b := a.free[:n:n]
	a.free = a.free[n:]
	s := a.cur
	s.refs.Add(1)
	a.mu.Unlock()
	if done != nil {
		done.release() // the carving claim; outside mu, which release takes
	}
	return b, Ref{s}
}

// next returns a slab to carve, from the pool if it has one, with the
// carving claim taken. Called with mu held.
func (a *Allocator) next() *slab {
	var s *slab
	if k := len(a.pool); k > 0 {
		s = a.pool[k-1]
		a.pool[k-1] = nil
		a.pool = a.pool[:k-1]
	} else {
		s = &slab{a: a, mem: hugeSlice(a.size)}
		a.made++
		if a.maxPool > 0 {
			a.trimmer.Do(func() { go a.trimLoop() })
		}
	}
	s.refs.Store(1)
	return s
}

func (s *slab) release() {
	if s.refs.Add(-1) != 0 {
		return
	}
	a := s.a
	a.mu.Lock()
	if len(a.pool) < a.maxPool {
		s.released = time.Now()
		a.pool = append(a.pool, s)
	}
	a.mu.Unlock()
}

// Release gives the slice's claim back: call it once, when none of the
// slice's bytes will be read again.
func (r Ref) Release() {
	if r.s != nil {
		r.s.release()
	}
}

// ReleaseWith releases r once owner has been garbage collected: for bytes
// that live as long as the object holding them, whoever else reads them
// through it. Everything that keeps a sub-slice of the bytes, or a string
// made from them without copying, must keep owner reachable as long.
func ReleaseWith[T any](owner *T, r Ref) {
	if r.s != nil {
		runtime.AddCleanup(owner, func(s *slab) { s.release() }, r.s)
	}
}

// trimLoop trims the pool for as long as the process runs (an allocator
// with a pool is a process-wide thing: Requests).
func (a *Allocator) trimLoop() {
	for range time.Tick(a.trimEvery) {
		a.Trim(time.Duration(a.idle.Load()))
	}
}

// Trim drops pooled slabs released more than idle ago: memory a burst needed
// goes back to the garbage collector when the load no longer needs it.
func (a *Allocator) Trim(idle time.Duration) {
	cutoff := time.Now().Add(-idle)
	a.mu.Lock()
	defer a.mu.Unlock()
	k := 0
	for k < len(a.pool) && a.pool[k].released.Before(cutoff) {
		a.pool[k] = nil
		k++
	}
	a.pool = append(a.pool[:0], a.pool[k:]...)
}

// Stats reports slabs made since start and slabs pooled now.
func (a *Allocator) Stats() (made int64, pooled int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.made, len(a.pool)
}
