package ingester

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/blocktools"
	"github.com/tempoctl/tempoctl/internal/slab"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/server/pusher"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/wal"
)

// Ingester holds live data and turns it into blocks. It implements
// pusher.Pusher.
type Ingester struct {
	cfg      Config
	blockCfg block.Config
	be       *backend.Backend
	wal      *wal.WAL
	log      *slog.Logger
	m        *metrics

	// cut is held for reading by pushes (WAL append + insert) and for
	// writing by a cut, so a cut's snapshot holds exactly the records of the
	// WAL segments it truncates afterwards.
	cut sync.RWMutex
	mu  sync.Mutex // guards head
	// head is what has been pushed since the last cut.
	head *generation
	// flushing are cut generations not yet in the backend (retried).
	flushing []*generation
	// gauged are the tenants whose live-trace gauge was last set non-zero
	// (guarded by mu): once a cut empties the head they are set back to 0.
	gauged map[string]bool

	stop chan struct{}
	done chan struct{}

	// flushHook runs after a tenant's block is in the backend, before its
	// traces leave memory (SetFlushHook).
	flushHook func(tenant string)

	// Copies of flushed blocks kept for complete_block_timeout
	// (localblocks.go); local is guarded by mu.
	localBE   *backend.Backend
	local     []localBlock
	localHook func(tenant string, id uuid.UUID)
}

// SetFlushHook sets fn to run after a tenant's block is in the backend and
// before its traces leave memory: readers caching block lists refresh them
// there, so a flushed trace is never out of their sight. Call before Start.
func (in *Ingester) SetFlushHook(fn func(tenant string)) { in.flushHook = fn }

// generation is the data between two cuts, with the last WAL segment holding it.
type generation struct {
	tenants map[string]*tenantTraces
	bytes   uint64
	first   time.Time
	segment int
	// oldestSeg is the oldest WAL segment holding a part of a trace carried
	// into this generation from an earlier one (0: none; segments count
	// from 1): that segment and later ones stay until this generation is
	// flushed.
	oldestSeg int
}

type tenantTraces struct {
	traces map[model.TraceID]*liveTrace
	// pending are new traces of pushes that passed max_traces_per_user and
	// are between the check and the insert (the WAL append): counted so
	// concurrent pushes cannot all pass on the same free room.
	pending int
}

// liveTrace is where a trace's spans are in the batches pushed so far: no
// decoding until its block is built or a query asks for it.
type liveTrace struct {
	parts []otlpwire.Part
	first time.Time // its first push
	last  time.Time // its latest push: idle for trace_idle_period, it is complete
	seg   int       // the WAL segment of its first push
	bytes int       // its size so far, by otlpwire.Trace.Bytes: the max_bytes_per_trace measure
}

func newGeneration() *generation { return &generation{tenants: map[string]*tenantTraces{}} }

