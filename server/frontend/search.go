package frontend

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/traceql"
)

// Search runs a search as jobs and merges their answers.
func (f *Frontend) Search(ctx context.Context, req querier.SearchRequest) (*traceql.SearchResponse, error) {
	start := f.opts.Now()
	resp, err := f.search(ctx, req)
	var n uint64
	if resp != nil {
		n = resp.Metrics.InspectedBytes
	}
	f.observe(req.Tenant, opSearch, err, f.opts.Now().Sub(start), n, f.cfg.Search.DurationSLO, f.cfg.Search.ThroughputBytesSLO)
	return resp, err
}

func (f *Frontend) search(ctx context.Context, req querier.SearchRequest) (*traceql.SearchResponse, error) {
	sp, err := querier.PlanSearch(req)
	if err != nil {
		return nil, err
	}
	req.Limit = sp.Limit
	// Live data before the block list: see querier.LiveTraces.
	live := f.q.LiveTraces(req.Tenant)
	metas, listErr := f.q.Blocks(ctx, req.Tenant)
	if listErr != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		f.log.Warn("search could not list blocks", "tenant", req.Tenant, "err", listErr)
	}
	plan := f.planSearch(req.Start, req.End, metas, f.opts.Now())
	for i := range plan.jobs {
		if plan.jobs[i].Live {
			plan.jobs[i].LiveTraces = live
		}
	}
	// The jobs feed req.Progress their work as they end; the totals are
	// known only here, so streamed progress gets them before any job runs.
	req.Progress.AddTotals(plan.metrics.TotalJobs, plan.metrics.TotalBlocks, plan.metrics.TotalBlockBytes)
	run := &searchRun{f: f, req: req, sp: sp, merged: querier.NewMerger(), metrics: plan.metrics}
	if listErr != nil {
		run.failed, run.firstErr = 1, listErr
	}
	if err := run.run(ctx, plan.jobs); err != nil {
		return nil, err
	}
	f.q.CountInspectedBytes(req.Tenant, run.metrics.InspectedBytes)
	m := run.metrics
	return &traceql.SearchResponse{Traces: run.merged.Traces(sp.Limit), Metrics: &m}, nil
}

// searchRun is one search's state across its jobs.
type searchRun struct {
	f   *Frontend
	req querier.SearchRequest
	sp  querier.SearchPlan

	mu       sync.Mutex
	merged   *querier.Merger
	metrics  traceql.SearchMetrics
	stopped  bool  // limit reached: remaining jobs cancelled
	fatal    error // ends the search (bad query, timeout, throttled)
	failed   int   // jobs whose sources could not be read
	ok       int
	firstErr error
}

// run dispatches the jobs, at most concurrent_jobs at once, and waits.
func (r *searchRun) run(parent context.Context, jobs []querier.SearchJob) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	sem := make(chan struct{}, r.f.cfg.Search.ConcurrentJobs)
	var wg sync.WaitGroup
dispatch:
	for _, job := range jobs {
		select {
		case <-ctx.Done():
			break dispatch
		case sem <- struct{}{}:
		}
		if ctx.Err() != nil {
			<-sem
			break
		}
		if !r.f.reserve(r.req.Tenant) {
			<-sem
			r.fail(ErrTooManyOutstanding, cancel)
			break
		}
		wg.Add(1)
		go func() {
			defer func() { r.f.release(r.req.Tenant); <-sem; wg.Done() }()
			r.runJob(ctx, job, cancel)
		}()
	}
	wg.Wait()

	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.fatal != nil:
		return r.fatal
	case parent.Err() != nil:
		return parent.Err()
	case r.ok == 0 && r.failed > 0:
		return fmt.Errorf("every source failed: %w", r.firstErr)
	}
	return nil
}

// runJob runs one job (retried when its sources failed) and merges it.
func (r *searchRun) runJob(ctx context.Context, job querier.SearchJob, cancel context.CancelFunc) {
	var resp *traceql.SearchResponse
	var err error
	for try := 0; try <= r.f.cfg.MaxRetries; try++ {
		resp, err = r.f.exec.RunSearchJob(ctx, r.req, job)
		if err == nil || !retryable(ctx, err) {
			break
		}
	}
	switch {
	case err == nil:
		r.collect(resp, cancel)
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		// cancelled: the limit was reached or the caller gave up
	case !retryable(ctx, err):
		r.fail(err, cancel)
	default:
		r.mu.Lock()
		r.failed++
		if r.firstErr == nil {
			r.firstErr = err
		}
		r.mu.Unlock()
		r.f.log.Warn("search job failed", "tenant", r.req.Tenant, "err", err)
	}
}

// fail ends the search with err.
func (r *searchRun) fail(err error, cancel context.CancelFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fatal == nil {
		r.fatal = err
	}
	cancel()
}

// collect merges a job's answer and stops the search once it has enough.
func (r *searchRun) collect(resp *traceql.SearchResponse, cancel context.CancelFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ok++
	r.metrics.CompletedJobs++
	if m := resp.Metrics; m != nil {
		r.metrics.InspectedTraces += m.InspectedTraces
		r.metrics.InspectedBytes += m.InspectedBytes
		r.metrics.InspectedSpans += m.InspectedSpans
	}
	n := r.merged.Add(resp.Traces)
	if !r.sp.MostRecent && n >= r.sp.Limit && !r.stopped {
		r.stopped = true
		cancel()
	}
}
