package jaeger

import (
	"testing"
	"time"
)

func TestWindowSplitCoversExactly(t *testing.T) {
	for _, w := range []Window{{0, 0}, {0, 1}, {5, 17}, {1795457172000000, 1795464371999999}, {-3, 3}} {
		var leaves []Window
		var walk func(Window, int)
		walk = func(w Window, depth int) {
			a, b, ok := w.Split()
			if !ok || depth == 8 {
				leaves = append(leaves, w)
				return
			}
			if a.End+1 != b.Start || a.Start != w.Start || b.End != w.End || !a.Valid() || !b.Valid() {
				t.Fatalf("%v split into %v %v", w, a, b)
			}
			walk(a, depth+1)
			walk(b, depth+1)
		}
		walk(w, 0)
		var total int64
		for _, l := range leaves {
			total += l.Len()
		}
		if total != w.Len() {
			t.Errorf("%v: leaves hold %d µs, want %d", w, total, w.Len())
		}
	}
}

func TestWindowChunks(t *testing.T) {
	start := time.Date(2026, 11, 23, 18, 6, 12, 0, time.UTC)
	w := WindowOf(start, start.Add(150*time.Minute))
	cs := w.Chunks(time.Hour)
	if len(cs) != 3 {
		t.Fatalf("%d chunks: %v", len(cs), cs)
	}
	if cs[0].Start != w.Start || cs[2].End != w.End || cs[1].Start != cs[0].End+1 || cs[2].Start != cs[1].End+1 {
		t.Errorf("chunks do not tile the window: %v", cs)
	}
	if cs[0].Len() != time.Hour.Microseconds() || cs[2].Len() != 30*time.Minute.Microseconds() {
		t.Errorf("chunk sizes %d %d", cs[0].Len(), cs[2].Len())
	}
	if got := w.Chunks(0); len(got) != 1 || got[0] != w {
		t.Errorf("no chunking: %v", got)
	}
	if got := (Window{5, 5}).Chunks(time.Hour); len(got) != 1 {
		t.Errorf("single µs: %v", got)
	}
}
