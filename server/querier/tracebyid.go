package querier

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
)

// Trace-by-ID modes (the API's `mode` parameter).
const (
	ModeAll       = "all"
	ModeBlocks    = "blocks"
	ModeIngesters = "ingesters"
)

// missRefresh is the least age of a block list re-read on a trace-by-ID miss.
const missRefresh = 250 * time.Millisecond

// TraceByIDRequest asks for one trace.
type TraceByIDRequest struct {
	Tenant string
	ID     model.TraceID
	// Start and End restrict the blocks searched to those overlapping the
	// range (zero = all blocks). Live data is always searched.
	Start, End time.Time
	// Mode is ModeAll (default), ModeBlocks or ModeIngesters.
	Mode string
	// AllowPartial returns a trace cut at max_bytes_per_trace with Partial
	// set (v2) instead of a *TooLargeError (v1).
	AllowPartial bool

	// A query frontend's shard: Blocks, when not nil, are the blocks to
	// look in (the block list is then neither read nor re-read on a miss);
	// BlockStart..BlockEnd (inclusive, when BlockEnd is not zero) restricts
	// the blocks to that ID range (spec/http-api.md §7.3 blockStart/End).
	Blocks               []*backend.BlockMeta
	BlockStart, BlockEnd uuid.UUID
}

// TraceByIDResult is a trace combined from every place holding part of it.
type TraceByIDResult struct {
	Trace ptrace.Traces
	Found bool
	// Partial is set when the trace was cut at MaxBytes.
	Partial  bool
	MaxBytes int
	// InspectedBytes is the protobuf size of the parts read.
	InspectedBytes uint64
	// BlocksSearched passed the time range and bloom filter; FailedBlocks
	// could not be read and were skipped.
	BlocksSearched, FailedBlocks int
}

// FindTraceByID looks id up in live data and in the tenant's blocks (bloom
// filter first), and combines the parts, dropping duplicate spans.
func (q *Querier) FindTraceByID(ctx context.Context, req TraceByIDRequest) (*TraceByIDResult, error) {
	res, err := q.FindTraceByIDShard(ctx, req)
	if err == nil && res.Found {
		q.bytesInspected.WithLabelValues(req.Tenant).Add(float64(res.InspectedBytes))
	}
	return res, err
}

// FindTraceByIDShard is FindTraceByID without counting the bytes read in
// tempo_query_frontend_bytes_inspected_total: a frontend running shards
// counts their sum.
func (q *Querier) FindTraceByIDShard(ctx context.Context, req TraceByIDRequest) (*TraceByIDResult, error) {
	mode := req.Mode
	if mode == "" {
		mode = ModeAll
	}
	switch mode {
	case ModeAll, ModeBlocks, ModeIngesters:
	default:
		return nil, &InvalidRequestError{fmt.Errorf("invalid value for mode %s", mode)}
	}
	var (
		parts []ptrace.Traces
		srcs  sourceErrors
		res   = &TraceByIDResult{}
		sizer ptrace.ProtoMarshaler
	)
	// Sources are the places that may hold the trace: live data when it has
	// a part, blocks whose bloom filter passed (or could not be read).
	if mode != ModeBlocks && q.hasLive() {
		if td, ok := q.live.FindTraceByID(req.Tenant, req.ID); ok {
			srcs.ok()
			parts = append(parts, td)
		}
	}
	if mode != ModeIngesters && q.be != nil {
		blockParts, err := q.traceFromBlocks(ctx, req, res, &srcs)
		if err != nil {
			return nil, err
		}
		parts = append(parts, blockParts...)
		// A trace flushed since the block list was read is neither live
		// nor in the cached list: on a miss, read the list again (at most
		// every missRefresh) and look once more.
		if len(parts) == 0 && req.Blocks == nil && q.blocklistAge(req.Tenant) > missRefresh {
			q.InvalidateBlocklist(req.Tenant)
			if blockParts, err = q.traceFromBlocks(ctx, req, res, &srcs); err != nil {
				return nil, err
			}
			parts = append(parts, blockParts...)
		}
	}
	if err := srcs.err(); err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		return res, nil
	}
	for _, p := range parts {
		res.InspectedBytes += uint64(sizer.TracesSize(p))
	}
	res.Found = true
	max := 0
	if q.cfg.MaxBytesPerTrace != nil {
		max = q.cfg.MaxBytesPerTrace(req.Tenant)
	}
	if max > 0 && res.InspectedBytes > uint64(max) {
		// The parts may overlap, so only the combined size decides.
		combined := model.Combine(parts...)
		if sizer.TracesSize(combined) <= max {
			res.Trace = combined
			return res, nil
		}
		if !req.AllowPartial {
			return nil, &TooLargeError{Max: max}
		}
		res.Trace, res.Partial, res.MaxBytes = cutAt(parts, max), true, max
		return res, nil
	}
	if len(parts) == 1 {
		res.Trace = dedup(parts[0])
	} else {
		res.Trace = model.Combine(parts...)
	}
	return res, nil
}

// dedup drops duplicate spans within one part (Zipkin shared IDs, a retried
// push) only when there are any, to avoid a copy in the common case.
func dedup(td ptrace.Traces) ptrace.Traces {
	type key struct {
		id   [8]byte
		kind ptrace.SpanKind
	}
	seen := make(map[key]struct{}, td.SpanCount())
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				kk := key{sp.SpanID(), sp.Kind()}
				if _, dup := seen[kk]; dup {
					return model.Combine(td)
				}
				seen[kk] = struct{}{}
			}
		}
	}
	return td
}

