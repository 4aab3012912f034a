package querier

import (
	"context"
	"sync"
	"time"

	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/traceql"
)

// DefaultSearchLimit is Tempo's default_result_limit.
const DefaultSearchLimit = 20

// SearchRequest is a TraceQL search, or a legacy tag search when Query is
// empty.
type SearchRequest struct {
	Tenant string
	Query  string
	// Legacy search: tags (all must match), trace duration bounds.
	Tags                     map[string]string
	MinDuration, MaxDuration time.Duration
	// Start and End bound the trace time range (zero = open).
	Start, End time.Time
	// Limit is the maximum number of traces (0 = DefaultSearchLimit).
	Limit int
	// SpansPerSpanSet is the spans listed per spanset (0 = unlimited).
	SpansPerSpanSet int
	// Progress, when set, reports partial results while the search runs.
	Progress *SearchProgress
}

// Search runs the query over live data and the tenant's blocks overlapping
// the time range, newest blocks first, and merges the results. Unless the
// query has the most_recent hint it stops once Limit traces were found.
func (q *Querier) Search(ctx context.Context, req SearchRequest) (*traceql.SearchResponse, error) {
	legacy := req.Query == ""
	text := req.Query
	if legacy {
		text = legacyQuery(req.Tags, req.MinDuration, req.MaxDuration)
	}
	root, err := traceql.Parse(text)
	if err != nil {
		return nil, &InvalidRequestError{err}
	}
	if root.IsMetrics() {
		return nil, &InvalidRequestError{traceql.ErrMetricsQuery}
	}
	limit := req.Limit
	if limit <= 0 {
		limit = DefaultSearchLimit
	}
	mostRecent := false
	if h, ok := root.Hint("most_recent"); ok && h.Type == traceql.TypeBoolean {
		mostRecent = h.B
	}
	opts := traceql.SearchOptions{Limit: limit, SpansPerSpanSet: req.SpansPerSpanSet, Start: req.Start, End: req.End}

	run := &searchRun{q: q, req: req, root: root, opts: opts, limit: limit, mostRecent: mostRecent,
		results: newResultSet(), metrics: &traceql.SearchMetrics{}}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	run.cancel = cancel

	// Live data first, then the block list: a trace that leaves memory in
	// between is in a block the list has (the ingester's flush hook
	// invalidates the list before dropping the trace).
	var live []otlpwire.TraceParts
	if q.hasLive() {
		live = q.live.Traces(req.Tenant)
	}
	var metas []*backend.BlockMeta
	if q.be != nil {
		all, err := q.blocks(ctx, req.Tenant)
		if err != nil {
			if canceled(ctx, err) {
				return nil, err
			}
			q.log.Warn("query could not list blocks", "tenant", req.Tenant, "err", err)
			run.srcs.fail(err)
		}
		metas = inRange(all, req.Start, req.End)
		newestFirst(metas)
	}
	run.metrics.TotalBlocks = uint32(len(metas))
	run.metrics.TotalJobs = uint32(len(metas))
	for _, m := range metas {
		run.metrics.TotalBlockBytes += m.Size
	}
	run.progress = req.Progress
	jobs := run.metrics.TotalJobs
	if q.hasLive() {
		jobs++
	}
	run.progress.AddTotals(jobs, run.metrics.TotalBlocks, run.metrics.TotalBlockBytes)
	if q.hasLive() {
		run.metrics.TotalJobs++
		run.searchLive(ctx, live)
	}
	if !run.done() {
		q.forEachBlock(ctx, metas, run.searchBlock)
	}
	if run.fatal != nil {
		return nil, run.fatal
	}
	if err := parentErr(ctx, run); err != nil {
		return nil, err
	}
	if err := run.srcs.err(); err != nil {
		return nil, err
	}
	resp := &traceql.SearchResponse{Traces: run.results.sorted(limit), Metrics: run.metrics}
	if legacy {
		for _, t := range resp.Traces {
			t.SpanSet, t.SpanSets, t.ServiceStats = nil, nil, nil
		}
	}
	q.bytesInspected.WithLabelValues(req.Tenant).Add(float64(run.metrics.InspectedBytes))
	return resp, nil
}

