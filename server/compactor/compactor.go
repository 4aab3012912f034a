package compactor

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/grafana/dskit/services"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tempoctl/tempoctl/blocktools"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
)

// badBlockRetry is how long a block that failed to read stays out of plans
// before it is tried again (a transient bucket error should not exclude it
// until the next restart; a corrupt block should not fail a job every cycle).
const badBlockRetry = time.Hour

// Compactor runs compaction cycles over every tenant of a bucket.
type Compactor struct {
	cfg      Config
	be       *backend.Backend
	blockCfg block.Config
	log      *slog.Logger
	m        *metrics
	limits   func(tenant string) TenantLimits
	now      func() time.Time

	mu      sync.Mutex
	bad     map[string]map[uuid.UUID]badBlock // tenant → blocks that failed to read
	flagged map[string]map[uuid.UUID]bool     // nocompact blocks already logged
	tenants map[string]bool                   // tenants with gauges set

	cancel context.CancelFunc
	done   chan struct{}
}

type badBlock struct {
	since time.Time
	err   string
}

// New returns a compactor over be. blockCfg is storage.trace.block (row
// group and bloom settings for the outputs; version and dedicated columns
// are kept from the inputs).
func New(cfg Config, be *backend.Backend, blockCfg block.Config, log *slog.Logger, reg prometheus.Registerer) (*Compactor, error) {
	if be == nil {
		return nil, errors.New("compactor: no backend")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	def := DefaultConfig().Compaction
	c := &cfg.Compaction
	if c.CompactionWindow <= 0 {
		c.CompactionWindow = def.CompactionWindow
	}
	if c.MaxCompactionObjects <= 0 {
		c.MaxCompactionObjects = def.MaxCompactionObjects
	}
	if c.MaxBlockBytes == 0 {
		c.MaxBlockBytes = def.MaxBlockBytes
	}
	if c.CompactedBlockRetention <= 0 {
		c.CompactedBlockRetention = def.CompactedBlockRetention
	}
	if c.CompactionCycle <= 0 {
		c.CompactionCycle = def.CompactionCycle
	}
	if c.MaxTimePerTenant <= 0 {
		c.MaxTimePerTenant = def.MaxTimePerTenant
	}
	return &Compactor{
		cfg: cfg, be: be, blockCfg: blockCfg, log: log, m: newMetrics(reg),
		limits:  func(string) TenantLimits { return TenantLimits{} },
		now:     time.Now,
		bad:     map[string]map[uuid.UUID]badBlock{},
		flagged: map[string]map[uuid.UUID]bool{},
		tenants: map[string]bool{},
	}, nil
}

// SetLimits installs per-tenant overrides (call before Start).
func (c *Compactor) SetLimits(f func(tenant string) TenantLimits) {
	if f != nil {
		c.limits = f
	}
}

// Start runs a cycle now and then every compaction_cycle until Stop.
func (c *Compactor) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.done = make(chan struct{})
	go func() {
		defer close(c.done)
		t := time.NewTimer(0)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			c.RunCycle(ctx)
			t.Reset(c.cfg.Compaction.CompactionCycle)
		}
	}()
}

