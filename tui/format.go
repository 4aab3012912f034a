package tui

import (
	"fmt"
	"time"

	"github.com/tempoctl/tempoctl/tracetree"
)

// formatDuration prints nanoseconds compactly (three significant digits).
func formatDuration(ns int64) string {
	if ns <= 0 {
		return "0"
	}
	return tracetree.FormatDuration(time.Duration(ns))
}

// humanBytes prints a byte count with a binary unit.
func humanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// formatStart prints a trace start: the time of day when it is today in loc,
// the date too otherwise.
func formatStart(ns uint64, now time.Time, loc *time.Location) string {
	if ns == 0 {
		return "-"
	}
	t := time.Unix(0, int64(ns)).In(loc)
	n := now.In(loc)
	if t.Year() == n.Year() && t.YearDay() == n.YearDay() {
		return t.Format("15:04:05.000")
	}
	return t.Format("01-02 15:04:05")
}
