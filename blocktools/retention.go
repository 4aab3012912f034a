package blocktools

import (
	"context"
	"time"

	"github.com/tempoctl/tempoctl/storage/backend"
)

// RetentionPlan is what one retention pass does for a tenant.
type RetentionPlan struct {
	MarkCompacted []*backend.BlockMeta          // live blocks past block_retention
	Delete        []*backend.CompactedBlockMeta // compacted blocks past compacted_block_retention
}

// PlanRetention applies spec §13 "Retention": live blocks whose end is older
// than now-blockRetention are marked compacted; compacted blocks whose
// compacted time is older than now-compactedRetention are deleted. A zero
// retention disables that half.
func PlanRetention(live []*backend.BlockMeta, compacted []*backend.CompactedBlockMeta, now time.Time, blockRetention, compactedRetention time.Duration) RetentionPlan {
	var p RetentionPlan
	if blockRetention > 0 {
		cutoff := now.Add(-blockRetention)
		for _, m := range live {
			if m.EndTime.Before(cutoff) {
				p.MarkCompacted = append(p.MarkCompacted, m)
			}
		}
	}
	if compactedRetention > 0 {
		cutoff := now.Add(-compactedRetention)
		for _, c := range compacted {
			if c.CompactedTime.Before(cutoff) {
				p.Delete = append(p.Delete, c)
			}
		}
	}
	return p
}

// RetentionResult is what ApplyRetention did.
type RetentionResult struct {
	MarkedCompacted []*backend.BlockMeta
	Deleted         []*backend.CompactedBlockMeta
	// Errors are blocks that could not be marked or deleted; the others were.
	Errors []error
}

// ApplyRetention lists the tenant's blocks and carries out PlanRetention.
// One failing block does not stop the others.
func ApplyRetention(ctx context.Context, be *backend.Backend, tenant string, now time.Time, blockRetention, compactedRetention time.Duration) (*RetentionResult, error) {
	live, compacted, _, err := be.PollBlocks(ctx, tenant)
	if err != nil {
		return nil, err
	}
	plan := PlanRetention(live, compacted, now, blockRetention, compactedRetention)
	res := &RetentionResult{}
	for _, m := range plan.MarkCompacted {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if err := be.MarkCompacted(ctx, tenant, m.BlockID); err != nil {
			res.Errors = append(res.Errors, err)
			continue
		}
		res.MarkedCompacted = append(res.MarkedCompacted, m)
	}
	for _, c := range plan.Delete {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if err := be.DeleteBlock(ctx, tenant, c.BlockID); err != nil {
			res.Errors = append(res.Errors, err)
			continue
		}
		res.Deleted = append(res.Deleted, c)
	}
	return res, nil
}
