package blocktools

import (
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
