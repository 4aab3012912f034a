package querier

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/bloom"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

// tenantBlocks is a tenant's cached block list.
type tenantBlocks struct {
	mu      sync.Mutex
	metas   []*backend.BlockMeta
	fetched time.Time
}

// blocks returns the tenant's live blocks, reading the tenant index (or
// listing the bucket) at most every BlocklistMaxAge.
func (q *Querier) blocks(ctx context.Context, tenant string) ([]*backend.BlockMeta, error) {
	if q.be == nil {
		return nil, nil
	}
	q.listsMu.Lock()
	tb := q.blocklist[tenant]
	if tb == nil {
		tb = &tenantBlocks{}
		q.blocklist[tenant] = tb
	}
	q.listsMu.Unlock()

	tb.mu.Lock() // one refresh per tenant at a time; the others wait for it
	defer tb.mu.Unlock()
	if !tb.fetched.IsZero() && time.Since(tb.fetched) < q.cfg.BlocklistMaxAge {
		return tb.metas, nil
	}
	metas, _, err := q.be.BlockMetasMaxAge(ctx, tenant, q.cfg.IndexMaxAge)
	if err != nil {
		return nil, fmt.Errorf("list blocks of tenant %s: %w", tenant, err)
	}
	tb.metas, tb.fetched = metas, time.Now()
	return metas, nil
}

// blocklistAge is how old the tenant's cached block list is (0 if none).
func (q *Querier) blocklistAge(tenant string) time.Duration {
	q.listsMu.Lock()
	tb := q.blocklist[tenant]
	q.listsMu.Unlock()
	if tb == nil {
		return 0
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.fetched.IsZero() {
		return 0
	}
	return time.Since(tb.fetched)
}

// InvalidateBlocklist makes the next query of tenant read its block list
// again (e.g. right after a flush).
func (q *Querier) InvalidateBlocklist(tenant string) {
	q.listsMu.Lock()
	delete(q.blocklist, tenant)
	q.listsMu.Unlock()
}

// inRange keeps the blocks whose [startTime, endTime] overlaps [start, end]
// (zero bounds are open). Meta times are whole seconds, so a second of
// slack on each side keeps a block holding a span at the boundary.
func inRange(metas []*backend.BlockMeta, start, end time.Time) []*backend.BlockMeta {
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

// newestFirst orders blocks by end time, newest first: searches that stop at
// their limit then return recent traces.
func newestFirst(metas []*backend.BlockMeta) {
	sort.SliceStable(metas, func(i, j int) bool { return metas[i].EndTime.After(metas[j].EndTime) })
}

// blockHandle is an opened block: its parquet reader and bloom shards,
// loaded once and shared by queries.
type blockHandle struct {
	meta *backend.BlockMeta

	openOnce sync.Once
	reader   *vparquet.Reader
	openErr  error

	bloomMu sync.Mutex
	blooms  map[int][]byte
}

// dataBackend is where block m's data is read: a kept local copy when the
// live source has one, else the backend.
func (q *Querier) dataBackend(m *backend.BlockMeta) *backend.Backend {
	if lb, ok := q.live.(LocalBlocks); ok {
		if be, ok := lb.LocalBlock(m.TenantID, m.BlockID); ok {
			return be
		}
	}
	return q.be
}

// ForgetBlock drops the block's opened reader (its local copy is going
// away, or it changed); the next query opens it again.
func (q *Querier) ForgetBlock(id uuid.UUID) { q.readers.remove(id) }

func (q *Querier) handle(m *backend.BlockMeta) *blockHandle {
	if h, ok := q.readers.get(m.BlockID); ok {
		return h
	}
	return q.readers.add(m.BlockID, &blockHandle{meta: m, blooms: map[int][]byte{}})
}

// reader opens the block once. The reader outlives the request that opened
// it, so it is bound to a background context (object-store range reads
// would otherwise fail after that request ended).
func (h *blockHandle) open(be *backend.Backend) (*vparquet.Reader, error) {
	h.openOnce.Do(func() {
		h.reader, h.openErr = block.OpenParquet(context.Background(), be, h.meta)
	})
	return h.reader, h.openErr
}

// mayContain tests the block's bloom filter, reading each shard once.
func (h *blockHandle) mayContain(ctx context.Context, be *backend.Backend, id model.TraceID) (bool, error) {
	shard := bloom.ShardFor(id[:], int(h.meta.BloomShardCount))
	h.bloomMu.Lock()
	b, ok := h.blooms[shard]
	h.bloomMu.Unlock()
	if !ok {
		var err error
		b, err = be.ReadObject(ctx, h.meta.TenantID, h.meta.BlockID, backend.BloomName(shard))
		if err != nil {
			return false, fmt.Errorf("bloom shard %d: %w", shard, err)
		}
		h.bloomMu.Lock()
		h.blooms[shard] = b
		h.bloomMu.Unlock()
	}
	return bloom.Test(b, id[:])
}

// forEachBlock runs fn on each block with at most Concurrency at once,
// stopping early when ctx is done. fn's errors are the caller's to record.
func (q *Querier) forEachBlock(ctx context.Context, metas []*backend.BlockMeta, fn func(ctx context.Context, m *backend.BlockMeta)) {
	sem := make(chan struct{}, q.cfg.Concurrency)
	var wg sync.WaitGroup
	for _, m := range metas {
		select {
		case <-ctx.Done():
		case sem <- struct{}{}:
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(ctx, m)
		}()
	}
	wg.Wait()
}