// Stop cancels the running cycle and waits for it to end, or for ctx. A job
// still writing its outputs is abandoned (what it wrote is deleted, its
// inputs stay live); a job whose outputs are all written finishes marking
// its inputs compacted, so no output is left duplicating live inputs.
func (c *Compactor) Stop(ctx context.Context) error {
	if c.cancel == nil {
		return nil
	}
	c.cancel()
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Service wraps the compactor as a dskit service for serve's module manager.
func (c *Compactor) Service() services.Service {
	return services.NewIdleService(
		func(context.Context) error { c.Start(); return nil },
		func(error) error { return c.Stop(context.Background()) },
	)
}

// CycleResult says what one cycle did (for tests and logs).
type CycleResult struct {
	Tenants         int
	Jobs            int
	BlocksCompacted int
	FailedJobs      int
	Marked, Deleted int // by retention
	Errors          int
}

// RunCycle compacts every tenant, then applies retention, then rewrites
// the tenant index. Errors are logged and counted; nothing stops the
// cycle but a cancelled context.
func (c *Compactor) RunCycle(ctx context.Context) CycleResult {
	var res CycleResult
	tenants, err := c.be.Tenants(ctx)
	if err != nil {
		if ctx.Err() == nil {
			c.fail(&res, errList, "list tenants", err)
		}
		return res
	}
	seen := map[string]bool{}
	for _, t := range tenants {
		if ctx.Err() != nil {
			return res
		}
		seen[t] = true
		res.Tenants++
		c.tenant(ctx, t, &res)
	}
	c.forgetTenants(seen)
	if res.Errors == 0 && ctx.Err() == nil {
		c.m.lastSuccessfulTime.SetToCurrentTime()
	}
	return res
}

func (c *Compactor) fail(res *CycleResult, kind, msg string, err error, args ...any) {
	res.Errors++
	c.m.errors.WithLabelValues(kind).Inc()
	c.log.Error(msg, append(args, "err", err)...)
}

func (c *Compactor) tenant(ctx context.Context, tenant string, res *CycleResult) {
	lim := c.limits(tenant)
	log := c.log.With("tenant", tenant)
	if lim.CompactionDisabled {
		return
	}
	if _, err := blocktools.RecoverJournals(ctx, c.be, tenant); err != nil && ctx.Err() == nil {
		c.fail(res, errJournal, "finish interrupted compaction", err, "tenant", tenant)
	}

	pc := blocktools.DefaultCompactionConfig()
	pc.Window = c.cfg.Compaction.CompactionWindow
	if lim.CompactionWindow > 0 {
		pc.Window = lim.CompactionWindow
	}
	pc.MaxCompactionObjects = c.cfg.Compaction.MaxCompactionObjects
	pc.MaxBlockBytes = c.cfg.Compaction.MaxBlockBytes
	now := c.now()
	plan, err := blocktools.PlanTenant(ctx, c.be, tenant, pc, now, c.excluded(tenant, now))
	if err != nil {
		if ctx.Err() == nil {
			c.fail(res, errList, "plan compaction", err, "tenant", tenant)
		}
		return
	}
	c.report(tenant, plan, log)

	deadline := now.Add(c.cfg.Compaction.MaxTimePerTenant)
	for _, job := range plan.Jobs {
		if ctx.Err() != nil {
			return
		}
		if c.now().After(deadline) {
			log.Info("max_time_per_tenant reached; the remaining jobs wait for the next cycle", "jobs_left", len(plan.Jobs)-res.Jobs)
			break
		}
		res.Jobs++
		r, err := blocktools.Compact(ctx, c.be, job, blocktools.CompactOptions{
			Block: c.blockCfg, MaxBlockBytes: pc.MaxBlockBytes, MaxBlockObjects: pc.MaxCompactionObjects,
			MaxBytesPerTrace: lim.MaxBytesPerTrace,
		})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			res.FailedJobs++
			je := blocktools.JobError{Job: job, Err: err}
			if id, ok := je.BadBlock(); ok {
				c.markBad(tenant, id, err)
				c.fail(res, errUnreadable, "block failed to read; it is left out of compaction for a while (check it with `tempoctl blocks verify`)", err, "tenant", tenant, "block", id)
			} else {
				c.fail(res, errCompaction, "compaction job failed", err, "tenant", tenant)
			}
			continue
		}
		for _, e := range r.Unmarked {
			c.fail(res, errMark, "input not marked compacted; its traces are also in the output", e, "tenant", tenant)
		}
		res.BlocksCompacted += len(job.Inputs)
		c.m.blocksCompacted.Add(float64(len(job.Inputs)))
		c.m.duration.Observe(r.Duration.Seconds())
		c.m.objectsWritten.Add(float64(r.Stats.TracesOut))
		for _, o := range r.Outputs {
			c.m.bytesWritten.Add(float64(o.Size))
		}
		log.Info("compacted", "inputs", len(job.Inputs), "level", job.Level+1, "outputs", len(r.Outputs),
			"traces", r.Stats.TracesOut, "duration", r.Duration.Round(time.Millisecond))
		if r.Stats.DiscardedSpans > 0 {
			log.Warn("spans discarded: traces over max_bytes_per_trace kept their first part only", "spans", r.Stats.DiscardedSpans)
		}
	}

	retention := c.cfg.Compaction.Retention()
	if lim.BlockRetention > 0 {
		retention = lim.BlockRetention
	}
	rr, err := blocktools.ApplyRetention(ctx, c.be, tenant, c.now(), retention, c.cfg.Compaction.CompactedBlockRetention)
	if err != nil {
		if ctx.Err() == nil {
			c.fail(res, errRetention, "retention", err, "tenant", tenant)
		}
	} else {
		for _, e := range rr.Errors {
			c.fail(res, errRetention, "retention", e, "tenant", tenant)
		}
		res.Marked += len(rr.MarkedCompacted)
		res.Deleted += len(rr.Deleted)
		c.m.retentionMarked.Add(float64(len(rr.MarkedCompacted)))
		c.m.retentionDeleted.Add(float64(len(rr.Deleted)))
		if n := len(rr.MarkedCompacted) + len(rr.Deleted); n > 0 {
			log.Info("retention", "marked_compacted", len(rr.MarkedCompacted), "deleted", len(rr.Deleted))
		}
	}
	if ctx.Err() != nil {
		return
	}
	live, compacted, _, err := c.be.PollBlocks(ctx, tenant)
	if err == nil {
		err = c.be.WriteTenantIndex(ctx, tenant, live, compacted)
	}
	if err != nil {
		if ctx.Err() == nil {
			c.fail(res, errTenantIndex, "write tenant index", err, "tenant", tenant)
		}
		return
	}
	c.m.blocklistLength.WithLabelValues(tenant).Set(float64(len(live)))
}

