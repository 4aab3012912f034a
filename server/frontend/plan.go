package frontend

import (
	"sort"
	"time"

	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/traceql"
)

// searchPlan is a search split into jobs, in dispatch order.
type searchPlan struct {
	jobs    []querier.SearchJob
	metrics traceql.SearchMetrics // totals known before any job runs
}

// planSearch splits a search over [start, end] (zero: open) into a live
// job and backend jobs. Live data is searched when the range reaches into
// the last query_ingesters_until. Every block overlapping the range is
// searched: tempoctl's ingesters keep no copy of a block once flushed, so
// leaving out blocks newer than query_backend_after would hide traces just
// flushed.
func (f *Frontend) planSearch(start, end time.Time, metas []*backend.BlockMeta, now time.Time) searchPlan {
	var p searchPlan
	until := f.cfg.Search.QueryIngestersUntil
	if until <= 0 || end.IsZero() || end.After(now.Add(-until)) {
		p.jobs = append(p.jobs, querier.SearchJob{Live: true})
	}
	blocks := overlapping(metas, start, end)
	// Newest first: a search that stops at its limit keeps recent traces.
	sort.SliceStable(blocks, func(i, j int) bool { return blocks[i].EndTime.After(blocks[j].EndTime) })
	for _, m := range blocks {
		p.metrics.TotalBlocks++
		p.metrics.TotalBlockBytes += m.Size
		p.jobs = append(p.jobs, splitBlock(m, uint64(f.cfg.Search.TargetBytesPerJob))...)
	}
	p.metrics.TotalJobs = uint32(len(p.jobs))
	return p
}

// splitBlock cuts a block larger than target into jobs of whole row
// groups of about target bytes each (row groups are assumed of equal
// size: meta.json has the block size and totalRecords, the row-group
// count). A smaller block is one job: blocks are never grouped, so every
// block can be searched in parallel and a search stopping at its limit
// stops between blocks.
func splitBlock(m *backend.BlockMeta, target uint64) []querier.SearchJob {
	rgs := uint64(m.TotalRecords)
	if rgs <= 1 || target == 0 || m.Size <= target {
		return []querier.SearchJob{{Blocks: []*backend.BlockMeta{m}}}
	}
	perRG := max(m.Size/rgs, 1)
	per := max(target/perRG, 1)
	jobs := make([]querier.SearchJob, 0, (rgs+per-1)/per)
	for s := uint64(0); s < rgs; s += per {
		jobs = append(jobs, querier.SearchJob{Blocks: []*backend.BlockMeta{m}, StartRowGroup: int(s), RowGroups: int(min(per, rgs-s))})
	}
	return jobs
}

// overlapping keeps the blocks whose [startTime, endTime] overlaps
// [start, end] (zero bounds are open). Meta times are whole seconds, so a
// second of slack on each side keeps a block holding a span at the edge.
func overlapping(metas []*backend.BlockMeta, start, end time.Time) []*backend.BlockMeta {
	out := make([]*backend.BlockMeta, 0, len(metas))
	for _, m := range metas {
		if !end.IsZero() && !m.StartTime.IsZero() && m.StartTime.Add(-time.Second).After(end) {
			continue
		}
		if !start.IsZero() && !m.EndTime.IsZero() && m.EndTime.Add(time.Second).Before(start) {
			continue
		}
		out = append(out, m)
	}
	return out
}
