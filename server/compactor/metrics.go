package compactor

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Error kinds of tempo_compactor_errors_total.
const (
	errList          = "list"             // listing tenants or blocks failed
	errUnreadableMet = "unreadable_meta"  // a meta.json that does not decode
	errUnreadable    = "unreadable_block" // a job input that could not be read
	errCompaction    = "compaction"       // a job failed for another reason
	errMark          = "mark_compacted"   // an input could not be marked compacted
	errRetention     = "retention"
	errTenantIndex   = "tenant_index"
	errJournal       = "journal"
)

// metrics are the compactor's series, named as Tempo's so its dashboards
// and the TempoCompactionFailing alert
// (increase(tempo_compactor_blocks_compacted_total[1h]) == 0) work.
type metrics struct {
	blocksCompacted    prometheus.Counter
	duration           prometheus.Histogram
	outstanding        *prometheus.GaugeVec
	blocklistLength    *prometheus.GaugeVec
	retentionDeleted   prometheus.Counter
	retentionMarked    prometheus.Counter
	errors             *prometheus.CounterVec
	skipped            *prometheus.GaugeVec
	objectsWritten     prometheus.Counter
	bytesWritten       prometheus.Counter
	lastSuccessfulTime prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	m := &metrics{
		blocksCompacted: f.NewCounter(prometheus.CounterOpts{Name: "tempo_compactor_blocks_compacted_total",
			Help: "Input blocks compacted into new blocks."}),
		duration: f.NewHistogram(prometheus.HistogramOpts{Name: "tempo_compactor_compaction_duration_seconds",
			Help: "Time one compaction job took.", Buckets: prometheus.ExponentialBuckets(0.1, 2, 14)}),
		outstanding: f.NewGaugeVec(prometheus.GaugeOpts{Name: "tempodb_compaction_outstanding_blocks",
			Help: "Blocks the last plan found to compact, per tenant."}, []string{"tenant"}),
		blocklistLength: f.NewGaugeVec(prometheus.GaugeOpts{Name: "tempodb_blocklist_length",
			Help: "Live blocks per tenant after the last cycle."}, []string{"tenant"}),
		retentionDeleted: f.NewCounter(prometheus.CounterOpts{Name: "tempodb_retention_deleted_total",
			Help: "Compacted blocks deleted by retention."}),
		retentionMarked: f.NewCounter(prometheus.CounterOpts{Name: "tempodb_retention_marked_for_deletion_total",
			Help: "Live blocks past block_retention marked compacted."}),
		errors: f.NewCounterVec(prometheus.CounterOpts{Name: "tempo_compactor_errors_total",
			Help: "Compactor errors by kind; none of them stops a cycle."}, []string{"kind"}),
		skipped: f.NewGaugeVec(prometheus.GaugeOpts{Name: "tempo_compactor_skipped_blocks",
			Help: "Blocks the last plan left out, per tenant and reason (nocompact = nocompact.flg, unreadable = failed to read)."}, []string{"tenant", "reason"}),
		objectsWritten: f.NewCounter(prometheus.CounterOpts{Name: "tempodb_compaction_objects_written_total",
			Help: "Traces written by compaction."}),
		bytesWritten: f.NewCounter(prometheus.CounterOpts{Name: "tempodb_compaction_bytes_written_total",
			Help: "Bytes of blocks written by compaction."}),
		lastSuccessfulTime: f.NewGauge(prometheus.GaugeOpts{Name: "tempo_compactor_last_successful_cycle_timestamp_seconds",
			Help: "Unix time the last cycle finished without errors."}),
	}
	for _, k := range []string{errList, errUnreadableMet, errUnreadable, errCompaction, errMark, errRetention, errTenantIndex, errJournal} {
		m.errors.WithLabelValues(k) // export every kind from the start
	}
	return m
}
