package blocktools

import (
	"context"
	"testing"
	"time"

	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

func TestApplyRetention(t *testing.T) {
	ctx := context.Background()
	be := memBackend(t)
	cfg := block.Config{DedicatedColumns: vparquet.DefaultDedicatedColumns()}
	traces := generate(9, 6) // start 2026-11-23
	old := writeBlock(t, be, "t1", cfg, traces[:3])
	recent := writeBlock(t, be, "t1", cfg, traces[3:])
	now := old.EndTime.Add(10 * 24 * time.Hour)

	// 14 days: nothing is old enough.
	res, err := ApplyRetention(ctx, be, "t1", now, 14*24*time.Hour, time.Hour)
	if err != nil || len(res.MarkedCompacted) != 0 || len(res.Deleted) != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	// 7 days: both blocks (same times) are marked compacted, not deleted yet.
	res, err = ApplyRetention(ctx, be, "t1", now, 7*24*time.Hour, time.Hour)
	if err != nil || len(res.MarkedCompacted) != 2 || len(res.Deleted) != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	// An hour after the mark they are deleted, every object.
	res, err = ApplyRetention(ctx, be, "t1", time.Now().Add(2*time.Hour), 7*24*time.Hour, time.Hour)
	if err != nil || len(res.Deleted) != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	for _, m := range []*backend.BlockMeta{old, recent} {
		n := 0
		_ = be.Bucket().Iter(ctx, "t1/"+m.BlockID.String()+"/", func(string) error { n++; return nil })
		if n != 0 {
			t.Errorf("block %s: %d objects left", m.BlockID, n)
		}
	}
}
