package tui

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/blocktools"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/traceql"
)

// BucketSource reads one tenant's blocks straight from object storage.
type BucketSource struct {
	be     *backend.Backend
	tenant string
	name   string

	// search is the bucket search in use; blocktools will grow a real one
	// (pushed-down column reads), and then only this field changes.
	search func(ctx context.Context, be *backend.Backend, tenant, query string, start, end time.Time, limit int) (*traceql.SearchResponse, error)

	mu   sync.Mutex
	tags map[[2]int64]*tagIndex // by time window, so completion matches what search sees
}

// NewBucketSource browses tenant in be; name describes the bucket.
func NewBucketSource(be *backend.Backend, tenant, name string) *BucketSource {
	return &BucketSource{be: be, tenant: tenant, name: name, search: scanSearch, tags: map[[2]int64]*tagIndex{}}
}

// Name implements Source.
func (s *BucketSource) Name() string { return s.name }

// Search implements Source.
func (s *BucketSource) Search(ctx context.Context, query string, start, end time.Time, limit int) (*traceql.SearchResponse, error) {
	return s.search(ctx, s.be, s.tenant, query, start, end, limit)
}

// Trace implements Source.
func (s *BucketSource) Trace(ctx context.Context, id model.TraceID) (ptrace.Traces, error) {
	res, err := blocktools.FindTrace(ctx, s.be, s.tenant, id)
	if err != nil {
		return ptrace.Traces{}, err
	}
	if !res.Found {
		if len(res.Errors) > 0 {
			return ptrace.Traces{}, fmt.Errorf("%w (%d unreadable blocks: %v)", ErrTraceNotFound, len(res.Errors), res.Errors[0])
		}
		return ptrace.Traces{}, ErrTraceNotFound
	}
	return res.Trace, nil
}

// Tags implements Source: names seen in the traces of the window's blocks.
func (s *BucketSource) Tags(ctx context.Context, start, end time.Time) ([]string, error) {
	ix, err := s.index(ctx, start, end)
	if err != nil {
		return nil, err
	}
	return ix.names(), nil
}

// TagValues implements Source.
func (s *BucketSource) TagValues(ctx context.Context, tag string, start, end time.Time) ([]string, error) {
	ix, err := s.index(ctx, start, end)
	if err != nil {
		return nil, err
	}
	return ix.valuesOf(tag), nil
}

func (s *BucketSource) index(ctx context.Context, start, end time.Time) (*tagIndex, error) {
	// Round the window to minutes so a relative range ("last 1h") that moves
	// with the clock reuses its index.
	key := [2]int64{start.Truncate(time.Minute).Unix(), end.Truncate(time.Minute).Unix()}
	s.mu.Lock()
	ix, ok := s.tags[key]
	s.mu.Unlock()
	if ok {
		return ix, nil
	}
	ix = newTagIndex()
	metas, err := blocksInWindow(ctx, s.be, s.tenant, start, end)
	if err != nil {
		return nil, err
	}
	errStop := errors.New("enough traces")
	for _, m := range metas {
		err := iterateBlock(ctx, s.be, m, func(_ model.TraceID, td ptrace.Traces) error {
			ix.addTrace(td)
			if ix.full() {
				return errStop
			}
			return nil
		})
		if errors.Is(err, errStop) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	s.tags[key] = ix
	s.mu.Unlock()
	return ix, nil
}

// blocksInWindow lists the tenant's live blocks overlapping [start, end],
// newest first so a limited search returns recent traces.
func blocksInWindow(ctx context.Context, be *backend.Backend, tenant string, start, end time.Time) ([]*backend.BlockMeta, error) {
	metas, _, err := be.BlockMetas(ctx, tenant)
	if err != nil {
		return nil, fmt.Errorf("list blocks of %s: %w", tenant, err)
	}
	var out []*backend.BlockMeta
	for _, m := range metas {
		// Meta times are whole seconds: widen by one so edge traces stay in.
		if !end.IsZero() && m.StartTime.After(end.Add(time.Second)) {
			continue
		}
		if !start.IsZero() && m.EndTime.Add(time.Second).Before(start) {
			continue
		}
		out = append(out, m)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].EndTime.After(out[j].EndTime) })
	return out, nil
}

func iterateBlock(ctx context.Context, be *backend.Backend, m *backend.BlockMeta, fn func(model.TraceID, ptrace.Traces) error) error {
	r, err := block.Open(ctx, be, m)
	if err != nil {
		return err
	}
	defer r.Close()
	return r.Iterate(ctx, fn)
}

// scanBatch is how many traces are evaluated per engine run: large enough to
// amortise the run, small enough to bound memory on big blocks.
const scanBatch = 512

