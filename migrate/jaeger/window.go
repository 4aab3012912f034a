package jaeger

import (
	"fmt"
	"time"
)

// Window is a closed interval of span start times in microseconds since the
// epoch: Jaeger's searches compare start times at µs precision with both
// bounds inclusive, so [Start, End] µs is exactly what one query covers and
// adjacent windows are [a, m] and [m+1, b] with nothing seen twice.
type Window struct {
	Start int64 `json:"start"` // µs, inclusive
	End   int64 `json:"end"`   // µs, inclusive
}

// WindowOf covers [start, end) of wall time at µs precision.
func WindowOf(start, end time.Time) Window {
	return Window{Start: start.UnixMicro(), End: end.UnixMicro() - 1}
}

// Valid reports whether the window holds at least one microsecond.
func (w Window) Valid() bool { return w.Start <= w.End }

// Len is the number of microseconds the window holds.
func (w Window) Len() int64 { return w.End - w.Start + 1 }

// Split halves the window; ok is false for a single microsecond.
func (w Window) Split() (a, b Window, ok bool) {
	if w.Start >= w.End {
		return w, Window{}, false
	}
	mid := w.Start + (w.End-w.Start)/2
	return Window{w.Start, mid}, Window{mid + 1, w.End}, true
}

// Chunks cuts the window into consecutive pieces of at most size, oldest
// first: the units a migration checkpoints.
func (w Window) Chunks(size time.Duration) []Window {
	step := size.Microseconds()
	if step <= 0 || !w.Valid() {
		return []Window{w}
	}
	var out []Window
	for s := w.Start; s <= w.End; s += step {
		e := s + step - 1
		if e > w.End || e < s {
			e = w.End
		}
		out = append(out, Window{s, e})
		if e == w.End {
			break
		}
	}
	return out
}

// StartTime and EndTime are the window's bounds as times (End is the last
// microsecond, inclusive).
func (w Window) StartTime() time.Time { return time.UnixMicro(w.Start).UTC() }
func (w Window) EndTime() time.Time   { return time.UnixMicro(w.End).UTC() }

func (w Window) String() string {
	return fmt.Sprintf("[%s, %s]", w.StartTime().Format(time.RFC3339Nano), w.EndTime().Format(time.RFC3339Nano))
}
