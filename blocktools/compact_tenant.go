package blocktools

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tempoctl/tempoctl/storage/backend"
)

// TenantPlan is what one compaction pass over a tenant would do.
type TenantPlan struct {
	Tenant  string
	Jobs    []Job
	Skipped []Skipped
	// Unreadable are blocks whose meta.json could not be read.
	Unreadable []backend.MetaError
	Live       int // live blocks seen
}

// PlanTenant lists the tenant's blocks (not the tenant index: compaction must
// see the bucket as it is), reads their nocompact flags, leaves out blocks in
// exclude (the compactor's blocks that failed to read), and plans jobs.
func PlanTenant(ctx context.Context, be *backend.Backend, tenant string, cfg CompactionConfig, now time.Time, exclude map[uuid.UUID]string) (*TenantPlan, error) {
	live, _, bad, err := be.PollBlocks(ctx, tenant)
	if err != nil {
		return nil, err
	}
	p := &TenantPlan{Tenant: tenant, Unreadable: bad, Live: len(live)}
	noCompact := map[string]bool{}
	var cands []*backend.BlockMeta
	for _, m := range live {
		if why, ok := exclude[m.BlockID]; ok {
			p.Skipped = append(p.Skipped, Skipped{m, why})
			continue
		}
		flag, err := be.HasNoCompactFlag(ctx, tenant, m.BlockID)
		if err != nil {
			return nil, err
		}
		if flag {
			noCompact[m.BlockID.String()] = true
		}
		cands = append(cands, m)
	}
	jobs, skipped := PlanCompaction(tenant, cands, noCompact, now, cfg)
	p.Jobs = jobs
	p.Skipped = append(p.Skipped, skipped...)
	return p, nil
}

// PlanResult is what running a plan did.
type PlanResult struct {
	Results []*CompactResult
	// Failed are jobs that did not complete; an *InputError names the block.
	Failed []JobError
}

// JobError is one failed job.
type JobError struct {
	Job Job
	Err error
}

func (e JobError) Error() string { return e.Err.Error() }

// BadBlock returns the input that made the job fail, if it was an input.
func (e JobError) BadBlock() (uuid.UUID, bool) {
	var ie *InputError
	if errors.As(e.Err, &ie) && ie.Block != uuid.Nil {
		return ie.Block, true
	}
	return uuid.Nil, false
}

// RunPlan runs every job of the plan in order. A failing job is recorded and
// the next one runs; only a cancelled context stops the pass.
func RunPlan(ctx context.Context, be *backend.Backend, plan *TenantPlan, opts CompactOptions) (*PlanResult, error) {
	res := &PlanResult{}
	base := Progress{Op: "compact"}
	for _, j := range plan.Jobs {
		base.BlocksTotal += len(j.Inputs)
		base.BytesTotal += j.Bytes()
	}
	for _, j := range plan.Jobs {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		o := opts
		o.prog = base
		r, err := Compact(ctx, be, j, o)
		base.BlocksDone += len(j.Inputs)
		base.BytesDone += j.Bytes()
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			res.Failed = append(res.Failed, JobError{j, err})
			opts.Progress.send(Progress{Op: "compact", BlocksDone: base.BlocksDone, BlocksTotal: base.BlocksTotal,
				BytesDone: base.BytesDone, BytesTotal: base.BytesTotal, Message: fmt.Sprintf("job failed: %v", err)})
			continue
		}
		res.Results = append(res.Results, r)
		msg := fmt.Sprintf("compacted %d blocks (%d traces) into %d block(s)", len(j.Inputs), r.Stats.TracesOut, len(r.Outputs))
		opts.Progress.send(Progress{Op: "compact", BlocksDone: base.BlocksDone, BlocksTotal: base.BlocksTotal,
			BytesDone: base.BytesDone, BytesTotal: base.BytesTotal, Traces: r.Stats.TracesIn, Message: msg})
	}
	return res, nil
}
