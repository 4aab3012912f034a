package querier

import (
	"context"
	"math"
	"runtime"
	"strings"
	"sync"
	"weak"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model/otlpwire"
)

// Tag queries over live data without a filter read each ingested request
// (a batch: immutable once pushed) once and keep what it holds — its time
// bounds, its attribute names and the values of recently asked attributes
// — so later tag queries cost a map lookup per batch instead of decoding
// every live trace again (Grafana asks for tags on every keystroke).

// batchTags is what one batch holds for tag queries.
type batchTags struct {
	once       sync.Once
	ok         bool // decoded
	start, end uint64
	names      map[string][]string // by scope

	mu     sync.Mutex
	values map[valueTarget][]TagValue // nil entry: too many to keep
}

// maxCachedValues bounds the distinct values kept per batch and attribute;
// an attribute with more (IDs, URLs with IDs) is read from the batch each
// time, and the response limits stop that early.
const (
	maxCachedValues  = 256
	maxCachedTargets = 16
)

// liveTagCache holds one tenant's batches. Keys are weak: the cache never
// keeps a flushed request's bytes alive.
type liveTagCache struct {
	mu sync.Mutex
	m  map[weak.Pointer[otlpwire.Batch]]*batchTags
}

// liveBatches returns the distinct batches of the tenant's live traces, in
// the order of the traces (ID order), with their cache entries; entries of
// batches no longer live are dropped.
func (q *Querier) liveBatches(tenant string, traces []otlpwire.TraceParts) ([]*otlpwire.Batch, []*batchTags) {
	q.tagCacheMu.Lock()
	tc := q.tagCache[tenant]
	if tc == nil {
		tc = &liveTagCache{m: map[weak.Pointer[otlpwire.Batch]]*batchTags{}}
		q.tagCache[tenant] = tc
	}
	q.tagCacheMu.Unlock()

	seen := map[weak.Pointer[otlpwire.Batch]]bool{}
	var batches []*otlpwire.Batch
	for _, t := range traces {
		for _, p := range t.Parts {
			if w := weak.Make(p.B); !seen[w] {
				seen[w] = true
				batches = append(batches, p.B)
			}
		}
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	for w := range tc.m {
		if !seen[w] {
			delete(tc.m, w) // flushed since
		}
	}
	entries := make([]*batchTags, len(batches))
	for i, b := range batches {
		w := weak.Make(b)
		bt := tc.m[w]
		if bt == nil {
			bt = &batchTags{}
			tc.m[w] = bt
		}
		entries[i] = bt
	}
	return batches, entries
}

// decode reads the whole batch (a request is a TracesData on the wire).
func decodeBatch(b *otlpwire.Batch) (ptrace.Traces, error) {
	var um ptrace.ProtoUnmarshaler
	return um.UnmarshalTraces(b.Raw)
}

// load computes the batch's bounds and names once.
func (bt *batchTags) load(q *Querier, b *otlpwire.Batch) bool {
	bt.once.Do(func() {
		td, err := decodeBatch(b)
		if err != nil {
			q.log.Error("live batch does not decode", "err", err)
			return
		}
		bt.start, bt.end = traceBounds(td)
		all := map[string]bool{}
		for _, s := range AttributeScopes {
			all[s] = true
		}
		c := newCollector(math.MaxInt, 0, 0)
		namesOf(td, nil, all, c)
		bt.names = c.sortedNames()
		for _, names := range bt.names {
			for i, n := range names {
				names[i] = strings.Clone(n) // no string keeps the request's bytes alive
			}
		}
		bt.ok = true
	})
	return bt.ok
}

// valuesFor returns the batch's distinct values of t: kept when few, else
// read from the batch again.
func (bt *batchTags) valuesFor(q *Querier, b *otlpwire.Batch, t valueTarget) []TagValue {
	bt.mu.Lock()
	vs, ok := bt.values[t]
	bt.mu.Unlock()
	if ok && vs != nil {
		return vs
	}
	td, err := decodeBatch(b)
	if err != nil {
		q.log.Error("live batch does not decode", "err", err)
		return nil
	}
	c := newCollector(math.MaxInt, 0, 0)
	valuesOf(td, nil, t, c)
	vs = c.sortedValues()
	for i := range vs {
		vs[i].Value = strings.Clone(vs[i].Value) // as for names
	}
	if ok {
		return vs // known to be too many to keep
	}
	bt.mu.Lock()
	if bt.values == nil {
		bt.values = map[valueTarget][]TagValue{}
	}
	if len(bt.values) < maxCachedTargets {
		if len(vs) <= maxCachedValues {
			bt.values[t] = vs
		} else {
			bt.values[t] = nil
		}
	}
	bt.mu.Unlock()
	return vs
}

// batchTagsOf serves an unfiltered tag query from the live batches: in
// rounds of a few batches per core, read concurrently and added to c in
// order, stopping between rounds once c is full. It returns the bytes of the
// batches used.
func (q *Querier) batchTagsOf(ctx context.Context, src tagSource, traces []otlpwire.TraceParts, c *collector, read func(*batchTags, *otlpwire.Batch) func()) uint64 {
	batches, entries := q.liveBatches(src.Tenant, traces)
	var bytes uint64
	workers := runtime.GOMAXPROCS(0)
	round := 16 * workers
	applies := make([]func(), round)
	for lo := 0; lo < len(batches) && !c.done() && ctx.Err() == nil; lo += round {
		hi := min(lo+round, len(batches))
		var wg sync.WaitGroup
		next := make(chan int)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					bt, b := entries[i], batches[i]
					applies[i-lo] = nil
					if bt.load(q, b) && overlapsRange(bt.start, bt.end, src) {
						applies[i-lo] = read(bt, b)
					}
				}
			}()
		}
		for i := lo; i < hi; i++ {
			next <- i
		}
		close(next)
		wg.Wait()
		for i := lo; i < hi; i++ {
			if apply := applies[i-lo]; apply != nil {
				apply()
				bytes += uint64(len(batches[i].Raw))
			}
		}
	}
	return bytes
}
