package blocktools

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tempoctl/tempoctl/storage/backend"
)

var planNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func meta(n int, end time.Time, level uint32, objs int64) *backend.BlockMeta {
	return &backend.BlockMeta{
		Version:           backend.VersionVParquet5,
		BlockID:           uuid.MustParse(fmt.Sprintf("00000000-0000-4000-8000-%012d", n)),
		TenantID:          "t",
		StartTime:         end.Add(-time.Minute),
		EndTime:           end,
		TotalObjects:      objs,
		Size:              uint64(objs) * 100,
		CompactionLevel:   level,
		ReplicationFactor: 1,
	}
}

func ids(ms []*backend.BlockMeta) string {
	var s []string
	for _, m := range ms {
		s = append(s, string(rune('a'+int(m.BlockID.String()[35]-'0'))))
	}
	return strings.Join(s, ",")
}

func TestPlanCompaction(t *testing.T) {
	recent := planNow.Add(-2 * time.Hour)
	old := planNow.Add(-72 * time.Hour)
	v4 := meta(5, recent, 0, 3)
	v4.Version = backend.VersionVParquet4
	dc := meta(6, recent, 0, 3)
	dc.DedicatedColumns = backend.DedicatedColumns{{Name: "x"}}

	tests := []struct {
		name      string
		metas     []*backend.BlockMeta
		noCompact map[string]bool
		cfg       func(*CompactionConfig)
		wantJobs  []string // inputs per job, by last letter of ID, smallest first
		wantSkip  int
	}{
		{name: "two blocks same window merge", metas: []*backend.BlockMeta{meta(0, recent, 0, 10), meta(1, recent, 0, 5)}, wantJobs: []string{"b,a"}},
		{name: "single block is left alone", metas: []*backend.BlockMeta{meta(0, recent, 0, 10)}, wantSkip: 1},
		{name: "at most four inputs", metas: []*backend.BlockMeta{meta(0, recent, 0, 1), meta(1, recent, 0, 2), meta(2, recent, 0, 3), meta(3, recent, 0, 4), meta(4, recent, 0, 5)}, wantJobs: []string{"a,b,c,d"}, wantSkip: 1},
		{name: "different levels within 24h do not mix", metas: []*backend.BlockMeta{meta(0, recent, 0, 1), meta(1, recent, 1, 2)}, wantSkip: 2},
		{name: "different levels older than 24h mix", metas: []*backend.BlockMeta{meta(0, old, 0, 1), meta(1, old, 1, 2)}, wantJobs: []string{"a,b"}},
		{name: "different windows do not mix", metas: []*backend.BlockMeta{meta(0, recent, 0, 1), meta(1, recent.Add(-3*time.Hour), 0, 2)}, wantSkip: 2},
		{name: "format must match", metas: []*backend.BlockMeta{meta(0, recent, 0, 1), v4}, wantSkip: 2},
		{name: "dedicated columns must match", metas: []*backend.BlockMeta{meta(0, recent, 0, 1), dc}, wantSkip: 2},
		{name: "nocompact flag skipped", metas: []*backend.BlockMeta{meta(0, recent, 0, 1), meta(1, recent, 0, 2), meta(2, recent, 0, 3)},
			noCompact: map[string]bool{meta(0, recent, 0, 1).BlockID.String(): true}, wantJobs: []string{"b,c"}, wantSkip: 1},
		{name: "object limit splits runs", metas: []*backend.BlockMeta{meta(0, recent, 0, 6), meta(1, recent, 0, 6), meta(2, recent, 0, 6), meta(3, recent, 0, 6)},
			cfg: func(c *CompactionConfig) { c.MaxCompactionObjects = 12 }, wantJobs: []string{"a,b", "c,d"}},
		{name: "unsupported version skipped", metas: func() []*backend.BlockMeta {
			m := meta(0, recent, 0, 1)
			m.Version = "vParquet5-preview5"
			return []*backend.BlockMeta{m, meta(1, recent, 0, 1)}
		}(), wantSkip: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultCompactionConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			jobs, skipped := PlanCompaction("t", tt.metas, tt.noCompact, planNow, cfg)
			var got []string
			for _, j := range jobs {
				got = append(got, ids(j.Inputs))
				if j.Reason == "" {
					t.Errorf("job without a reason")
				}
			}
			if strings.Join(got, " | ") != strings.Join(tt.wantJobs, " | ") {
				t.Errorf("jobs = %v, want %v", got, tt.wantJobs)
			}
			if len(skipped) != tt.wantSkip {
				t.Errorf("skipped = %d, want %d: %+v", len(skipped), tt.wantSkip, skipped)
			}
		})
	}
}

func TestPlanCompactionFixtureMulti(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "fixtures", "tempo-blocks", "multi")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("fixtures (shared/ beside the repo): %v", err)
	}
	var metas []*backend.BlockMeta
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "meta.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m backend.BlockMeta
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		metas = append(metas, &m)
	}
	if len(metas) != 4 {
		t.Fatalf("read %d metas, want 4", len(metas))
	}
	now := metas[0].EndTime.Add(time.Hour)
	jobs, skipped := PlanCompaction("multi", metas, nil, now, DefaultCompactionConfig())
	if len(jobs) != 1 || len(jobs[0].Inputs) != 4 || len(skipped) != 0 {
		t.Fatalf("want one job of all 4 blocks, got %d jobs, %d skipped", len(jobs), len(skipped))
	}
	if jobs[0].Objects() != 345 {
		t.Errorf("objects = %d, want 345", jobs[0].Objects())
	}
}

func TestPlanRetention(t *testing.T) {
	live := []*backend.BlockMeta{meta(0, planNow.Add(-15*24*time.Hour), 0, 1), meta(1, planNow.Add(-time.Hour), 0, 1)}
	compacted := []*backend.CompactedBlockMeta{
		{BlockMeta: *meta(2, planNow, 0, 1), CompactedTime: planNow.Add(-2 * time.Hour)},
		{BlockMeta: *meta(3, planNow, 0, 1), CompactedTime: planNow.Add(-10 * time.Minute)},
	}
	p := PlanRetention(live, compacted, planNow, 14*24*time.Hour, time.Hour)
	if ids(p.MarkCompacted) != "a" {
		t.Errorf("mark compacted = %s, want a", ids(p.MarkCompacted))
	}
	if len(p.Delete) != 1 || p.Delete[0].BlockID.String()[35:] != "2" {
		t.Errorf("delete = %+v, want block c", p.Delete)
	}
	if p := PlanRetention(live, compacted, planNow, 0, 0); len(p.MarkCompacted)+len(p.Delete) != 0 {
		t.Errorf("zero retention must do nothing, got %+v", p)
	}
}
