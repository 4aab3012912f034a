package slab

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

const hugePage = 2 << 20

// hugeSlice returns n zeroed bytes starting on a 2 MiB boundary, advised to
// be backed by huge pages. The advice must come before the memory is first
// written (pages already touched stay small); errors (no THP support, THP
// set to "never") leave ordinary pages, which is only slower.
func hugeSlice(n int) []byte {
	b := make([]byte, n+hugePage)
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	off := int((start+hugePage-1)&^(hugePage-1) - start)
	b = b[off : off+n : off+n]
	if whole := n &^ (hugePage - 1); whole > 0 {
		_ = unix.Madvise(b[:whole], unix.MADV_HUGEPAGE)
	}
	return b
}
