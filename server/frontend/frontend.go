package frontend

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/traceql"
)

// Executor runs jobs: *Worker in this process, or remote queriers.
type Executor interface {
	RunSearchJob(ctx context.Context, req querier.SearchRequest, job querier.SearchJob) (*traceql.SearchResponse, error)
	FindTraceByIDShard(ctx context.Context, req querier.TraceByIDRequest) (*querier.TraceByIDResult, error)
	TagNames(ctx context.Context, req querier.TagsRequest) (*querier.TagsResult, error)
	TagValues(ctx context.Context, req querier.TagValuesRequest) (*querier.TagValuesResult, error)
}

// Options are the frontend's collaborators.
type Options struct {
	// Log may be nil; Registerer may be nil (metrics go unregistered).
	Log        *slog.Logger
	Registerer prometheus.Registerer
	// MaxBytesPerTrace returns a tenant's max_bytes_per_trace (nil/0: none).
	MaxBytesPerTrace func(tenant string) int
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Frontend answers queries by running jobs on an Executor. It implements
// the query interface server/api serves.
type Frontend struct {
	cfg  Config
	q    *querier.Querier // block lists and the bytes-inspected counter
	exec Executor
	opts Options
	log  *slog.Logger

	outMu       sync.Mutex
	outstanding map[string]int

	queries   *prometheus.CounterVec
	withinSLO *prometheus.CounterVec
}

// New returns a Frontend. q lists the blocks (and counts bytes inspected);
// exec runs the jobs (often a Worker over the same q).
func New(cfg Config, q *querier.Querier, exec Executor, opts Options) *Frontend {
	def := DefaultConfig()
	if cfg.MaxOutstandingPerTenant <= 0 {
		cfg.MaxOutstandingPerTenant = def.MaxOutstandingPerTenant
	}
	if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.Search.ConcurrentJobs <= 0 {
		cfg.Search.ConcurrentJobs = def.Search.ConcurrentJobs
	}
	if cfg.Search.TargetBytesPerJob <= 0 {
		cfg.Search.TargetBytesPerJob = def.Search.TargetBytesPerJob
	}
	if cfg.TraceByID.QueryShards <= 0 {
		cfg.TraceByID.QueryShards = def.TraceByID.QueryShards
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	f := promauto.With(opts.Registerer)
	return &Frontend{
		cfg: cfg, q: q, exec: exec, opts: opts, log: opts.Log,
		outstanding: map[string]int{},
		queries: f.NewCounterVec(prometheus.CounterOpts{
			Name: "tempo_query_frontend_queries_total",
			Help: "Queries answered by the query frontend, by operation and result.",
		}, []string{"tenant", "op", "result"}),
		withinSLO: f.NewCounterVec(prometheus.CounterOpts{
			Name: "tempo_query_frontend_queries_within_slo_total",
			Help: "Queries that completed within the configured duration or throughput SLO.",
		}, []string{"tenant", "op", "result"}),
	}
}

// Operation labels (Tempo's op values).
const (
	opTraces   = "traces"
	opSearch   = "search"
	opMetadata = "metadata"
)

// resultOf is the result label of a query's outcome.
func resultOf(err error) string {
	var inv *querier.InvalidRequestError
	var tl *querier.TooLargeError
	switch {
	case err == nil:
		return "completed"
	case errors.As(err, &inv), errors.As(err, &tl):
		return "invalid"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, ErrTooManyOutstanding):
		return "throttled"
	}
	return "failed"
}

// observe counts a finished query and whether it met its SLO.
func (f *Frontend) observe(tenant, op string, err error, took time.Duration, bytes uint64, slo time.Duration, throughputSLO float64) {
	res := resultOf(err)
	f.queries.WithLabelValues(tenant, op, res).Inc()
	if err != nil || (slo <= 0 && throughputSLO <= 0) {
		return
	}
	within := slo > 0 && took <= slo
	if !within && throughputSLO > 0 && took > 0 {
		within = float64(bytes)/took.Seconds() >= throughputSLO
	}
	if within {
		f.withinSLO.WithLabelValues(tenant, op, res).Inc()
	}
}

// ErrTooManyOutstanding is a tenant over max_outstanding_per_tenant.
var ErrTooManyOutstanding = &statusError{code: http.StatusTooManyRequests, msg: "too many outstanding requests"}

// statusError carries the HTTP status the API answers with.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string   { return e.msg }
func (e *statusError) HTTPStatus() int { return e.code }

// reserve takes one of the tenant's outstanding-job slots.
func (f *Frontend) reserve(tenant string) bool { return f.reserveN(tenant, 1) }

// reserveN takes n slots, or none.
func (f *Frontend) reserveN(tenant string, n int) bool {
	f.outMu.Lock()
	defer f.outMu.Unlock()
	if f.outstanding[tenant]+n > f.cfg.MaxOutstandingPerTenant {
		return false
	}
	f.outstanding[tenant] += n
	return true
}

func (f *Frontend) release(tenant string) {
	f.outMu.Lock()
	defer f.outMu.Unlock()
	if f.outstanding[tenant]--; f.outstanding[tenant] <= 0 {
		delete(f.outstanding, tenant)
	}
}

// TagNames answers a tag-names query with one job.
func (f *Frontend) TagNames(ctx context.Context, req querier.TagsRequest) (*querier.TagsResult, error) {
	start := f.opts.Now()
	res, err := runOne(f, ctx, req.Tenant, func(ctx context.Context) (*querier.TagsResult, error) { return f.exec.TagNames(ctx, req) })
	var n uint64
	if res != nil {
		n = res.InspectedBytes
	}
	f.observe(req.Tenant, opMetadata, err, f.opts.Now().Sub(start), n, 0, 0)
	return res, err
}

// TagValues answers a tag-values query with one job.
func (f *Frontend) TagValues(ctx context.Context, req querier.TagValuesRequest) (*querier.TagValuesResult, error) {
	start := f.opts.Now()
	res, err := runOne(f, ctx, req.Tenant, func(ctx context.Context) (*querier.TagValuesResult, error) { return f.exec.TagValues(ctx, req) })
	var n uint64
	if res != nil {
		n = res.InspectedBytes
	}
	f.observe(req.Tenant, opMetadata, err, f.opts.Now().Sub(start), n, 0, 0)
	return res, err
}

// runOne runs a single job under the tenant's outstanding limit, retried
// on source failures.
func runOne[T any](f *Frontend, ctx context.Context, tenant string, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	if !f.reserve(tenant) {
		return zero, ErrTooManyOutstanding
	}
	defer f.release(tenant)
	var res T
	var err error
	for try := 0; try <= f.cfg.MaxRetries; try++ {
		res, err = fn(ctx)
		if err == nil || !retryable(ctx, err) {
			break
		}
	}
	return res, err
}

// retryable: a job that failed for its sources (not the query, not the
// caller's cancellation, not a timeout) may succeed on another try.
func retryable(ctx context.Context, err error) bool {
	var inv *querier.InvalidRequestError
	var tl *querier.TooLargeError
	var se *statusError
	return ctx.Err() == nil && !errors.As(err, &inv) && !errors.As(err, &tl) && !errors.As(err, &se) &&
		!errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled)
}
