// Package slab hands out byte slices carved from large slabs whose memory the
// kernel is asked to back with transparent huge pages.
//
// The ingester keeps every received request's bytes until the block holding
// them is flushed, so under load its heap grows by the request rate. Touching
// that fresh memory one 4 KiB page at a time was a tenth of the server's CPU
// (a page fault per page); with 2 MiB pages the faults all but vanish. The Go
// runtime does not ask for huge pages itself, and most distributions leave
// transparent huge pages to madvise(2) ("madvise" mode).
//
// The slabs are ordinary Go memory: a slab lives while any slice carved from
// it is referenced, and the garbage collector frees it after that. Requests
// arriving close together share a slab and are released together (with
// their block), so little is pinned by a straggler.
package slab

import "sync"

// DefaultSize is the slab size. Each slab is allocated one huge page larger
// and carved from its first 2 MiB boundary (Go aligns large objects to 8 KiB
// only): the unaligned head and tail are never written, so they cost address
// space and heap accounting but no resident memory.
const DefaultSize = 32 << 20

// Requests holds the bytes of the requests the ingester keeps until their
// block is flushed: received over OTLP gRPC or as OTLP/HTTP protobuf, and
// read back from the WAL. One allocator, so one partly filled slab.
var Requests = New(DefaultSize)

// Allocator carves slices from slabs. It is safe for concurrent use.
type Allocator struct {
	size int

	mu   sync.Mutex
	free []byte // the current slab's unused tail
}

// New returns an allocator of slabs of size bytes (DefaultSize if size <= 0).
func New(size int) *Allocator {
	if size <= 0 {
		size = DefaultSize
	}
	return &Allocator{size: size}
}

// Alloc returns a zeroed slice of length and capacity n. Slices larger than
// an eighth of a slab get memory of their own, advised the same way.
func (a *Allocator) Alloc(n int) []byte {
	if n <= 0 {
		return nil
	}
	if n > a.size/8 {
		return hugeSlice(n)
	}
	a.mu.Lock()
	if len(a.free) < n {
		a.free = hugeSlice(a.size)
	}
	b := a.free[:n:n]
	a.free = a.free[n:]
	a.mu.Unlock()
	return b
}
