package querier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/storage/backend"
)

// LiveSource is recent data not yet (or just) flushed: *ingester.Ingester.
type LiveSource interface {
	// FindTraceByID returns the parts of id held in memory, combined.
	FindTraceByID(tenant string, id model.TraceID) (ptrace.Traces, bool)
	// Traces returns every trace held for tenant, undecoded, in ID order.
	Traces(tenant string) []otlpwire.TraceParts
}

// LocalBlocks is implemented by a LiveSource that keeps copies of the
// blocks it flushed (the ingester, for complete_block_timeout): their data
// is read from the copy instead of the backend.
type LocalBlocks interface {
	LocalBlock(tenant string, id uuid.UUID) (*backend.Backend, bool)
}

// Config tunes a Querier; the zero value is usable.
type Config struct {
	// ReaderCacheSize bounds the opened block readers kept (default 500).
	ReaderCacheSize int
	// BlocklistMaxAge is how long a tenant's block list is reused before the
	// tenant index is read again (default 2s). The ingester rewrites the
	// index when it flushes, so a flushed trace is visible within this.
	BlocklistMaxAge time.Duration
	// IndexMaxAge is storage.trace.blocklist_poll: a tenant index older
	// than this is not trusted and the bucket is listed instead (default
	// backend.DefaultIndexMaxAge). The compactor rewrites the index every
	// cycle and the ingester after every flush, so it is older only when
	// neither runs.
	IndexMaxAge time.Duration
	// Concurrency is how many blocks one query reads at once
	// (default 2×GOMAXPROCS: block reads wait on I/O as much as on CPU).
	Concurrency int
	// MaxBytesPerTrace returns a tenant's max_bytes_per_trace (0 = no limit).
	MaxBytesPerTrace func(tenant string) int
	// MaxBytesPerTagValues bounds the bytes of names/values one tag query
	// returns (Tempo's max_bytes_per_tag_values_query; default 1,000,000).
	MaxBytesPerTagValues int
}

func (c Config) withDefaults() Config {
	if c.ReaderCacheSize <= 0 {
		c.ReaderCacheSize = 500
	}
	if c.BlocklistMaxAge <= 0 {
		c.BlocklistMaxAge = 2 * time.Second
	}
	if c.IndexMaxAge <= 0 {
		c.IndexMaxAge = backend.DefaultIndexMaxAge
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 2 * runtime.GOMAXPROCS(0)
	}
	if c.MaxBytesPerTagValues <= 0 {
		c.MaxBytesPerTagValues = 1_000_000
	}
	return c
}

// Querier answers queries over live data and backend blocks.
type Querier struct {
	be   *backend.Backend
	live LiveSource
	log  *slog.Logger
	cfg  Config

	readers *lru[uuid.UUID, *blockHandle]

	// tagCache keeps, by tenant, what live batches hold for tag queries
	// (livetags.go).
	tagCacheMu sync.Mutex
	tagCache   map[string]*liveTagCache
	listsMu    sync.Mutex
	blocklist  map[string]*tenantBlocks

	failedBlocks   *prometheus.CounterVec
	bytesInspected *prometheus.CounterVec
}

// New returns a Querier. be or live may be nil (no blocks / no live data).
// log may be nil; reg may be nil (metrics then go unregistered).
func New(be *backend.Backend, live LiveSource, log *slog.Logger, reg prometheus.Registerer, cfg Config) *Querier {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	f := promauto.With(reg)
	return &Querier{
		be: be, live: live, log: log, cfg: cfg,
		readers:   newLRU[uuid.UUID, *blockHandle](cfg.ReaderCacheSize),
		tagCache:  map[string]*liveTagCache{},
		blocklist: map[string]*tenantBlocks{},
		failedBlocks: f.NewCounterVec(prometheus.CounterOpts{
			Name: "tempo_query_failed_blocks_total",
			Help: "Blocks skipped by a query because they could not be read.",
		}, []string{"tenant"}),
		bytesInspected: f.NewCounterVec(prometheus.CounterOpts{
			Name: "tempo_query_frontend_bytes_inspected_total",
			Help: "Bytes read from blocks and live data to answer queries.",
		}, []string{"tenant"}),
	}
}

// hasLive reports whether live data is configured: a nil interface and an
// interface holding a nil pointer (no ingester in this target) both mean none.
func (q *Querier) hasLive() bool {
	if q.live == nil {
		return false
	}
	v := reflect.ValueOf(q.live)
	return !(v.Kind() == reflect.Pointer && v.IsNil())
}

// InvalidRequestError is a request that can never succeed (bad TraceQL,
// evaluation error): the API answers 400 with its message.
type InvalidRequestError struct{ Err error }

func (e *InvalidRequestError) Error() string { return e.Err.Error() }
func (e *InvalidRequestError) Unwrap() error { return e.Err }

// TooLargeError is a trace larger than the tenant's max_bytes_per_trace.
type TooLargeError struct{ Max int }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("trace exceeds maximum size of %d bytes", e.Max)
}

// sourceErrors tracks which sources failed so a query fails only when all did.
type sourceErrors struct {
	mu     sync.Mutex
	tried  int
	failed int
	first  error
}

func (s *sourceErrors) ok() {
	s.mu.Lock()
	s.tried++
	s.mu.Unlock()
}

func (s *sourceErrors) fail(err error) {
	s.mu.Lock()
	s.tried++
	s.failed++
	if s.first == nil {
		s.first = err
	}
	s.mu.Unlock()
}

// err is non-nil when sources were tried and every one failed.
func (s *sourceErrors) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tried > 0 && s.failed == s.tried {
		return fmt.Errorf("every source failed: %w", s.first)
	}
	return nil
}

// blockFailed logs and counts an unreadable block and drops its cached
// reader (the object may have been replaced or deleted by compaction).
func (q *Querier) blockFailed(tenant string, m *backend.BlockMeta, err error) {
	q.readers.remove(m.BlockID)
	q.failedBlocks.WithLabelValues(tenant).Inc()
	q.log.Warn("query skipped a block that could not be read", "tenant", tenant, "block", m.BlockID.String(), "err", err)
}

// canceled reports whether err is the query's own cancellation/deadline, not
// a block failure.
func canceled(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}
