package frontend

import (
	"context"
	"time"

	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/traceql"
)

// Worker runs jobs on a querier in this process: at most
// max_concurrent_queries at once (the others wait their turn, in order),
// each within the querier's query_timeout.
type Worker struct {
	q   *querier.Querier
	cfg QuerierConfig
	sem chan struct{}
}

// NewWorker returns a Worker over q.
func NewWorker(q *querier.Querier, cfg QuerierConfig) *Worker {
	def := DefaultQuerierConfig()
	if cfg.MaxConcurrentQueries <= 0 {
		cfg.MaxConcurrentQueries = def.MaxConcurrentQueries
	}
	return &Worker{q: q, cfg: cfg, sem: make(chan struct{}, cfg.MaxConcurrentQueries)}
}

// acquire waits for a slot and applies the timeout; release with the
// returned function.
func (w *Worker) acquire(ctx context.Context, timeout time.Duration) (context.Context, func(), error) {
	select {
	case w.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	cancel := func() {}
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, timeout)
	}
	return ctx, func() { cancel(); <-w.sem }, nil
}

// RunSearchJob implements Executor.
func (w *Worker) RunSearchJob(ctx context.Context, req querier.SearchRequest, job querier.SearchJob) (*traceql.SearchResponse, error) {
	ctx, done, err := w.acquire(ctx, w.cfg.Search.QueryTimeout)
	if err != nil {
		return nil, err
	}
	defer done()
	return w.q.RunSearchJob(ctx, req, job)
}

// FindTraceByIDShard implements Executor.
func (w *Worker) FindTraceByIDShard(ctx context.Context, req querier.TraceByIDRequest) (*querier.TraceByIDResult, error) {
	ctx, done, err := w.acquire(ctx, w.cfg.TraceByID.QueryTimeout)
	if err != nil {
		return nil, err
	}
	defer done()
	return w.q.FindTraceByIDShard(ctx, req)
}

// TagNames implements Executor.
func (w *Worker) TagNames(ctx context.Context, req querier.TagsRequest) (*querier.TagsResult, error) {
	ctx, done, err := w.acquire(ctx, w.cfg.Search.QueryTimeout)
	if err != nil {
		return nil, err
	}
	defer done()
	return w.q.TagNames(ctx, req)
}

// TagValues implements Executor.
func (w *Worker) TagValues(ctx context.Context, req querier.TagValuesRequest) (*querier.TagValuesResult, error) {
	ctx, done, err := w.acquire(ctx, w.cfg.Search.QueryTimeout)
	if err != nil {
		return nil, err
	}
	defer done()
	return w.q.TagValues(ctx, req)
}
