package blocktools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
	"github.com/tempoctl/tempoctl/storage/vparquet/search"
	"github.com/tempoctl/tempoctl/traceql"
)

// SearchOptions bound a TraceQL search over a bucket.
type SearchOptions struct {
	// Start and End bound trace times; zero values leave the range open.
	Start, End time.Time
	// Limit is the maximum number of traces (default 20).
	Limit int
	// SpansPerSpanSet is the number of spans listed per spanset; 0 lists
	// them all (the API's default of 3 is the caller's to apply).
	SpansPerSpanSet int
	// OnBlockError, if set, is told about each block that could not be
	// read; the block is skipped. With no callback the error is dropped.
	OnBlockError func(meta *backend.BlockMeta, err error)
}

// ErrAllBlocksFailed is returned when no block of the search could be read.
var ErrAllBlocksFailed = errors.New("no block could be read")

// Search runs a TraceQL query over a tenant's blocks, newest blocks first,
// stopping once Limit distinct traces are found. A trace found in several
// blocks is merged as the API merges results from several sources. The
// response's metrics count blocks, bytes read and traces inspected.
// Parse and validation errors are returned as the traceql package's
// *ParseError / *ValidationError.
func Search(ctx context.Context, be *backend.Backend, tenant, query string, opts SearchOptions) (*traceql.SearchResponse, error) {
	root, err := traceql.Parse(query)
	if err != nil {
		return nil, err
	}
	if root.IsMetrics() {
		return nil, traceql.ErrMetricsQuery
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = 20
	}
	mostRecent := false
	if h, ok := root.Hint("most_recent"); ok && h.Type == traceql.TypeBoolean {
		mostRecent = h.B
	}
	metas, err := blocksInRange(ctx, be, tenant, opts.Start, opts.End)
	if err != nil {
		return nil, err
	}
	out := &traceql.SearchResponse{Traces: []*traceql.TraceSearchMetadata{}, Metrics: &traceql.SearchMetrics{}}
	m := out.Metrics
	m.TotalBlocks = uint32(len(metas))
	m.TotalJobs = uint32(len(metas))
	for _, meta := range metas {
		m.TotalBlockBytes += meta.Size
	}
	merged := newTraceMerger()
	failed := 0
	for _, meta := range metas {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !mostRecent && merged.len() >= limit {
			break
		}
		resp, st, err := searchBlock(ctx, be, meta, root, opts, limit)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var pe *traceql.ParseError
			var ve *traceql.ValidationError
			if errors.As(err, &pe) || errors.As(err, &ve) || errors.Is(err, traceql.ErrMetricsQuery) {
				return nil, err
			}
			failed++
			if opts.OnBlockError != nil {
				opts.OnBlockError(meta, err)
			}
			continue
		}
		m.CompletedJobs++
		m.InspectedBytes += st.InspectedBytes
		m.InspectedTraces += uint32(st.InspectedTraces)
		m.InspectedSpans += resp.Metrics.InspectedSpans
		for _, t := range resp.Traces {
			merged.add(t)
		}
	}
	if failed > 0 && failed == len(metas) {
		return nil, fmt.Errorf("%w: %d blocks of tenant %q", ErrAllBlocksFailed, failed, tenant)
	}
	out.Traces = merged.sorted(limit)
	return out, nil
}

// blocksInRange lists the tenant's live blocks whose meta range overlaps
// [start, end], newest first.
func blocksInRange(ctx context.Context, be *backend.Backend, tenant string, start, end time.Time) ([]*backend.BlockMeta, error) {
	metas, _, err := be.BlockMetas(ctx, tenant)
	if err != nil {
		return nil, fmt.Errorf("list blocks of %s: %w", tenant, err)
	}
	var out []*backend.BlockMeta
	for _, m := range metas {
		// meta times are whole seconds: a second of slack either way.
		if !end.IsZero() && m.StartTime.After(end.Add(time.Second)) {
			continue
		}
		if !start.IsZero() && m.EndTime.Add(time.Second).Before(start) {
			continue
		}
		out = append(out, m)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].EndTime.Equal(out[j].EndTime) {
			return out[i].EndTime.After(out[j].EndTime)
		}
		return bytes.Compare(out[i].BlockID[:], out[j].BlockID[:]) < 0
	})
	return out, nil
}

