package distributor

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/server/overrides"
	"github.com/tempoctl/tempoctl/server/pusher"
)

type sink struct{ spans int }

func (s *sink) Push(_ context.Context, _ string, td ptrace.Traces) error {
	s.spans += td.SpanCount()
	return nil
}

func newDist(t testing.TB, l overrides.Limits) (*Distributor, *sink, *prometheus.Registry) {
	o, err := overrides.New(overrides.Config{Limits: l}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	s := &sink{}
	return New(s, o, reg, nil), s, reg
}

func TestPushValidatesAndLimits(t *testing.T) {
	g := tracegen.New(1, tracegen.Config{MinSpans: 10, MaxSpans: 10})
	_, good := g.Trace()
	noTraceID := ptrace.NewTraces()
	noTraceID.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty().SetSpanID(pcommon.SpanID{1})
	tests := []struct {
		name      string
		limits    overrides.Limits
		td        ptrace.Traces
		pushes    int
		wantErr   string // "", "invalid", "limit"
		limitName string
		reason    string
	}{
		{"accepted", overrides.Limits{}, good, 1, "", "", ""},
		{"empty trace id refused with InvalidArgument", overrides.Limits{}, noTraceID, 1, "invalid", "", "invalid_trace_id"},
		{"rate limit refuses the second push", overrides.Limits{IngestionRateLimitBytes: 1, IngestionBurstSizeBytes: good.SpanCount() * 300}, good, 3, "limit", "ingestion_rate_limit_bytes", "rate_limited"},
		{"trace too large", overrides.Limits{MaxBytesPerTrace: 100}, good, 1, "limit", "max_bytes_per_trace", "trace_too_large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, s, reg := newDist(t, tc.limits)
			var err error
			for i := 0; i < tc.pushes; i++ {
				err = d.Push(context.Background(), "acme", tc.td)
			}
			switch tc.wantErr {
			case "":
				if err != nil || s.spans != tc.td.SpanCount() {
					t.Fatalf("err %v, %d spans forwarded", err, s.spans)
				}
				if v := testutil.ToFloat64(d.spansReceived.WithLabelValues("acme")); v != float64(tc.td.SpanCount()) {
					t.Fatalf("spans_received %v", v)
				}
			case "invalid":
				if status.Code(err) != codes.InvalidArgument || s.spans != 0 {
					t.Fatalf("err %v, %d spans forwarded", err, s.spans)
				}
			case "limit":
				var le *pusher.LimitError
				if !errors.As(err, &le) || le.Limit != tc.limitName {
					t.Fatalf("err %v", err)
				}
			}
			if tc.reason != "" {
				if v := testutil.ToFloat64(d.discarded.WithLabelValues(tc.reason, "acme")); v == 0 {
					t.Fatalf("tempo_discarded_spans_total{reason=%q} not counted", tc.reason)
				}
			}
			_ = reg
		})
	}
}

func BenchmarkPush(b *testing.B) {
	g := tracegen.New(1, tracegen.Config{MinSpans: 20, MaxSpans: 30})
	td := ptrace.NewTraces()
	for td.SpanCount() < 500 {
		_, tr := g.Trace()
		tr.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	}
	d, _, _ := newDist(b, overrides.DefaultLimits())
	d.limits = mustOverrides(b, overrides.Limits{})
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := d.Push(context.Background(), "t", td); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(td.SpanCount()*b.N)/time.Since(start).Seconds(), "spans/s")
}

func mustOverrides(b testing.TB, l overrides.Limits) *overrides.Overrides {
	o, err := overrides.New(overrides.Config{Limits: l}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	return o
}
