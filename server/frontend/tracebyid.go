package frontend

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/storage/backend"
)

// FindTraceByID looks the trace up in shards run at once and combines the
// parts they found.
func (f *Frontend) FindTraceByID(ctx context.Context, req querier.TraceByIDRequest) (*querier.TraceByIDResult, error) {
	start := f.opts.Now()
	res, err := f.findTraceByID(ctx, req)
	var n uint64
	if res != nil {
		n = res.InspectedBytes
	}
	f.observe(req.Tenant, opTraces, err, f.opts.Now().Sub(start), n, f.cfg.TraceByID.DurationSLO, 0)
	return res, err
}

func (f *Frontend) findTraceByID(ctx context.Context, req querier.TraceByIDRequest) (*querier.TraceByIDResult, error) {
	mode := req.Mode
	if mode == "" {
		mode = querier.ModeAll
	}
	switch mode {
	case querier.ModeAll, querier.ModeBlocks, querier.ModeIngesters:
	default:
		return nil, &querier.InvalidRequestError{Err: fmt.Errorf("invalid value for mode %s", mode)}
	}
	var shards []querier.TraceByIDRequest
	if mode != querier.ModeBlocks {
		live := req
		live.Mode = querier.ModeIngesters
		shards = append(shards, live)
	}
	var metas []*backend.BlockMeta
	if mode != querier.ModeIngesters {
		var err error
		if metas, err = f.q.Blocks(ctx, req.Tenant); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			f.log.Warn("trace lookup could not list blocks", "tenant", req.Tenant, "err", err)
		}
		shards = append(shards, f.blockShards(req, metas)...)
	}
	results, err := f.runShards(ctx, req.Tenant, shards)
	if err != nil {
		return nil, err
	}
	if !anyFound(results) && mode != querier.ModeIngesters {
		// A trace flushed since the block list was read is neither live
		// nor in the list: on a miss read the list again (at most every
		// querier.MissRefresh) and look in the blocks it did not have.
		fresh, ok, err := f.q.RefreshBlocks(ctx, req.Tenant, querier.MissRefresh)
		if err == nil && ok {
			if added := newBlocks(metas, fresh); len(added) > 0 {
				more, err := f.runShards(ctx, req.Tenant, f.blockShards(req, added))
				if err != nil {
					return nil, err
				}
				results = append(results, more...)
			}
		}
	}
	return f.combine(req, results)
}

// blockShards splits the blocks into query_shards-1 shards by block-ID
// range (the first shard is the live data's); empty shards are left out.
func (f *Frontend) blockShards(req querier.TraceByIDRequest, metas []*backend.BlockMeta) []querier.TraceByIDRequest {
	n := max(f.cfg.TraceByID.QueryShards-1, 1)
	// The blocks in shard order (each shard's in list order), without a
	// list per shard: most of the n shards are empty.
	type placed struct {
		shard int
		m     *backend.BlockMeta
	}
	order := make([]placed, len(metas))
	for i, m := range metas {
		order[i] = placed{shardOf(m.BlockID, n), m}
	}
	slices.SortStableFunc(order, func(a, b placed) int { return a.shard - b.shard })
	sorted := make([]*backend.BlockMeta, len(order))
	for i, p := range order {
		sorted[i] = p.m
	}
	shards := 0
	for i := range order {
		if i == 0 || order[i].shard != order[i-1].shard {
			shards++
		}
	}
	out := make([]querier.TraceByIDRequest, 0, shards)
	for i := 0; i < len(order); {
		j := i + 1
		for j < len(order) && order[j].shard == order[i].shard {
			j++
		}
		s := req
		s.Mode = querier.ModeBlocks
		s.Blocks = sorted[i:j:j]
		s.BlockStart, s.BlockEnd = shardRange(order[i].shard, n)
		out = append(out, s)
		i = j
	}
	return out
}

// shardOf places a block ID in one of n equal ranges of the ID space (by
// its first 8 bytes).
func shardOf(id uuid.UUID, n int) int {
	if n <= 1 {
		return 0
	}
	return min(int(binary.BigEndian.Uint64(id[:8])/shardWidth(n)), n-1)
}