// New replays the WAL into memory; call Start to begin cutting and flushing.
func New(cfg Config, blockCfg block.Config, be *backend.Backend, w *wal.WAL, log *slog.Logger, m *Metrics) (*Ingester, error) {
	def := DefaultConfig()
	if cfg.FlushCheckPeriod <= 0 {
		cfg.FlushCheckPeriod = def.FlushCheckPeriod
	}
	if cfg.MaxBlockDuration <= 0 {
		cfg.MaxBlockDuration = def.MaxBlockDuration
	}
	if cfg.MaxBlockBytes == 0 {
		cfg.MaxBlockBytes = def.MaxBlockBytes
	}
	if cfg.TraceIdlePeriod <= 0 {
		cfg.TraceIdlePeriod = def.TraceIdlePeriod
	}
	in := &Ingester{cfg: cfg, blockCfg: blockCfg, be: be, wal: w, log: log, m: m.m, head: newGeneration(),
		stop: make(chan struct{}), done: make(chan struct{})}
	if err := in.initLocalBlocks(context.Background()); err != nil {
		return nil, err
	}
	st, err := w.Replay(func(seg int, tenant string, data []byte) error {
		// The WAL reuses its buffer; the batch keeps its bytes, on huge
		// pages as received requests are (a large WAL replays faster).
		raw, ref := slab.Requests.Alloc(len(data))
		copy(raw, data)
		b, err := otlpwire.ParseSlab(raw, ref)
		if err != nil {
			in.log.Warn("wal record unreadable, skipped", "segment", seg, "err", err)
			return nil
		}
		in.insert(tenant, b, time.Now(), seg, 0)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, c := range st.Corrupt {
		in.log.Warn("wal segment damaged or torn: intact records before the damage were replayed, the rest of the segment is skipped", "detail", c)
	}
	if st.Records > 0 {
		in.log.Info("wal replayed", "segments", st.Segments, "records", st.Records)
	}
	return in, nil
}

// Push makes the spans durable in the WAL, then live. It refuses (never
// accepts-then-drops) when a limit would be exceeded. The WAL gets the
// request's bytes as received.
func (in *Ingester) Push(ctx context.Context, tenant string, b *otlpwire.Batch) error {
	in.cut.RLock()
	defer in.cut.RUnlock()
	reserved, err := in.checkLimits(tenant, b)
	if err != nil {
		return err
	}
	seg, err := in.wal.Append(tenant, b.Raw)
	if err != nil {
		in.unreserve(tenant, reserved)
		return fmt.Errorf("ingester: %w", err)
	}
	in.insert(tenant, b, time.Now(), seg, reserved)
	in.m.bytesReceived.WithLabelValues(tenant).Add(float64(len(b.Raw)))
	return nil
}

// checkLimits refuses b if it passes a limit; else it reserves room for
// its new traces under max_traces_per_user, given back by insert, or by
// unreserve if the push fails before it.
func (in *Ingester) checkLimits(tenant string, b *otlpwire.Batch) (reserved int, err error) {
	maxTraces, maxBytes := 0, 0
	if in.cfg.MaxTracesPerUser != nil {
		maxTraces = in.cfg.MaxTracesPerUser(tenant)
	}
	if in.cfg.MaxBytesPerTrace != nil {
		maxBytes = in.cfg.MaxBytesPerTrace(tenant)
	}
	if maxTraces <= 0 && maxBytes <= 0 {
		return 0, nil
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	tt := in.head.tenants[tenant]
	have := 0
	newOnes := 0
	if tt != nil {
		have = len(tt.traces) + tt.pending
	}
	for i := range b.Traces {
		t := &b.Traces[i]
		var lt *liveTrace
		if tt != nil {
			lt = tt.traces[t.ID]
		}
		if lt == nil {
			newOnes++
		}
		// A trace grows over many pushes: the limit is on what it would
		// hold with this one, not on this push's part alone.
		if maxBytes > 0 {
			held := 0
			if lt != nil {
				held = lt.bytes
			}
			if held+t.Bytes > maxBytes {
				return 0, &pusher.LimitError{Tenant: tenant, Limit: "max_bytes_per_trace",
					Detail: fmt.Sprintf("trace %s would be %d bytes (%d held, %d in this request), limit %d", t.ID, held+t.Bytes, held, t.Bytes, maxBytes)}
			}
		}
	}
	if maxTraces > 0 && newOnes > 0 {
		if have+newOnes > maxTraces {
			return 0, &pusher.LimitError{Tenant: tenant, Limit: "max_traces_per_user",
				Detail: fmt.Sprintf("%d live traces, limit %d", have, maxTraces)}
		}
		if tt == nil {
			tt = &tenantTraces{traces: map[model.TraceID]*liveTrace{}}
			in.head.tenants[tenant] = tt
		}
		tt.pending += newOnes
		return newOnes, nil
	}
	return 0, nil
}

// unreserve gives back what checkLimits reserved. The head is the same
// generation: pushes hold in.cut, so no cut came in between.
func (in *Ingester) unreserve(tenant string, n int) {
	if n == 0 {
		return
	}
	in.mu.Lock()
	in.head.tenants[tenant].pending -= n
	in.mu.Unlock()
}

// insert makes b's traces live; reserved is what checkLimits set aside for
// them.
func (in *Ingester) insert(tenant string, b *otlpwire.Batch, now time.Time, seg, reserved int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	g := in.head
	if g.first.IsZero() {
		g.first = now
	}
	g.bytes += uint64(len(b.Raw))
	tt := g.tenants[tenant]
	if tt == nil {
		tt = &tenantTraces{traces: map[model.TraceID]*liveTrace{}}
		g.tenants[tenant] = tt
	}
	tt.pending -= reserved
	for i := range b.Traces {
		t := &b.Traces[i]
		lt := tt.traces[t.ID]
		if lt == nil {
			lt = &liveTrace{first: now, seg: seg}
			tt.traces[t.ID] = lt
			in.m.tracesCreated.WithLabelValues(tenant).Inc()
		}
		lt.parts = append(lt.parts, otlpwire.Part{B: b, Spans: t.Spans})
		lt.last = now
		lt.bytes += t.Bytes
	}
}

// Start runs the cut/flush loop until Stop.
func (in *Ingester) Start() {
	// Slabs released by a flush wait for the next generation's requests;
	// once a whole generation's time has passed without them being needed,
	// the load has dropped.
	slab.Requests.SetIdle(in.cfg.MaxBlockDuration + time.Minute)
	go in.loop()
}

func (in *Ingester) loop() {
	defer close(in.done)
	t := time.NewTicker(in.cfg.FlushCheckPeriod)
	defer t.Stop()
	for {
		select {
		case <-in.stop:
			return
		case now := <-t.C:
			in.updateGauges(now)
			in.expireLocal(context.Background(), now)
			if in.shouldCut(now) {
				if err := in.cutAndFlush(context.Background(), now, true); err != nil {
					in.log.Error("flush failed; data stays in the WAL and is retried", "err", err)
				}
			} else if len(in.flushing) > 0 {
				in.retryFlushes(context.Background())
			}
		}
	}
}

func (in *Ingester) shouldCut(now time.Time) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	g := in.head
	return !g.first.IsZero() && (g.bytes >= in.cfg.MaxBlockBytes || now.Sub(g.first) >= in.cfg.MaxBlockDuration)
}

func (in *Ingester) updateGauges(now time.Time) {
	in.mu.Lock()
	defer in.mu.Unlock()
	gauged := map[string]bool{}
	for tenant, tt := range in.head.tenants {
		live := 0
		for _, lt := range tt.traces {
			if now.Sub(lt.last) < in.cfg.TraceIdlePeriod {
				live++
			}
		}
		in.m.liveTraces.WithLabelValues(tenant).Set(float64(live))
		if live > 0 {
			gauged[tenant] = true
		}
	}
	// A tenant with no traces in the head since a cut has none live: its
	// gauge must not keep the value from before the cut.
	for tenant := range in.gauged {
		if _, ok := in.head.tenants[tenant]; !ok {
			in.m.liveTraces.WithLabelValues(tenant).Set(0)
		}
	}
	in.gauged = gauged
	in.m.blocks.Set(float64(len(in.flushing) + 1 + len(in.local)))
}

// CutAndFlush cuts all the head holds, live traces too, into a generation
// and flushes every pending generation to the backend (at Stop; tests).
func (in *Ingester) CutAndFlush(ctx context.Context) error {
	return in.cutAndFlush(ctx, time.Now(), false)
}

// cutAndFlush cuts the head into a generation and flushes every pending
// generation. With keepLive, the traces still receiving spans stay in the
// new head (carryLive), so a trace is normally whole in one block.
func (in *Ingester) cutAndFlush(ctx context.Context, now time.Time, keepLive bool) error {
	in.cut.Lock()
	in.mu.Lock()
	g := in.head
	if g.first.IsZero() {
		in.mu.Unlock()
		in.cut.Unlock()
		return in.retryFlushes(ctx)
	}
	seg, err := in.wal.Rotate()
	if err != nil {
		in.mu.Unlock()
		in.cut.Unlock()
		return err
	}
	g.segment = seg
	next := newGeneration()
	if keepLive {
		in.carryLive(g, next, now)
	}
	in.head = next
	in.flushing = append(in.flushing, g)
	in.mu.Unlock()
	in.cut.Unlock()
	return in.retryFlushes(ctx)
}

func (in *Ingester) retryFlushes(ctx context.Context) error {
	in.mu.Lock()
	pending := slices.Clone(in.flushing)
	in.mu.Unlock()
	var errs []error
	flushed := false
	for _, g := range pending {
		if err := in.flushGeneration(ctx, g); err != nil {
			in.m.failedFlushes.Inc()
			errs = append(errs, err)
			break // keep order: later segments must not be truncated first
		}
		in.mu.Lock()
		in.flushing = slices.DeleteFunc(in.flushing, func(x *generation) bool { return x == g })
		in.mu.Unlock()
		if err := in.wal.Truncate(in.truncatable(g.segment)); err != nil {
			errs = append(errs, err)
		}
		flushed = true
	}
	if flushed {
		// The flushed requests' batches are garbage now. Collect them at
		// once, which puts their slabs back in slab.Requests' pool: left to
		// the pacer they would wait for the heap to double, and every
		// request meanwhile would be copied into fresh memory from the
		// kernel, which zeroes it page by page (a seventh of the server's
		// CPU under load on this kind of VM).
		clear(pending)
		runtime.GC()
	}
	return errors.Join(errs...)
}

// carryLive moves from g to next the traces that received spans within
// trace_idle_period, as Tempo keeps live traces out of the block until they
// are idle. A trace live for max_block_duration is not carried again (its
// spans go on in the next block), and nothing is carried when the live
// traces would fill half a block. Called under in.mu and in.cut.
func (in *Ingester) carryLive(g, next *generation, now time.Time) {
	type carried struct {
		tenant string
		id     model.TraceID
		lt     *liveTrace
	}
	var live []carried
	var bytes uint64
	for tenant, tt := range g.tenants {
		for id, lt := range tt.traces {
			if now.Sub(lt.last) < in.cfg.TraceIdlePeriod && now.Sub(lt.first) < in.cfg.MaxBlockDuration {
				live = append(live, carried{tenant, id, lt})
				bytes += uint64(lt.bytes)
			}
		}
	}
	if len(live) == 0 || bytes > in.cfg.MaxBlockBytes/2 {
		return
	}
	for _, c := range live {
		delete(g.tenants[c.tenant].traces, c.id)
		tt := next.tenants[c.tenant]
		if tt == nil {
			tt = &tenantTraces{traces: map[model.TraceID]*liveTrace{}}
			next.tenants[c.tenant] = tt
		}
		tt.traces[c.id] = c.lt
		if next.oldestSeg == 0 || c.lt.seg < next.oldestSeg {
			next.oldestSeg = c.lt.seg
		}
	}
	next.bytes, next.first = bytes, now
	in.m.tracesCarried.Add(float64(len(live)))
}

// truncatable is the last WAL segment that may go once the generation
// ending at upTo is flushed: none that still holds a part of a trace
// carried into a generation not flushed yet.
func (in *Ingester) truncatable(upTo int) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, g := range append(slices.Clone(in.flushing), in.head) {
		if g.oldestSeg > 0 && g.oldestSeg-1 < upTo {
			upTo = g.oldestSeg - 1
		}
	}
	return upTo
}

func (in *Ingester) flushGeneration(ctx context.Context, g *generation) error {
	start := time.Now()
	for _, tenant := range sortedKeys(g.tenants) {
		tt := g.tenants[tenant]
		if len(tt.traces) == 0 {
			continue
		}
		ids := make([]model.TraceID, 0, len(tt.traces))
		for id := range tt.traces {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b model.TraceID) int { return a.Compare(b) })
		w, err := block.NewWriter(ctx, in.be, tenant, in.blockCfg)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := w.AddParts(ctx, id, tt.traces[id].parts); err != nil {
				w.Abort(ctx)
				return err
			}
		}
		meta, err := w.Close(ctx)
		if err != nil {
			w.Abort(ctx)
			return err
		}
		if w.KeptData() {
			in.keptLocally(tenant, meta.BlockID, time.Now())
		}
		if err := blocktools.RewriteTenantIndex(ctx, in.be, tenant); err != nil {
			in.log.Warn("tenant index not rewritten; readers fall back to listing", "tenant", tenant, "err", err)
		}
		in.m.blocksFlushed.Inc()
		in.log.Info("block flushed", "tenant", tenant, "block", meta.BlockID, "traces", meta.TotalObjects, "bytes", meta.Size)
		if in.flushHook != nil {
			in.flushHook(tenant)
		}
		in.mu.Lock()              // readers walk g.tenants under mu
		delete(g.tenants, tenant) // done: a retry does not write it twice
		in.mu.Unlock()
	}
	in.m.flushDuration.Observe(time.Since(start).Seconds())
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Stop ends the loop and flushes what is held (the WAL keeps it if that fails).
func (in *Ingester) Stop(ctx context.Context) error {
	close(in.stop)
	<-in.done
	return in.CutAndFlush(ctx)
}

