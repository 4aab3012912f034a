package search

import "testing"

func TestBitsetNext(t *testing.T) {
	var b bitset
	for _, i := range []int32{3, 63, 64, 200} {
		b.set(i)
	}
	for _, tc := range []struct{ from, want int32 }{
		{-5, 3}, {0, 3}, {3, 3}, {4, 63}, {63, 63}, {64, 64}, {65, 200}, {200, 200}, {201, -1}, {5000, -1},
	} {
		if got := b.next(tc.from); got != tc.want {
			t.Errorf("next(%d) = %d, want %d", tc.from, got, tc.want)
		}
	}
	var empty bitset
	if got := empty.next(0); got != -1 {
		t.Errorf("empty next(0) = %d", got)
	}
}
