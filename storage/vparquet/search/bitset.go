package search

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

func (b *bitset) empty() bool {
	for _, w := range b.w {
		if w != 0 {
			return false
		}
	}
	return true
}

func (b *bitset) reset() { clear(b.w) }