// FindTraceByID returns the parts of id held in memory (live or flushing).
func (in *Ingester) FindTraceByID(tenant string, id model.TraceID) (ptrace.Traces, bool) {
	in.mu.Lock()
	var parts []otlpwire.Part
	for _, g := range append(slices.Clone(in.flushing), in.head) {
		if tt := g.tenants[tenant]; tt != nil {
			if lt := tt.traces[id]; lt != nil {
				parts = append(parts, lt.parts...)
			}
		}
	}
	in.mu.Unlock()
	if len(parts) == 0 {
		return ptrace.Traces{}, false
	}
	td, err := decode(parts)
	if err != nil {
		in.log.Error("live trace does not decode", "tenant", tenant, "trace", id, "err", err)
		return ptrace.Traces{}, false
	}
	return td, true
}

// Traces returns every trace held in memory for tenant, undecoded, in ID
// order (for search and tags: readers decode what they need).
func (in *Ingester) Traces(tenant string) []otlpwire.TraceParts {
	in.mu.Lock()
	var gens []*tenantTraces
	n := 0
	for _, g := range append(slices.Clone(in.flushing), in.head) {
		if tt := g.tenants[tenant]; tt != nil && len(tt.traces) > 0 {
			gens = append(gens, tt)
			n += len(tt.traces)
		}
	}
	out := make([]otlpwire.TraceParts, 0, n)
	if len(gens) == 1 {
		// The usual case: no map needed to join generations.
		for id, lt := range gens[0].traces {
			out = append(out, otlpwire.TraceParts{ID: id, Parts: slices.Clip(lt.parts)})
		}
	} else {
		at := make(map[model.TraceID]int, n)
		for _, tt := range gens {
			for id, lt := range tt.traces {
				if k, ok := at[id]; ok {
					out[k].Parts = append(slices.Clip(out[k].Parts), lt.parts...)
					continue
				}
				at[id] = len(out)
				out = append(out, otlpwire.TraceParts{ID: id, Parts: slices.Clip(lt.parts)})
			}
		}
	}
	in.mu.Unlock()
	// In ID order, as blocks are: a search that stops at its limit picks
	// the same traces each time.
	slices.SortFunc(out, func(a, b otlpwire.TraceParts) int {
		if x, y := binary.BigEndian.Uint64(a.ID[:8]), binary.BigEndian.Uint64(b.ID[:8]); x != y {
			return cmp.Compare(x, y)
		}
		return cmp.Compare(binary.BigEndian.Uint64(a.ID[8:]), binary.BigEndian.Uint64(b.ID[8:]))
	})
	return out
}

// decode turns a trace's parts into one trace, duplicate spans (a client's
// retry) dropped.
func decode(parts []otlpwire.Part) (ptrace.Traces, error) {
	td, err := otlpwire.Traces(parts...)
	if err != nil {
		return td, err
	}
	return model.Dedupe(td), nil
}

var _ pusher.Pusher = (*Ingester)(nil)