func searchBlock(ctx context.Context, be *backend.Backend, meta *backend.BlockMeta, root *traceql.RootExpr, opts SearchOptions, limit int) (*traceql.SearchResponse, search.Stats, error) {
	r, err := block.OpenParquet(ctx, be, meta)
	if err != nil {
		return nil, search.Stats{}, err
	}
	defer r.Close()
	f := search.NewFetcher(r)
	resp, err := traceql.NewEngine().ExecuteSearchExpr(ctx, root, f, traceql.SearchOptions{
		Limit: limit, SpansPerSpanSet: opts.SpansPerSpanSet, Start: opts.Start, End: opts.End,
	})
	if err != nil {
		return nil, f.Stats(), fmt.Errorf("block %s/%s: %w", meta.TenantID, meta.BlockID, err)
	}
	return resp, f.Stats(), nil
}

// openReaders opens the blocks as parquet readers, reporting failures.
func openReaders(ctx context.Context, be *backend.Backend, metas []*backend.BlockMeta, onErr func(*backend.BlockMeta, error)) []*vparquet.Reader {
	var out []*vparquet.Reader
	for _, m := range metas {
		r, err := block.OpenParquet(ctx, be, m)
		if err != nil {
			if onErr != nil {
				onErr(m, err)
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

// traceMerger combines search results for the same trace from several
// blocks (spec/traceql.md §9): earliest start, longest duration, first
// non-empty root names, per-service maximum of the stats, spansets unioned
// (of spansets with the same attributes the one with more matches stays).
type traceMerger struct {
	byID  map[string]*traceql.TraceSearchMetadata
	order []string
}

func newTraceMerger() *traceMerger {
	return &traceMerger{byID: map[string]*traceql.TraceSearchMetadata{}}
}

func (m *traceMerger) len() int { return len(m.order) }

func (m *traceMerger) add(t *traceql.TraceSearchMetadata) {
	cur, ok := m.byID[t.TraceID]
	if !ok {
		m.byID[t.TraceID] = t
		m.order = append(m.order, t.TraceID)
		return
	}
	MergeTraceResult(cur, t)
}

// sorted returns the traces newest first, at most limit.
func (m *traceMerger) sorted(limit int) []*traceql.TraceSearchMetadata {
	out := make([]*traceql.TraceSearchMetadata, 0, len(m.order))
	for _, id := range m.order {
		out = append(out, m.byID[id])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartTimeUnixNano > out[j].StartTimeUnixNano })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// MergeTraceResult folds src, a search result for the same trace found
// elsewhere, into dst.
func MergeTraceResult(dst, src *traceql.TraceSearchMetadata) {
	if src.StartTimeUnixNano != 0 && (dst.StartTimeUnixNano == 0 || src.StartTimeUnixNano < dst.StartTimeUnixNano) {
		dst.StartTimeUnixNano = src.StartTimeUnixNano
	}
	if src.DurationMs > dst.DurationMs {
		dst.DurationMs = src.DurationMs
	}
	if dst.RootServiceName == "" || dst.RootServiceName == traceql.RootSpanNotYetReceived {
		if src.RootServiceName != "" {
			dst.RootServiceName = src.RootServiceName
		}
	}
	if dst.RootTraceName == "" {
		dst.RootTraceName = src.RootTraceName
	}
	if len(src.ServiceStats) > 0 && dst.ServiceStats == nil {
		dst.ServiceStats = map[string]traceql.ServiceStats{}
	}
	for svc, s := range src.ServiceStats {
		d := dst.ServiceStats[svc]
		d.SpanCount = max(d.SpanCount, s.SpanCount)
		d.ErrorCount = max(d.ErrorCount, s.ErrorCount)
		dst.ServiceStats[svc] = d
	}
	for _, ss := range src.SpanSets {
		key := spansetKey(ss)
		found := false
		for i, have := range dst.SpanSets {
			if spansetKey(have) == key {
				found = true
				if ss.Matched > have.Matched {
					dst.SpanSets[i] = ss
				}
				break
			}
		}
		if !found {
			dst.SpanSets = append(dst.SpanSets, ss)
		}
	}
	if len(dst.SpanSets) > 0 {
		dst.SpanSet = dst.SpanSets[0]
	}
}

func spansetKey(ss *traceql.SpanSet) string {
	b, _ := json.Marshal(ss.Attributes)
	return string(b)
}
