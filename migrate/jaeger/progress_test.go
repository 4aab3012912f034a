package jaeger

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestFormatProgress(t *testing.T) {
	tests := []struct {
		p    Progress
		want string
	}{
		{Progress{UnitsTotal: 4}, "0/4 units, 0 traces, 0 spans, 0 spans/s, ETA ?"},
		{Progress{Unit: "[a, b]", UnitsDone: 1, UnitsTotal: 4, Traces: 10, Spans: 100, Skipped: 2, Elapsed: 10 * time.Second},
			"1/4 units, 10 traces, 100 spans, 10 spans/s, ETA 30s, 2 skipped | [a, b]"},
		{Progress{UnitsDone: 4, UnitsTotal: 4, Spans: 5, Elapsed: time.Second}, "4/4 units, 0 traces, 5 spans, 5 spans/s, ETA ?"},
	}
	for _, tc := range tests {
		if got := FormatProgress(tc.p); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

// The printer redraws one line, throttled, and clears it at the end.
func TestProgressPrinter(t *testing.T) {
	var buf bytes.Buffer
	pp := NewProgressPrinter(&buf, time.Hour)
	pp.Report(Progress{UnitsTotal: 2, Traces: 1234})
	pp.Report(Progress{UnitsTotal: 2, Traces: 99999}) // within the interval: dropped
	pp.Done()
	out := buf.String()
	if !strings.HasPrefix(out, "\r0/2 units, 1234 traces") || strings.Contains(out, "99999") || !strings.HasSuffix(out, "\r") || strings.Contains(out, "\n") {
		t.Errorf("output %q", out)
	}
}