// parentErr is the caller's cancellation (not the early stop at limit).
func parentErr(ctx context.Context, run *searchRun) error {
	run.mu.Lock()
	stopped := run.stopped
	run.mu.Unlock()
	if stopped {
		return nil
	}
	return ctx.Err()
}

// searchRun is one search's shared state across its jobs.
type searchRun struct {
	q          *Querier
	req        SearchRequest
	root       *traceql.RootExpr
	opts       traceql.SearchOptions
	limit      int
	mostRecent bool
	cancel     context.CancelFunc

	mu      sync.Mutex
	results *resultSet
	metrics *traceql.SearchMetrics
	srcs    sourceErrors
	fatal   error
	stopped bool // enough results: remaining jobs were cancelled
	// progress, when set, is fed each source's answer (Search; a
	// RunSearchJob feeds its whole job instead).
	progress *SearchProgress
}

func (r *searchRun) done() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopped || r.fatal != nil
}

// collect merges one job's answer and stops the search once it has enough.
func (r *searchRun) collect(resp *traceql.SearchResponse, inspectedTraces uint32, inspectedBytes uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.progress != nil {
		work := traceql.SearchMetrics{InspectedTraces: inspectedTraces, InspectedBytes: inspectedBytes}
		if resp.Metrics != nil {
			work.InspectedSpans = resp.Metrics.InspectedSpans
		}
		r.progress.add(resp.Traces, r.limit, r.req.Query == "", work)
	}
	r.results.add(resp.Traces)
	r.metrics.CompletedJobs++
	r.metrics.InspectedTraces += inspectedTraces
	r.metrics.InspectedBytes += inspectedBytes
	if resp.Metrics != nil {
		r.metrics.InspectedSpans += resp.Metrics.InspectedSpans
	}
	if !r.mostRecent && r.results.len() >= r.limit && !r.stopped {
		r.stopped = true
		r.cancel()
	}
}

// queryFailed records an error that no other source can make up for.
func (r *searchRun) queryFailed(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fatal == nil {
		r.fatal = &InvalidRequestError{err}
		r.cancel()
	}
}

func (r *searchRun) searchLive(ctx context.Context, traces []otlpwire.TraceParts) {
	var bytes uint64 // of the traces the search examined
	resp, err := r.q.engine().ExecuteSearchExpr(ctx, r.root, r.q.liveFetcher(traces, &bytes), r.opts)
	if err != nil {
		if canceled(ctx, err) {
			return
		}
		r.queryFailed(err)
		return
	}
	r.srcs.ok()
	r.collect(resp, resp.Metrics.InspectedTraces, bytes)
}

// searchBlock searches a whole block.
func (r *searchRun) searchBlock(ctx context.Context, m *backend.BlockMeta) {
	r.searchBlockPart(ctx, m, 0, 0)
}

func (q *Querier) engine() *traceql.Engine { return traceql.NewEngine() }

// blockError marks a failure of the storage under the engine, as opposed to
// an error of the query itself.
type blockError struct{ err error }

func (e *blockError) Error() string { return e.err.Error() }
func (e *blockError) Unwrap() error { return e.err }

// blockFetcher wraps a block's fetcher so its errors are told apart.
type blockFetcher struct{ f traceql.Fetcher }

func (b blockFetcher) Fetch(ctx context.Context, req traceql.FetchRequest) (traceql.SpansetIterator, error) {
	it, err := b.f.Fetch(ctx, req)
	if err != nil {
		return nil, &blockError{err}
	}
	return blockIter{it}, nil
}

type blockIter struct{ traceql.SpansetIterator }

func (i blockIter) Next(ctx context.Context) (*traceql.Spanset, error) {
	ss, err := i.SpansetIterator.Next(ctx)
	if err != nil && ctx.Err() == nil {
		return nil, &blockError{err}
	}
	return ss, err
}