// shardRange is shard i's first and last block ID (inclusive).
func shardRange(i, n int) (start, end uuid.UUID) {
	if n <= 1 {
		return start, uuid.Max
	}
	w := shardWidth(n)
	binary.BigEndian.PutUint64(start[:8], uint64(i)*w)
	if i == n-1 {
		return start, uuid.Max
	}
	binary.BigEndian.PutUint64(end[:8], uint64(i+1)*w-1)
	for k := 8; k < 16; k++ {
		end[k] = 0xff
	}
	return start, end
}

// shardWidth is the width of one of n > 1 ranges of the first 8 bytes.
func shardWidth(n int) uint64 { return ^uint64(0)/uint64(n) + 1 }

func newBlocks(old, fresh []*backend.BlockMeta) []*backend.BlockMeta {
	seen := make(map[uuid.UUID]bool, len(old))
	for _, m := range old {
		seen[m.BlockID] = true
	}
	var out []*backend.BlockMeta
	for _, m := range fresh {
		if !seen[m.BlockID] {
			out = append(out, m)
		}
	}
	return out
}

type shardResult struct {
	res *querier.TraceByIDResult
	err error
}

// runShards runs every shard at once (the executor bounds how many work)
// and fails only when every shard failed.
func (f *Frontend) runShards(ctx context.Context, tenant string, shards []querier.TraceByIDRequest) ([]*querier.TraceByIDResult, error) {
	out := make([]shardResult, len(shards))
	if !f.reserveN(tenant, len(shards)) {
		return nil, ErrTooManyOutstanding
	}
	var wg sync.WaitGroup
	for i, s := range shards {
		wg.Add(1)
		go func() {
			defer func() { f.release(tenant); wg.Done() }()
			s.AllowPartial = true // the frontend decides on the combined size
			var res *querier.TraceByIDResult
			var err error
			for try := 0; try <= f.cfg.MaxRetries; try++ {
				res, err = f.exec.FindTraceByIDShard(ctx, s)
				if err == nil || !retryable(ctx, err) {
					break
				}
			}
			out[i] = shardResult{res, err}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var results []*querier.TraceByIDResult
	var firstErr error
	for _, r := range out {
		if r.err != nil {
			if !retryable(ctx, r.err) {
				return nil, r.err
			}
			if firstErr == nil {
				firstErr = r.err
			}
			f.log.Warn("trace lookup shard failed", "tenant", tenant, "err", r.err)
			continue
		}
		results = append(results, r.res)
	}
	if len(results) == 0 && firstErr != nil {
		return nil, fmt.Errorf("every source failed: %w", firstErr)
	}
	return results, nil
}

func anyFound(rs []*querier.TraceByIDResult) bool {
	for _, r := range rs {
		if r.Found {
			return true
		}
	}
	return false
}

// combine merges the shards' parts and applies max_bytes_per_trace: v1
// (no AllowPartial) fails with *querier.TooLargeError, v2 gets a trace cut
// to the limit with Partial set.
func (f *Frontend) combine(req querier.TraceByIDRequest, results []*querier.TraceByIDResult) (*querier.TraceByIDResult, error) {
	out, parts := sumShards(results)
	if len(parts) == 0 {
		return out, nil
	}
	f.q.CountInspectedBytes(req.Tenant, out.InspectedBytes)
	out.Found = true
	partial := out.Partial
	out.Partial, out.MaxBytes = false, 0 // set below from this frontend's limit
	combined := combineParts(parts)
	limit := 0
	if f.opts.MaxBytesPerTrace != nil {
		limit = f.opts.MaxBytesPerTrace(req.Tenant)
	}
	var sizer ptrace.ProtoMarshaler
	if limit > 0 && (partial || sizer.TracesSize(combined) > limit) {
		if !req.AllowPartial {
			return nil, &querier.TooLargeError{Max: limit}
		}
		if sizer.TracesSize(combined) > limit {
			combined = querier.CutTrace(parts, limit)
		}
		out.Partial, out.MaxBytes = true, limit
	}
	out.Trace = combined
	return out, nil
}