// report publishes the plan's gauges and logs skipped blocks once.
func (c *Compactor) report(tenant string, plan *blocktools.TenantPlan, log *slog.Logger) {
	outstanding := 0
	for _, j := range plan.Jobs {
		outstanding += len(j.Inputs)
	}
	c.m.outstanding.WithLabelValues(tenant).Set(float64(outstanding))
	c.m.blocklistLength.WithLabelValues(tenant).Set(float64(plan.Live))
	nocompact, unreadable := 0, len(plan.Unreadable)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tenants[tenant] = true
	if c.flagged[tenant] == nil {
		c.flagged[tenant] = map[uuid.UUID]bool{}
	}
	seen := map[uuid.UUID]bool{}
	for _, s := range plan.Skipped {
		switch {
		case s.Reason == "has nocompact.flg":
			nocompact++
			seen[s.Meta.BlockID] = true
			if !c.flagged[tenant][s.Meta.BlockID] {
				log.Info("block has nocompact.flg; compaction skips it", "block", s.Meta.BlockID)
			}
		case strings.HasPrefix(s.Reason, "failed to read"):
			unreadable++
		}
	}
	c.flagged[tenant] = seen
	for _, b := range plan.Unreadable {
		c.m.errors.WithLabelValues(errUnreadableMet).Inc()
		log.Warn("block meta unreadable; the block is skipped (check it with `tempoctl blocks verify`)", "block", b.ID, "err", b.Err)
	}
	c.m.skipped.WithLabelValues(tenant, "nocompact").Set(float64(nocompact))
	c.m.skipped.WithLabelValues(tenant, "unreadable").Set(float64(unreadable))
}

func (c *Compactor) excluded(tenant string, now time.Time) map[uuid.UUID]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[uuid.UUID]string{}
	for id, b := range c.bad[tenant] {
		if now.Sub(b.since) > badBlockRetry {
			delete(c.bad[tenant], id)
			continue
		}
		out[id] = "failed to read: " + b.err
	}
	return out
}

func (c *Compactor) markBad(tenant string, id uuid.UUID, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bad[tenant] == nil {
		c.bad[tenant] = map[uuid.UUID]badBlock{}
	}
	c.bad[tenant][id] = badBlock{since: c.now(), err: err.Error()}
}

// forgetTenants drops the gauges of tenants that are gone.
func (c *Compactor) forgetTenants(seen map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for t := range c.tenants {
		if seen[t] {
			continue
		}
		c.m.outstanding.DeleteLabelValues(t)
		c.m.blocklistLength.DeleteLabelValues(t)
		c.m.skipped.DeleteLabelValues(t, "nocompact")
		c.m.skipped.DeleteLabelValues(t, "unreadable")
		delete(c.tenants, t)
		delete(c.bad, t)
		delete(c.flagged, t)
	}
}
