package jaeger

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Progress is reported while a migration runs.
type Progress struct {
	Unit       string // the window or file being read
	UnitsDone  int
	UnitsTotal int
	Traces     int
	Spans      int
	Skipped    int
	Elapsed    time.Duration
}

// SpansPerSecond is the rate so far.
func (p Progress) SpansPerSecond() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Spans) / p.Elapsed.Seconds()
}

// ETA extrapolates from the units done (0 when unknown).
func (p Progress) ETA() time.Duration {
	if p.UnitsDone == 0 || p.UnitsTotal <= p.UnitsDone {
		return 0
	}
	per := p.Elapsed / time.Duration(p.UnitsDone)
	return per * time.Duration(p.UnitsTotal-p.UnitsDone)
}

// ProgressPrinter draws one status line on a terminal, at most every
// interval; Done ends it.
type ProgressPrinter struct {
	w        io.Writer
	interval time.Duration
	mu       sync.Mutex
	last     time.Time
	width    int
}

// NewProgressPrinter writes to w (the terminal's stderr).
func NewProgressPrinter(w io.Writer, interval time.Duration) *ProgressPrinter {
	return &ProgressPrinter{w: w, interval: interval}
}

// Report is a Config.Progress callback.
func (pp *ProgressPrinter) Report(p Progress) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	now := time.Now()
	if now.Sub(pp.last) < pp.interval {
		return
	}
	pp.last = now
	line := FormatProgress(p)
	pad := max(pp.width-len(line), 0)
	pp.width = len(line)
	fmt.Fprintf(pp.w, "\r%s%*s", line, pad, "")
}

// Done clears the status line.
func (pp *ProgressPrinter) Done() {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if pp.width > 0 {
		fmt.Fprintf(pp.w, "\r%*s\r", pp.width, "")
	}
}

// FormatProgress is the status line.
func FormatProgress(p Progress) string {
	eta := "?"
	if d := p.ETA(); d > 0 {
		eta = d.Round(time.Second).String()
	}
	s := fmt.Sprintf("%d/%d units, %d traces, %d spans, %.0f spans/s, ETA %s", p.UnitsDone, p.UnitsTotal, p.Traces, p.Spans, p.SpansPerSecond(), eta)
	if p.Skipped > 0 {
		s += fmt.Sprintf(", %d skipped", p.Skipped)
	}
	if p.Unit != "" {
		s += " | " + p.Unit
	}
	return s
}
