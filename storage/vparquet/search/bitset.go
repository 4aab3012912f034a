package search

import "math/bits"

// bitset is a growable set of small non-negative integers (ordinals).
type bitset struct{ w []uint64 }

func (b *bitset) set(i int32) {
	if i < 0 {
		return
	}
	k := int(i >> 6)
	if k >= len(b.w) {
		n := max(k+1, 2*len(b.w))
		w := make([]uint64, n)
		copy(w, b.w)
		b.w = w
	}
	b.w[k] |= 1 << (uint(i) & 63)
}

func (b *bitset) has(i int32) bool {
	if i < 0 {
		return false
	}
	k := int(i >> 6)
	return k < len(b.w) && b.w[k]&(1<<(uint(i)&63)) != 0
}

// next returns the smallest member ≥ i, -1 when there is none.
func (b *bitset) next(i int32) int32 {
	if i < 0 {
		i = 0
	}
	k := int(i >> 6)
	if k >= len(b.w) {
		return -1
	}
	if w := b.w[k] >> (uint(i) & 63); w != 0 {
		return i + int32(bits.TrailingZeros64(w))
	}
	for k++; k < len(b.w); k++ {
		if b.w[k] != 0 {
			return int32(k<<6 + bits.TrailingZeros64(b.w[k]))
		}
	}
	return -1
}

func (b *bitset) empty() bool {
	for _, w := range b.w {
		if w != 0 {
			return false
		}
	}
	return true
}

func (b *bitset) reset() { clear(b.w) }
