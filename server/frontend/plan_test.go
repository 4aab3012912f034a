package frontend

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/storage/backend"
)

func TestSplitBlock(t *testing.T) {
	const mb = 1 << 20
	tests := []struct {
		name       string
		size       uint64
		rowGroups  uint32
		target     uint64
		wantRanges [][2]int // {start, count}; count 0 = whole block
	}{
		{"small block is one job", 10 * mb, 5, 100 * mb, [][2]int{{0, 0}}},
		{"one row group cannot split", 500 * mb, 1, 100 * mb, [][2]int{{0, 0}}},
		{"exactly target", 100 * mb, 4, 100 * mb, [][2]int{{0, 0}}},
		{"two row groups per job", 400 * mb, 8, 100 * mb, [][2]int{{0, 2}, {2, 2}, {4, 2}, {6, 2}}},
		{"last job shorter", 500 * mb, 5, 200 * mb, [][2]int{{0, 2}, {2, 2}, {4, 1}}},
		{"row group larger than target", 300 * mb, 3, 10 * mb, [][2]int{{0, 1}, {1, 1}, {2, 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &backend.BlockMeta{BlockID: uuid.New(), Size: tc.size, TotalRecords: tc.rowGroups}
			jobs := splitBlock(m, tc.target)
			if len(jobs) != len(tc.wantRanges) {
				t.Fatalf("%d jobs, want %d: %+v", len(jobs), len(tc.wantRanges), jobs)
			}
			for i, j := range jobs {
				if len(j.Blocks) != 1 || j.Blocks[0] != m || j.Live {
					t.Fatalf("job %d: %+v", i, j)
				}
				if got := [2]int{j.StartRowGroup, j.RowGroups}; got != tc.wantRanges[i] {
					t.Errorf("job %d covers %v, want %v", i, got, tc.wantRanges[i])
				}
			}
		})
	}
}

func TestPlanSearch(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	block := func(end time.Duration, size uint64, rgs uint32) *backend.BlockMeta {
		return &backend.BlockMeta{BlockID: uuid.New(), StartTime: now.Add(end - 5*time.Minute), EndTime: now.Add(end), Size: size, TotalRecords: rgs}
	}
	old := block(-3*time.Hour, 10, 1)
	mid := block(-40*time.Minute, 10, 1)
	recent := block(-2*time.Minute, 400, 4)
	metas := []*backend.BlockMeta{old, recent, mid}
	f := New(Config{Search: SearchConfig{TargetBytesPerJob: 100, QueryIngestersUntil: 30 * time.Minute}}, nil, nil, Options{})
	tests := []struct {
		name       string
		start, end time.Time
		live       bool
		blocks     []*backend.BlockMeta // in job order
		jobs       int
	}{
		{"recent window, open end", now.Add(-15 * time.Minute), time.Time{}, true, []*backend.BlockMeta{recent}, 5},
		{"whole day, newest first", now.Add(-24 * time.Hour), now, true, []*backend.BlockMeta{recent, mid, old}, 7},
		{"old range skips live data", now.Add(-4 * time.Hour), now.Add(-time.Hour), false, []*backend.BlockMeta{old}, 1},
		{"range ending inside query_ingesters_until", now.Add(-50 * time.Minute), now.Add(-20 * time.Minute), true, []*backend.BlockMeta{mid}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := f.planSearch(tc.start, tc.end, metas, now)
			if len(p.jobs) != tc.jobs || int(p.metrics.TotalJobs) != tc.jobs {
				t.Fatalf("%d jobs (metrics %d), want %d", len(p.jobs), p.metrics.TotalJobs, tc.jobs)
			}
			if p.jobs[0].Live != tc.live {
				t.Fatalf("first job live=%v, want %v", p.jobs[0].Live, tc.live)
			}
			var order []*backend.BlockMeta
			var bytes uint64
			for _, j := range p.jobs {
				for _, m := range j.Blocks {
					if len(order) == 0 || order[len(order)-1] != m {
						order = append(order, m)
						bytes += m.Size
					}
				}
			}
			if len(order) != len(tc.blocks) || int(p.metrics.TotalBlocks) != len(tc.blocks) || p.metrics.TotalBlockBytes != bytes {
				t.Fatalf("blocks %d (metrics %+v), want %d", len(order), p.metrics, len(tc.blocks))
			}
			for i := range order {
				if order[i] != tc.blocks[i] {
					t.Fatalf("block %d out of order", i)
				}
			}
		})
	}
}

func TestBlockShards(t *testing.T) {
	f := New(Config{TraceByID: TraceByIDConfig{QueryShards: 5}}, nil, nil, Options{})
	var metas []*backend.BlockMeta
	for i := 0; i < 200; i++ {
		metas = append(metas, &backend.BlockMeta{BlockID: uuid.New()})
	}
	metas = append(metas, &backend.BlockMeta{BlockID: uuid.UUID{}}, &backend.BlockMeta{BlockID: uuid.Max})
	shards := f.blockShards(querier.TraceByIDRequest{Tenant: "t"}, metas)
	if len(shards) != 4 {
		t.Fatalf("%d shards, want 4 (query_shards 5 less the live one)", len(shards))
	}
	pos := map[uuid.UUID]int{}
	for i, m := range metas {
		pos[m.BlockID] = i
	}
	seen := map[uuid.UUID]int{}
	for i, s := range shards {
		for k := 1; k < len(s.Blocks); k++ {
			if pos[s.Blocks[k-1].BlockID] > pos[s.Blocks[k].BlockID] {
				t.Fatalf("shard %d: blocks not in list order", i)
			}
		}
		if s.Mode != querier.ModeBlocks {
			t.Fatalf("shard %d mode %q", i, s.Mode)
		}
		if i > 0 && !less(shards[i-1].BlockEnd, s.BlockStart) {
			t.Fatalf("shard %d starts at %s, before the end of the previous %s", i, s.BlockStart, shards[i-1].BlockEnd)
		}
		for _, m := range s.Blocks {
			seen[m.BlockID]++
			if less(m.BlockID, s.BlockStart) || less(s.BlockEnd, m.BlockID) {
				t.Fatalf("block %s outside its shard [%s, %s]", m.BlockID, s.BlockStart, s.BlockEnd)
			}
		}
	}
	if len(seen) != len(metas) {
		t.Fatalf("%d blocks placed, want %d", len(seen), len(metas))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("block %s in %d shards", id, n)
		}
	}
	if shards[0].BlockStart != (uuid.UUID{}) || shards[len(shards)-1].BlockEnd != uuid.Max {
		t.Fatal("shards do not cover the whole ID space")
	}
}

func less(a, b uuid.UUID) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}
