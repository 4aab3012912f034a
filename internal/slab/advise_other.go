//go:build !linux

package slab

// hugeSlice is make where madvise(MADV_HUGEPAGE) does not exist.
func hugeSlice(n int) []byte { return make([]byte, n) }