// CutTrace combines parts in order while the result stays within max
// bytes (a partial trace; a frontend cuts its shards' answers with it).
func CutTrace(parts []ptrace.Traces, max int) ptrace.Traces { return cutAt(parts, max) }

// cutAt combines parts in order while the result stays within max bytes.
func cutAt(parts []ptrace.Traces, max int) ptrace.Traces {
	var sizer ptrace.ProtoMarshaler
	out := ptrace.NewTraces()
	var kept []ptrace.Traces
	for _, p := range parts {
		next := model.Combine(append(kept, p)...)
		if sizer.TracesSize(next) > max {
			if len(kept) == 0 {
				return truncateSpans(p, max)
			}
			break
		}
		kept = append(kept, p)
		out = next
	}
	return out
}

// truncateSpans keeps as many of the first spans of one part as fit in max
// bytes, so a single oversized part still yields a partial trace.
func truncateSpans(td ptrace.Traces, max int) ptrace.Traces {
	var sizer ptrace.ProtoMarshaler
	lo, hi := 0, td.SpanCount() // the answer is in [lo, hi]
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if sizer.TracesSize(firstSpans(td, mid)) <= max {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return firstSpans(td, lo)
}

// firstSpans copies the first n spans of td with their resources and scopes.
func firstSpans(td ptrace.Traces, n int) ptrace.Traces {
	out := ptrace.NewTraces()
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len() && n > 0; i++ {
		rs := rss.At(i)
		ors := out.ResourceSpans().AppendEmpty()
		rs.Resource().CopyTo(ors.Resource())
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len() && n > 0; j++ {
			ss := sss.At(j)
			oss := ors.ScopeSpans().AppendEmpty()
			ss.Scope().CopyTo(oss.Scope())
			spans := ss.Spans()
			for k := 0; k < spans.Len() && n > 0; k++ {
				spans.At(k).CopyTo(oss.Spans().AppendEmpty())
				n--
			}
		}
	}
	return out
}

// traceFromBlocks returns the parts of the trace held by blocks, newest
// block first.
func (q *Querier) traceFromBlocks(ctx context.Context, req TraceByIDRequest, res *TraceByIDResult, srcs *sourceErrors) ([]ptrace.Traces, error) {
	metas, err := req.Blocks, error(nil)
	if metas == nil {
		metas, err = q.blocks(ctx, req.Tenant)
	}
	if err != nil {
		if canceled(ctx, err) {
			return nil, err
		}
		q.log.Warn("query could not list blocks", "tenant", req.Tenant, "err", err)
		srcs.fail(err)
		return nil, nil
	}
	metas = inRange(metas, req.Start, req.End)
	if req.BlockEnd != (uuid.UUID{}) {
		metas = slices.DeleteFunc(metas, func(m *backend.BlockMeta) bool {
			return bytes.Compare(m.BlockID[:], req.BlockStart[:]) < 0 || bytes.Compare(m.BlockID[:], req.BlockEnd[:]) > 0
		})
	}
	newestFirst(metas)

	// Bloom filters first (cached, cheap); then read the candidates.
	var cands []*backend.BlockMeta
	for _, m := range metas {
		ok, err := q.handle(m).mayContain(ctx, q.be, req.ID)
		if err != nil {
			if canceled(ctx, err) {
				return nil, err
			}
			q.blockFailed(req.Tenant, m, err)
			res.FailedBlocks++
			srcs.fail(err)
			continue
		}
		if ok {
			cands = append(cands, m)
		}
	}
	res.BlocksSearched = len(cands)
	if len(cands) == 0 {
		return nil, ctx.Err()
	}
	found := make([]ptrace.Traces, len(cands))
	ok := make([]bool, len(cands))
	var mu sync.Mutex
	read := func(ctx context.Context, m *backend.BlockMeta) {
		i := indexOf(cands, m)
		td, hit, err := q.findInBlock(ctx, m, req.ID)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if canceled(ctx, err) {
				return
			}
			q.blockFailed(req.Tenant, m, err)
			res.FailedBlocks++
			srcs.fail(err)
			return
		}
		srcs.ok()
		found[i], ok[i] = td, hit
	}
	if len(cands) == 1 {
		// Usually one block passes the bloom filter: read it here, not on
		// a goroutine of its own.
		if ctx.Err() == nil {
			read(ctx, cands[0])
		}
	} else {
		q.forEachBlock(ctx, cands, read)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	parts := found[:0]
	for i, td := range found {
		if ok[i] {
			parts = append(parts, td)
		}
	}
	return parts, nil
}

func indexOf(ms []*backend.BlockMeta, m *backend.BlockMeta) int {
	for i, x := range ms {
		if x == m {
			return i
		}
	}
	return -1
}

func (q *Querier) findInBlock(ctx context.Context, m *backend.BlockMeta, id model.TraceID) (ptrace.Traces, bool, error) {
	r, err := q.handle(m).open(q.dataBackend(m))
	if err != nil {
		return ptrace.Traces{}, false, err
	}
	// The caller tested the bloom filter (its shards are cached here).
	return r.Lookup(ctx, id)
}
