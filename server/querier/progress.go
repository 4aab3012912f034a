package querier

import (
	"maps"
	"slices"
	"sync"

	"github.com/tempoctl/tempoctl/traceql"
)

// SearchProgress reads a search's partial results while it runs, for the
// streaming API: set SearchRequest.Progress, run Search in a goroutine and
// poll Diff. One SearchProgress may serve several searches in a row (the
// tenants of a multi-tenant read); its metrics then add up across them.
type SearchProgress struct {
	mu   sync.Mutex
	run  *searchRun
	base traceql.SearchMetrics // of the searches already finished
}

// attach starts reporting run (nil-safe: no progress asked for).
func (p *SearchProgress) attach(run *searchRun) {
	if p == nil {
		return
	}
	run.results.changed = map[string]struct{}{}
	p.mu.Lock()
	p.run = run
	p.mu.Unlock()
}

// finish stops reporting run before its results are handed out (and, for
// legacy searches, trimmed), keeping its metrics in the total.
func (p *SearchProgress) finish(run *searchRun) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.run != run {
		return
	}
	run.mu.Lock()
	addMetrics(&p.base, run.metrics)
	run.mu.Unlock()
	p.run = nil
}

// Diff returns the traces among the current best Limit results that are
// new or changed since the previous call (newest first, copies safe to
// keep) and the metrics so far.
func (p *SearchProgress) Diff() ([]*traceql.TraceSearchMetadata, traceql.SearchMetrics) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.base
	r := p.run
	if r == nil {
		return nil, m
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	addMetrics(&m, r.metrics)
	legacy := r.req.Query == ""
	var out []*traceql.TraceSearchMetadata
	for _, t := range r.results.sorted(r.limit) {
		if _, ok := r.results.changed[t.TraceID]; !ok {
			continue
		}
		// A trace outside the best Limit stays marked: it can only fall
		// further, but keeping it costs nothing.
		delete(r.results.changed, t.TraceID)
		out = append(out, cloneResult(t, legacy))
	}
	return out, m
}

// cloneResult copies what mergeTrace changes in place, so the copy can be
// encoded while the search goes on. Spansets are replaced, never changed.
func cloneResult(t *traceql.TraceSearchMetadata, legacy bool) *traceql.TraceSearchMetadata {
	c := *t
	if legacy {
		c.SpanSet, c.SpanSets, c.ServiceStats = nil, nil, nil
		return &c
	}
	c.SpanSets = slices.Clone(t.SpanSets)
	c.ServiceStats = maps.Clone(t.ServiceStats)
	return &c
}

func addMetrics(dst *traceql.SearchMetrics, x *traceql.SearchMetrics) {
	if x == nil {
		return
	}
	dst.InspectedTraces += x.InspectedTraces
	dst.InspectedBytes += x.InspectedBytes
	dst.TotalBlocks += x.TotalBlocks
	dst.CompletedJobs += x.CompletedJobs
	dst.TotalJobs += x.TotalJobs
	dst.TotalBlockBytes += x.TotalBlockBytes
	dst.InspectedSpans += x.InspectedSpans
}

// TagProgress reads a tag-name or tag-value query's partial results while
// it runs: set the request's Progress and poll Names or Values. Like
// SearchProgress it may serve several queries in a row.
type TagProgress struct {
	mu   sync.Mutex
	c    *collector
	base uint64 // bytes inspected by the queries already finished
}

func (p *TagProgress) attach(c *collector) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.c != nil {
		p.base += p.c.inspectedBytes()
	}
	p.c = c
}

func (p *TagProgress) current() (*collector, uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.c == nil {
		return nil, p.base
	}
	return p.c, p.base + p.c.inspectedBytes()
}

// Names returns the names found so far by scope (sorted; the static
// intrinsics are not included) and the bytes inspected.
func (p *TagProgress) Names() (map[string][]string, uint64) {
	c, n := p.current()
	if c == nil {
		return nil, n
	}
	return c.sortedNames(), n
}

// Values returns the values found so far (sorted) and the bytes inspected.
func (p *TagProgress) Values() ([]TagValue, uint64) {
	c, n := p.current()
	if c == nil {
		return nil, n
	}
	return c.sortedValues(), n
}
