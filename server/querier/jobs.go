package querier

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/vparquet/search"
	"github.com/tempoctl/tempoctl/traceql"
)

// This file holds what a query frontend (server/frontend) needs to split a
// query into jobs and run them here: the block list, one search job, one
// trace-by-ID shard, and the merge of job answers.

// Blocks returns the tenant's live blocks (the cached list, re-read at most
// every BlocklistMaxAge).
func (q *Querier) Blocks(ctx context.Context, tenant string) ([]*backend.BlockMeta, error) {
	return q.blocks(ctx, tenant)
}

// LiveTraces snapshots the tenant's live data (nil without an in-process
// ingester). A frontend takes it before reading the block list and hands it
// to the live job, so a trace flushed in between is seen in one or the
// other.
func (q *Querier) LiveTraces(tenant string) []otlpwire.TraceParts {
	if !q.hasLive() {
		return nil
	}
	return q.live.Traces(tenant)
}

// RefreshBlocks reads the tenant's block list again when the cached one is
// older than minAge (a trace flushed since may be in a block it lacks). ok
// is false when the list was fresh enough and nothing was read.
func (q *Querier) RefreshBlocks(ctx context.Context, tenant string, minAge time.Duration) (metas []*backend.BlockMeta, ok bool, err error) {
	if q.be == nil || q.blocklistAge(tenant) <= minAge {
		return nil, false, nil
	}
	q.InvalidateBlocklist(tenant)
	metas, err = q.blocks(ctx, tenant)
	return metas, err == nil, err
}

// MissRefresh is the least age of a block list re-read on a trace-by-ID miss.
const MissRefresh = missRefresh

// BlockByID finds one of the tenant's blocks: in the cached list, else by
// its meta.json (the list may predate the block).
func (q *Querier) BlockByID(ctx context.Context, tenant string, id uuid.UUID) (*backend.BlockMeta, error) {
	metas, err := q.blocks(ctx, tenant)
	if err != nil {
		return nil, err
	}
	for _, m := range metas {
		if m.BlockID == id {
			return m, nil
		}
	}
	if q.be == nil {
		return nil, fmt.Errorf("block %s/%s: no backend", tenant, id)
	}
	return q.be.ReadMeta(ctx, tenant, id)
}

// CountInspectedBytes adds to tempo_query_frontend_bytes_inspected_total:
// a frontend counts what its jobs read (the jobs themselves do not).
func (q *Querier) CountInspectedBytes(tenant string, n uint64) {
	q.bytesInspected.WithLabelValues(tenant).Add(float64(n))
}

// SearchJob is one shard of a search: the live data, or blocks (newest
// first). A job of one block may cover only some of its row groups.
type SearchJob struct {
	Live bool
	// LiveTraces, when set, is the live data to search, taken before the
	// block list was read (LiveTraces); else the job takes it when it runs.
	LiveTraces []otlpwire.TraceParts `json:"-"`
	Blocks     []*backend.BlockMeta
	// StartRowGroup and RowGroups restrict a one-block job to that many row
	// groups from StartRowGroup (RowGroups 0: to the last).
	StartRowGroup, RowGroups int
}

// SearchPlan is what a frontend needs to know of a search before running
// its jobs.
type SearchPlan struct {
	Limit int
	// MostRecent: the query's most_recent hint asks for the newest traces
	// of the whole range, so the search may not stop at Limit.
	MostRecent bool
	Legacy     bool
}

// PlanSearch checks the request (a bad query is *InvalidRequestError).
func PlanSearch(req SearchRequest) (SearchPlan, error) {
	_, p, err := parseSearch(req)
	return p, err
}

func parseSearch(req SearchRequest) (*traceql.RootExpr, SearchPlan, error) {
	p := SearchPlan{Limit: req.Limit, Legacy: req.Query == ""}
	text := req.Query
	if p.Legacy {
		text = legacyQuery(req.Tags, req.MinDuration, req.MaxDuration)
	}
	root, err := traceql.Parse(text)
	if err != nil {
		return nil, p, &InvalidRequestError{err}
	}
	if root.IsMetrics() {
		return nil, p, &InvalidRequestError{traceql.ErrMetricsQuery}
	}
	if p.Limit <= 0 {
		p.Limit = DefaultSearchLimit
	}
	if h, ok := root.Hint("most_recent"); ok && h.Type == traceql.TypeBoolean {
		p.MostRecent = h.B
	}
	return root, p, nil
}

