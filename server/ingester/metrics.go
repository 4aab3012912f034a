package ingester

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/tempoctl/tempoctl/internal/slab"
)

// Metrics are the ingester's series (names as Tempo's, which dashboards and
// alerts use).
type Metrics struct{ m *metrics }

type metrics struct {
	bytesReceived *prometheus.CounterVec
	tracesCreated *prometheus.CounterVec
	liveTraces    *prometheus.GaugeVec
	blocksFlushed prometheus.Counter
	failedFlushes prometheus.Counter
	blocks        prometheus.Gauge
	flushDuration prometheus.Histogram
	tracesCarried prometheus.Counter
}

// NewMetrics registers the ingester metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	m := &Metrics{&metrics{
		bytesReceived: f.NewCounterVec(prometheus.CounterOpts{Name: "tempo_ingester_bytes_received_total", Help: "Bytes of spans received by the ingester."}, []string{"tenant"}),
		tracesCreated: f.NewCounterVec(prometheus.CounterOpts{Name: "tempo_ingester_traces_created_total", Help: "Traces created in the ingester."}, []string{"tenant"}),
		liveTraces:    f.NewGaugeVec(prometheus.GaugeOpts{Name: "tempo_ingester_live_traces", Help: "Traces that received spans within trace_idle_period."}, []string{"tenant"}),
		blocksFlushed: f.NewCounter(prometheus.CounterOpts{Name: "tempo_ingester_blocks_flushed_total", Help: "Blocks flushed to the backend."}),
		failedFlushes: f.NewCounter(prometheus.CounterOpts{Name: "tempo_ingester_failed_flushes_total", Help: "Flushes that failed and will be retried."}),
		blocks:        f.NewGauge(prometheus.GaugeOpts{Name: "tempo_ingester_blocks_total", Help: "Blocks held by the ingester: the head plus those waiting to be flushed."}),
		tracesCarried: f.NewCounter(prometheus.CounterOpts{Name: "tempoctl_ingester_traces_carried_total", Help: "Traces still live at a cut, kept for the next block instead of split."}),
		flushDuration: f.NewHistogram(prometheus.HistogramOpts{Name: "tempo_ingester_flush_duration_seconds", Help: "Time to flush a cut to the backend.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 12)}),
	}}
	// The process-wide pool of request memory (internal/slab): how much a
	// quiet period keeps, and how often the kernel was asked for more.
	f.NewGaugeFunc(prometheus.GaugeOpts{Name: "tempoctl_request_slab_pool_bytes", Help: "Memory of released request slabs kept for reuse."}, func() float64 {
		_, pooled := slab.Requests.Stats()
		return float64(pooled * slab.DefaultSize)
	})
	f.NewCounterFunc(prometheus.CounterOpts{Name: "tempoctl_request_slabs_allocated_total", Help: "Request slabs allocated from the Go runtime (not taken from the pool)."}, func() float64 {
		made, _ := slab.Requests.Stats()
		return float64(made)
	})
	return m
}
