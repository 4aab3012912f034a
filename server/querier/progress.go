package querier

import (
	"maps"
	"slices"
	"sync"

	"github.com/tempoctl/tempoctl/traceql"
)

// SearchProgress reads a search's partial results while it runs, for the
// streaming API: set SearchRequest.Progress, run the search in a goroutine
// and poll Diff. It is fed by Search as each source is read and by
// RunSearchJob as each job ends (a frontend passing the request through),
// and keeps its own merge of what it was fed; one SearchProgress may serve
// several searches in a row (the tenants of a multi-tenant read), whose
// results then merge and metrics add up.
type SearchProgress struct {
	mu      sync.Mutex
	rs      *resultSet
	limit   int
	metrics traceql.SearchMetrics
}

// AddTotals counts jobs, blocks and block bytes a search is going to read
// (the totals of its metrics).
func (p *SearchProgress) AddTotals(jobs, blocks uint32, blockBytes uint64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.metrics.TotalJobs += jobs
	p.metrics.TotalBlocks += blocks
	p.metrics.TotalBlockBytes += blockBytes
}

// add merges one finished job's traces (copied: the search goes on merging
// into its own) and counts its work.
func (p *SearchProgress) add(traces []*traceql.TraceSearchMetadata, limit int, legacy bool, work traceql.SearchMetrics) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rs == nil {
		p.rs = newResultSet()
		p.rs.changed = map[string]struct{}{}
	}
	p.limit = max(p.limit, limit)
	copies := make([]*traceql.TraceSearchMetadata, len(traces))
	for i, t := range traces {
		copies[i] = cloneResult(t, legacy)
	}
	p.rs.add(copies)
	work.CompletedJobs = 1
	addMetrics(&p.metrics, &work)
}

// Diff returns the traces among the current best Limit results that are
// new or changed since the previous call (newest first, copies safe to
// keep) and the metrics so far.
func (p *SearchProgress) Diff() ([]*traceql.TraceSearchMetadata, traceql.SearchMetrics) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rs == nil {
		return nil, p.metrics
	}
	var out []*traceql.TraceSearchMetadata
	for _, t := range p.rs.sorted(p.limit) {
		if _, ok := p.rs.changed[t.TraceID]; !ok {
			continue
		}
		// A trace outside the best Limit stays marked: it can only fall
		// further, but keeping it costs nothing.
		delete(p.rs.changed, t.TraceID)
		out = append(out, cloneResult(t, false))
	}
	return out, p.metrics
}

// cloneResult copies what mergeTrace changes in place, so the copy can be
// merged or encoded apart from the original. Spansets are replaced, never
// changed. legacy drops what legacy search answers leave out.
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