// RunSearchJob runs one job and returns at most Limit traces. Its metrics
// hold what it inspected (traces, bytes, spans); the bytes are not added
// to tempo_query_frontend_bytes_inspected_total (the frontend does that).
// A query error is *InvalidRequestError; any other error means the job's
// sources could not be read.
func (q *Querier) RunSearchJob(ctx context.Context, req SearchRequest, job SearchJob) (*traceql.SearchResponse, error) {
	root, p, err := parseSearch(req)
	if err != nil {
		return nil, err
	}
	opts := traceql.SearchOptions{Limit: p.Limit, SpansPerSpanSet: req.SpansPerSpanSet, Start: req.Start, End: req.End}
	run := &searchRun{q: q, req: req, root: root, opts: opts, limit: p.Limit, mostRecent: p.MostRecent,
		results: newResultSet(), metrics: &traceql.SearchMetrics{}}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	run.cancel = cancel

	if job.Live && q.hasLive() {
		live := job.LiveTraces
		if live == nil {
			live = q.live.Traces(req.Tenant)
		}
		run.searchLive(ctx, live)
	}
	for _, m := range job.Blocks {
		if run.done() {
			break
		}
		start, count := 0, 0
		if len(job.Blocks) == 1 {
			start, count = job.StartRowGroup, job.RowGroups
		}
		run.searchBlockPart(ctx, m, start, count)
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
	run.mu.Lock()
	defer run.mu.Unlock()
	resp := &traceql.SearchResponse{Traces: run.results.sorted(p.Limit), Metrics: run.metrics}
	if p.Legacy {
		for _, t := range resp.Traces {
			t.SpanSet, t.SpanSets, t.ServiceStats = nil, nil, nil
		}
	}
	req.Progress.add(resp.Traces, p.Limit, p.Legacy, traceql.SearchMetrics{InspectedTraces: resp.Metrics.InspectedTraces,
		InspectedBytes: resp.Metrics.InspectedBytes, InspectedSpans: resp.Metrics.InspectedSpans})
	return resp, nil
}

// searchBlockPart searches count row groups of a block from start (count
// 0: to the last).
func (r *searchRun) searchBlockPart(ctx context.Context, m *backend.BlockMeta, start, count int) {
	resp, stats, err := r.q.searchRowGroups(ctx, m, r.root, r.opts, start, count)
	if err != nil {
		var be *blockError
		switch {
		case canceled(ctx, err):
		case errors.As(err, &be):
			r.q.blockFailed(r.req.Tenant, m, be.err)
			r.srcs.fail(be.err)
		default:
			r.queryFailed(err)
		}
		return
	}
	r.srcs.ok()
	r.collect(resp, uint32(stats.InspectedTraces), stats.InspectedBytes)
}

func (q *Querier) searchRowGroups(ctx context.Context, m *backend.BlockMeta, root *traceql.RootExpr, opts traceql.SearchOptions, start, count int) (resp *traceql.SearchResponse, stats search.Stats, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &blockError{fmt.Errorf("block %s/%s: corrupt data: %v", m.TenantID, m.BlockID, p)}
		}
	}()
	if q.be == nil {
		return nil, stats, &blockError{fmt.Errorf("block %s/%s: no backend", m.TenantID, m.BlockID)}
	}
	r, err := q.handle(m).open(q.dataBackend(m))
	if err != nil {
		return nil, stats, &blockError{err}
	}
	f := search.NewFetcher(r).RowGroups(start, count)
	resp, err = q.engine().ExecuteSearchExpr(ctx, root, blockFetcher{f}, opts)
	return resp, f.Stats(), err
}

// Merger merges job answers of one search as they arrive (the same merge
// as MergeSearchResponses: a trace found by several jobs becomes one).
// Not safe for concurrent use.
type Merger struct{ rs *resultSet }

// NewMerger returns an empty Merger.
func NewMerger() *Merger { return &Merger{rs: newResultSet()} }

// Add merges traces in and returns how many distinct traces there are.
func (m *Merger) Add(traces []*traceql.TraceSearchMetadata) int {
	m.rs.add(traces)
	return m.rs.len()
}

// Len is the number of distinct traces so far.
func (m *Merger) Len() int { return m.rs.len() }

// Traces returns at most limit traces (0: all), newest start first.
func (m *Merger) Traces(limit int) []*traceql.TraceSearchMetadata { return m.rs.sorted(limit) }
