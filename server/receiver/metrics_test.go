package receiver

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	r, p := startReceivers(t, allReceivers(), Options{Registerer: reg})
	m := r.base.metrics
	for _, s := range senders {
		if got, _ := s.send(t, r, nil); got != s.ok {
			t.Fatalf("%s: %s", s.receiver, got)
		}
	}
	p.setErr(errBoom)
	if got, _ := senders[1].send(t, r, nil); got != "500" {
		t.Fatalf("otlp/http with a failing pusher: %s", got)
	}
	p.setErr(nil)

	tests := []struct {
		counter             *prometheus.CounterVec
		receiver, transport string
		want                float64
	}{
		{m.accepted, "otlp", "grpc", 1},
		{m.accepted, "otlp", "http", 1},
		{m.accepted, "zipkin", "http", 2},
		{m.accepted, "jaeger", "collector_http", 3},
		{m.accepted, "jaeger", "grpc", 3},
		{m.refused, "otlp", "http", 1},
		{m.refused, "zipkin", "http", 0},
	}
	for _, tt := range tests {
		if got := testutil.ToFloat64(tt.counter.WithLabelValues(tt.receiver, tt.transport)); got != tt.want {
			t.Errorf("%s/%s: %v spans, want %v", tt.receiver, tt.transport, got, tt.want)
		}
	}
	if n, err := testutil.GatherAndCount(reg, "tempo_receiver_accepted_spans", "tempo_receiver_refused_spans"); err != nil || n == 0 {
		t.Errorf("registry: %d series, %v", n, err)
	}
	if _, err := New(allReceivers(), p, Options{Registerer: reg}); err == nil {
		t.Error("registering the counters twice succeeded")
	}
}
