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
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/server/overrides"
	"github.com/tempoctl/tempoctl/server/pusher"
)

type sink struct{ spans int }

func (s *sink) Push(_ context.Context, _ string, b *otlpwire.Batch) error {
	s.spans += b.SpanCount
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
	tests := []struct {
		name      string
		limits    overrides.Limits
		td        ptrace.Traces
		pushes    int
		wantErr   string // "", "limit"
		limitName string
		reason    string
	}{
		{"accepted", overrides.Limits{}, good, 1, "", "", ""},
		{"rate limit refuses the second push", overrides.Limits{IngestionRateLimitBytes: 1, IngestionBurstSizeBytes: good.SpanCount() * 300}, good, 3, "limit", "ingestion_rate_limit_bytes", "rate_limited"},
		{"trace too large", overrides.Limits{MaxBytesPerTrace: 100}, good, 1, "limit", "max_bytes_per_trace", "trace_too_large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, s, reg := newDist(t, tc.limits)
			var err error
			for i := 0; i < tc.pushes; i++ {
				err = d.Push(context.Background(), "acme", batch(t, tc.td))
			}
			switch tc.wantErr {
			case "":
				if err != nil || s.spans != tc.td.SpanCount() {
					t.Fatalf("err %v, %d spans forwarded", err, s.spans)
				}
				if v := testutil.ToFloat64(d.spansReceived.WithLabelValues("acme")); v != float64(tc.td.SpanCount()) {
					t.Fatalf("spans_received %v", v)
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
	bt := batch(b, td)
	d, _, _ := newDist(b, overrides.DefaultLimits())
	d.limits = mustOverrides(b, overrides.Limits{})
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := d.Push(context.Background(), "t", bt); err != nil {
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

func batch(t testing.TB, td ptrace.Traces) *otlpwire.Batch {
	t.Helper()
	b, err := otlpwire.FromTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// refuser is an ingester that refuses every push with a limit.
type refuser struct{ limit string }

func (r refuser) Push(_ context.Context, tenant string, _ *otlpwire.Batch) error {
	return &pusher.LimitError{Tenant: tenant, Limit: r.limit, Detail: "refused"}
}

// TestIngesterRefusalReason: an ingester's limit is counted in
// tempo_discarded_spans_total under the reason of that limit.
func TestIngesterRefusalReason(t *testing.T) {
	_, td := tracegen.New(2, tracegen.Config{MinSpans: 3, MaxSpans: 3}).Trace()
	tests := []struct{ limit, reason string }{
		{"max_traces_per_user", "live_traces_exceeded"},
		{"max_bytes_per_trace", "trace_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.limit, func(t *testing.T) {
			d := New(refuser{tt.limit}, mustOverrides(t, overrides.Limits{}), prometheus.NewRegistry(), nil)
			err := d.Push(context.Background(), "acme", batch(t, td))
			var le *pusher.LimitError
			if !errors.As(err, &le) || le.Limit != tt.limit {
				t.Fatalf("err %v", err)
			}
			if v := testutil.ToFloat64(d.discarded.WithLabelValues(tt.reason, "acme")); v != float64(td.SpanCount()) {
				t.Fatalf("tempo_discarded_spans_total{reason=%q} = %v, want %d", tt.reason, v, td.SpanCount())
			}
		})
	}
}