// scanSearch is a TraceQL search that reads whole traces from the blocks
// overlapping the window and evaluates them in memory. Blocks whose time
// ranges overlap are k-way merged by trace ID first, so a trace split across
// blocks is evaluated whole (a structural query can match across its parts);
// groups are read newest first, so a limited search shows recent traces.
func scanSearch(ctx context.Context, be *backend.Backend, tenant, query string, start, end time.Time, limit int) (*traceql.SearchResponse, error) {
	root, err := traceql.Parse(query)
	if err != nil {
		return nil, err
	}
	if root.IsMetrics() {
		return nil, traceql.ErrMetricsQuery
	}
	if limit <= 0 {
		limit = 20
	}
	metas, err := blocksInWindow(ctx, be, tenant, start, end)
	if err != nil {
		return nil, err
	}
	groups := overlapGroups(metas)
	eng := traceql.NewEngine()
	opts := traceql.SearchOptions{Limit: scanBatch, SpansPerSpanSet: defaultSpss, Start: start, End: end}
	out := &traceql.SearchResponse{Traces: []*traceql.TraceSearchMetadata{}, Metrics: &traceql.SearchMetrics{
		TotalBlocks: uint32(len(metas)), TotalJobs: uint32(len(groups)),
	}}
	byID := map[string]*traceql.TraceSearchMetadata{}
	var batch []ptrace.Traces
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		resp, err := eng.ExecuteSearchExpr(ctx, root, traceql.NewMemoryFetcher(batch...), opts)
		batch = batch[:0]
		if err != nil {
			return err
		}
		out.Metrics.InspectedTraces += resp.Metrics.InspectedTraces
		out.Metrics.InspectedSpans += resp.Metrics.InspectedSpans
		for _, t := range resp.Traces {
			if prev, ok := byID[t.TraceID]; ok {
				mergeSearchMetadata(prev, t)
				continue
			}
			byID[t.TraceID] = t
			out.Traces = append(out.Traces, t)
		}
		return nil
	}
	errLimit := errors.New("limit reached")
	for _, g := range groups {
		err := searchGroup(ctx, be, g, func(td ptrace.Traces) error {
			batch = append(batch, td)
			if len(batch) < scanBatch {
				return nil
			}
			if err := flush(); err != nil {
				return err
			}
			if len(out.Traces) >= limit {
				return errLimit
			}
			return nil
		})
		for _, m := range g {
			out.Metrics.InspectedBytes += m.Size
			out.Metrics.TotalBlockBytes += m.Size
		}
		if errors.Is(err, errLimit) {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := flush(); err != nil {
			return nil, err
		}
		out.Metrics.CompletedJobs++
		if len(out.Traces) >= limit {
			break
		}
	}
	sort.SliceStable(out.Traces, func(i, j int) bool {
		return out.Traces[i].StartTimeUnixNano > out.Traces[j].StartTimeUnixNano
	})
	if len(out.Traces) > limit {
		out.Traces = out.Traces[:limit]
	}
	return out, nil
}

// searchGroup streams the whole traces of a group of blocks.
func searchGroup(ctx context.Context, be *backend.Backend, g []*backend.BlockMeta, fn func(ptrace.Traces) error) error {
	var sources []blocktools.TraceSource
	for _, m := range g {
		r, err := block.Open(ctx, be, m)
		if err != nil {
			return err
		}
		defer r.Close()
		sources = append(sources, blocktools.ReaderSource(r))
	}
	_, err := blocktools.Merge(ctx, sources, func(_ model.TraceID, td ptrace.Traces) error { return fn(td) })
	return err
}

// overlapGroups splits blocks into groups of (transitively) overlapping
// time ranges, newest group first: parts of one trace carry the trace's
// times, so they land in one group.
func overlapGroups(metas []*backend.BlockMeta) [][]*backend.BlockMeta {
	sorted := append([]*backend.BlockMeta(nil), metas...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].StartTime.Before(sorted[j].StartTime) })
	var groups [][]*backend.BlockMeta
	var end time.Time
	for _, m := range sorted {
		if len(groups) > 0 && !m.StartTime.After(end.Add(time.Second)) {
			groups[len(groups)-1] = append(groups[len(groups)-1], m)
		} else {
			groups = append(groups, []*backend.BlockMeta{m})
			end = time.Time{}
		}
		if m.EndTime.After(end) {
			end = m.EndTime
		}
	}
	for i, j := 0, len(groups)-1; i < j; i, j = i+1, j-1 {
		groups[i], groups[j] = groups[j], groups[i]
	}
	return groups
}

// mergeSearchMetadata folds a second part of a trace (from blocks in
// another group) into the first, as Tempo's frontend combines results.
func mergeSearchMetadata(dst, src *traceql.TraceSearchMetadata) {
	if (dst.RootServiceName == "" || dst.RootServiceName == traceql.RootSpanNotYetReceived) && src.RootServiceName != traceql.RootSpanNotYetReceived {
		dst.RootServiceName, dst.RootTraceName = src.RootServiceName, src.RootTraceName
	}
	dEnd := dst.StartTimeUnixNano + uint64(dst.DurationMs)*uint64(time.Millisecond)
	sEnd := src.StartTimeUnixNano + uint64(src.DurationMs)*uint64(time.Millisecond)
	if src.StartTimeUnixNano != 0 && (dst.StartTimeUnixNano == 0 || src.StartTimeUnixNano < dst.StartTimeUnixNano) {
		dst.StartTimeUnixNano = src.StartTimeUnixNano
	}
	dst.DurationMs = uint32((max(dEnd, sEnd) - dst.StartTimeUnixNano) / uint64(time.Millisecond))
	if dst.ServiceStats == nil {
		dst.ServiceStats = map[string]traceql.ServiceStats{}
	}
	for k, v := range src.ServiceStats {
		st := dst.ServiceStats[k]
		st.SpanCount += v.SpanCount
		st.ErrorCount += v.ErrorCount
		dst.ServiceStats[k] = st
	}
	dst.SpanSets = append(dst.SpanSets, src.SpanSets...)
}
