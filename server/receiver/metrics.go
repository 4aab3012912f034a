package receiver

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics counts spans per receiver under the names the OpenTelemetry
// Collector's receivers report (prefixed tempo_ as Tempo exposes them), so
// ingest panels of existing dashboards keep working.
type metrics struct {
	accepted *prometheus.CounterVec
	refused  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tempo_receiver_accepted_spans",
			Help: "Spans successfully pushed into the pipeline.",
		}, []string{"receiver", "transport"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tempo_receiver_refused_spans",
			Help: "Spans that could not be pushed into the pipeline.",
		}, []string{"receiver", "transport"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.accepted, m.refused} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// metricLabels maps a receiver name to the collector's receiver and
// transport label values.
var metricLabels = map[string][2]string{
	OTLPGRPC:         {"otlp", "grpc"},
	OTLPHTTP:         {"otlp", "http"},
	Zipkin:           {"zipkin", "http"},
	JaegerThriftHTTP: {"jaeger", "collector_http"},
	JaegerGRPC:       {"jaeger", "grpc"},
}

func (m *metrics) observe(receiver string, spans int, err error) {
	l := metricLabels[receiver]
	c := m.accepted
	if err != nil {
		c = m.refused
	}
	c.WithLabelValues(l[0], l[1]).Add(float64(spans))
}
