package tui

import (
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/traceql"
)

func bigTrace(b *testing.B, spans int) ptrace.Traces {
	b.Helper()
	_, td := tracegen.New(7, tracegen.Config{MinSpans: spans, MaxSpans: spans}).Trace()
	if td.SpanCount() != spans {
		b.Fatalf("generated %d spans", td.SpanCount())
	}
	return td
}

// BenchmarkTraceLoad is the work done once when a trace arrives: tree,
// summary, critical path and rows.
func BenchmarkTraceLoad(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		td := bigTrace(b, n)
		b.Run(fmt.Sprintf("spans=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var ts traceScreen
				ts.load(td)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
		})
	}
}

// BenchmarkTraceView is the cost of one frame (every key press) of the
// waterfall of a large trace: it must not grow with the trace.
func BenchmarkTraceView(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		td := bigTrace(b, n)
		b.Run(fmt.Sprintf("spans=%d", n), func(b *testing.B) {
			m := New(Options{Source: NewMemorySource("bench"), Now: func() time.Time { return testNow }, Location: time.UTC})
			m.Update(tea.WindowSizeMsg{Width: 200, Height: 60})
			m.trace.load(td)
			m.trace.critical = true
			m.stack = []screen{screenSearch, screenTrace}
			b.ReportAllocs()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}

// BenchmarkSearchView is one frame of the results table with many rows.
func BenchmarkSearchView(b *testing.B) {
	m := New(Options{Source: NewMemorySource("bench"), Now: func() time.Time { return testNow }, Location: time.UTC})
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 60})
	resp := &traceql.SearchResponse{Metrics: &traceql.SearchMetrics{}}
	for i := range 5000 {
		resp.Traces = append(resp.Traces, meta(fmt.Sprintf("%032x", i+1), -i))
	}
	m.search.done(searchDoneMsg{seq: m.search.seq, resp: resp, query: "{}"})
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}
