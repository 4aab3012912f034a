package compactor

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"gopkg.in/yaml.v3"

	"github.com/tempoctl/tempoctl/blocktools"
	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

var fixtureRoot = filepath.Join("..", "..", "..", "shared", "fixtures", "tempo-blocks")

// fixtureNow is after the fixture blocks (2026-11-23 20:4x) by more than 24h.
var fixtureNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func localCopy(t *testing.T, tenants ...string) (*backend.Backend, string) {
	t.Helper()
	dir := t.TempDir()
	for _, tenant := range tenants {
		src := filepath.Join(fixtureRoot, tenant)
		err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			out := filepath.Join(dir, tenant, rel)
			if d.IsDir() {
				return os.MkdirAll(out, 0o700)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(out, b, 0o644)
		})
		if err != nil {
			t.Fatalf("fixtures (../shared beside the repo): %v", err)
		}
	}
	be, err := backend.Open(context.Background(), backend.Config{Backend: "local", Local: backend.LocalConfig{Path: dir}})
	if err != nil {
		t.Fatal(err)
	}
	return be, dir
}

func newTestCompactor(t *testing.T, be *backend.Backend, cfg Config, now time.Time) (*Compactor, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	c, err := New(cfg, be, block.Config{}, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return now }
	return c, reg
}

// longRetention keeps the fixtures (days old) out of retention's reach.
func longRetention() Config {
	cfg := DefaultConfig()
	cfg.Compaction.BlockRetention = 10 * 365 * 24 * time.Hour
	cfg.Compaction.CompactedBlockRetention = 10 * 365 * 24 * time.Hour
	return cfg
}

func TestCycleCompactsTenantsAndRewritesIndex(t *testing.T) {
	ctx := context.Background()
	be, _ := localCopy(t, "multi", "acme")
	c, reg := newTestCompactor(t, be, longRetention(), fixtureNow)
	res := c.RunCycle(ctx)
	if res.Tenants != 2 || res.Jobs != 1 || res.BlocksCompacted != 4 || res.Errors != 0 {
		t.Fatalf("cycle %+v", res)
	}
	if got := testutil.ToFloat64(c.m.blocksCompacted); got != 4 {
		t.Errorf("blocks compacted %v", got)
	}
	if got := testutil.ToFloat64(c.m.outstanding.WithLabelValues("multi")); got != 4 {
		t.Errorf("outstanding %v", got)
	}
	if got := testutil.ToFloat64(c.m.blocklistLength.WithLabelValues("multi")); got != 1 {
		t.Errorf("blocklist length %v", got)
	}
	if n := testutil.CollectAndCount(c.m.duration); n != 1 {
		t.Errorf("duration histogram: %d series", n)
	}
	idx, err := be.ReadTenantIndex(ctx, "multi")
	if err != nil || len(idx.Meta) != 1 || len(idx.Compacted) != 4 || idx.Meta[0].TotalObjects != 300 || idx.Meta[0].CompactionLevel != 1 {
		t.Fatalf("tenant index %+v %v", idx, err)
	}
	// Every metric name the dashboards and the alert use is exported.
	mfs, _ := reg.Gather()
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	for _, n := range []string{"tempo_compactor_blocks_compacted_total", "tempo_compactor_compaction_duration_seconds",
		"tempodb_compaction_outstanding_blocks", "tempodb_retention_deleted_total", "tempodb_blocklist_length", "tempo_compactor_errors_total"} {
		if !slices.Contains(names, n) {
			t.Errorf("metric %s not exported (have %v)", n, names)
		}
	}
	// Next cycle: nothing left to do, counter unchanged.
	res = c.RunCycle(ctx)
	if res.Jobs != 0 || testutil.ToFloat64(c.m.blocksCompacted) != 4 || testutil.ToFloat64(c.m.outstanding.WithLabelValues("multi")) != 0 {
		t.Errorf("second cycle %+v", res)
	}
}

func writeBlocks(t *testing.T, be *backend.Backend, tenant string, n int, start uint64) []*backend.BlockMeta {
	t.Helper()
	ctx := context.Background()
	var out []*backend.BlockMeta
	g := tracegen.New(uint64(n)+start, tracegen.Config{Start: start, Spread: 1e8})
	for b := 0; b < n; b++ {
		type tr struct {
			id model.TraceID
			td ptrace.Traces
		}
		var trs []tr
		for i := 0; i < 10; i++ {
			id, td := g.Trace()
			trs = append(trs, tr{id, td})
		}
		slices.SortFunc(trs, func(a, b tr) int { return a.id.Compare(b.id) })
		w, err := block.NewWriter(ctx, be, tenant, block.Config{DedicatedColumns: vparquet.DefaultDedicatedColumns()})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range trs {
			if err := w.Add(ctx, x.id, x.td); err != nil {
				t.Fatal(err)
			}
		}
		m, err := w.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// A flagged block, a block whose data is corrupt and a block whose meta is
// garbage are each skipped with a log line and a metric; the cycle goes on
// (another tenant compacts in the same cycle) and the next cycle compacts
// what is left.
func TestCycleSkipsFlaggedAndUnreadableBlocks(t *testing.T) {
	ctx := context.Background()
	be, err := backend.Open(ctx, backend.Config{Backend: "memory"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	start := uint64(time.Date(2026, 11, 23, 1, 10, 0, 0, time.UTC).UnixNano())
	bad := writeBlocks(t, be, "bad", 5, start)
	writeBlocks(t, be, "good", 2, start)
	if err := be.WriteNoCompactFlag(ctx, "bad", bad[0].BlockID); err != nil {
		t.Fatal(err)
	}
	// Garbage data under an intact meta: fails when the job reads it.
	if err := be.WriteObjectBytes(ctx, "bad", bad[1].BlockID, backend.DataName, bytes.Repeat([]byte("x"), int(bad[1].Size))); err != nil {
		t.Fatal(err)
	}
	if err := be.WriteObjectBytes(ctx, "bad", bad[4].BlockID, backend.MetaName, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	c, _ := newTestCompactor(t, be, longRetention(), now)
	c.log = slogTo(&logs)

	res := c.RunCycle(ctx)
	if res.FailedJobs != 1 || res.BlocksCompacted != 2 {
		t.Fatalf("first cycle %+v\n%s", res, logs.String())
	}
	if got := testutil.ToFloat64(c.m.errors.WithLabelValues(errUnreadable)); got != 1 {
		t.Errorf("unreadable_block errors %v", got)
	}
	if got := testutil.ToFloat64(c.m.errors.WithLabelValues(errUnreadableMet)); got != 1 {
		t.Errorf("unreadable_meta errors %v", got)
	}
	if got := testutil.ToFloat64(c.m.skipped.WithLabelValues("bad", "nocompact")); got != 1 {
		t.Errorf("skipped nocompact %v", got)
	}
	for _, want := range []string{"nocompact.flg", bad[1].BlockID.String(), bad[4].BlockID.String()} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("no log line names %s:\n%s", want, logs.String())
		}
	}
	if live, _, _, _ := be.PollBlocks(ctx, "good"); len(live) != 1 {
		t.Errorf("tenant good: %d live blocks after the cycle", len(live))
	}

	res = c.RunCycle(ctx)
	if res.FailedJobs != 0 || res.BlocksCompacted != 2 {
		t.Fatalf("second cycle %+v\n%s", res, logs.String())
	}
	// the block with garbage data and the one with a garbage meta
	if got := testutil.ToFloat64(c.m.skipped.WithLabelValues("bad", "unreadable")); got != 2 {
		t.Errorf("skipped unreadable %v", got)
	}
	live, _, _, _ := be.PollBlocks(ctx, "bad")
	var ids []uuid.UUID
	for _, m := range live {
		ids = append(ids, m.BlockID)
	}
	if len(live) != 3 || !slices.Contains(ids, bad[0].BlockID) || !slices.Contains(ids, bad[1].BlockID) {
		t.Errorf("live after two cycles: %v", ids)
	}
	// After the retry period the bad block is tried again (and fails again)
	// once there is a block to merge it with.
	writeBlocks(t, be, "bad", 1, start+1e9)
	c.now = func() time.Time { return now.Add(2 * badBlockRetry) }
	res = c.RunCycle(ctx)
	if testutil.ToFloat64(c.m.errors.WithLabelValues(errUnreadable)) != 2 {
		t.Errorf("bad block not retried: %+v", res)
	}
}

func TestRetention(t *testing.T) {
	ctx := context.Background()
	be, err := backend.Open(ctx, backend.Config{Backend: "memory"})
	if err != nil {
		t.Fatal(err)
	}
	start := uint64(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	old := writeBlocks(t, be, "t1", 1, start)
	writeBlocks(t, be, "keep", 1, start)
	writeBlocks(t, be, "off", 1, start)
	cfg := DefaultConfig()
	cfg.Compaction.RetentionDuration = 72 * time.Hour // the older key still works
	// Blocks are ~3 weeks old at "now": t1 is past 72h; keep has a 60-day override.
	now := time.Now()
	c, _ := newTestCompactor(t, be, cfg, now)
	c.SetLimits(func(tenant string) TenantLimits {
		switch tenant {
		case "keep":
			return TenantLimits{BlockRetention: 60 * 24 * time.Hour}
		case "off":
			return TenantLimits{CompactionDisabled: true}
		}
		return TenantLimits{}
	})
	res := c.RunCycle(ctx)
	if res.Marked != 1 || res.Deleted != 0 {
		t.Fatalf("cycle %+v", res)
	}
	if _, err := be.ReadCompactedMeta(ctx, "t1", old[0].BlockID); err != nil {
		t.Fatalf("old block not marked compacted: %v", err)
	}
	for _, tenant := range []string{"keep", "off"} {
		if live, _, _, _ := be.PollBlocks(ctx, tenant); len(live) != 1 {
			t.Errorf("tenant %s lost its block", tenant)
		}
	}
	// Past compacted_block_retention the compacted block is deleted.
	c.now = func() time.Time { return now.Add(2 * time.Hour) }
	res = c.RunCycle(ctx)
	if res.Deleted != 1 || testutil.ToFloat64(c.m.retentionDeleted) != 1 || testutil.ToFloat64(c.m.retentionMarked) != 1 {
		t.Fatalf("cycle %+v", res)
	}
	// With no block left the tenant index objects go too.
	if _, err := be.ReadTenantIndex(ctx, "t1"); err == nil {
		t.Error("tenant index of an empty tenant still there")
	}
}

func TestStartStop(t *testing.T) {
	be, _ := localCopy(t, "multi")
	cfg := longRetention()
	cfg.Compaction.CompactionCycle = 10 * time.Millisecond
	c, _ := newTestCompactor(t, be, cfg, fixtureNow)
	c.Start()
	deadline := time.Now().Add(time.Minute)
	for testutil.ToFloat64(c.m.blocksCompacted) < 4 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if testutil.ToFloat64(c.m.blocksCompacted) != 4 {
		t.Fatal("no compaction while running")
	}
}

// Stopping at any moment of a cycle leaves the tenant either as it was or
// fully compacted, never with a partial block (nor a leftover journal), and
// the next cycle ends with every trace in the one output block.
func TestStopCancelsCleanly(t *testing.T) {
	for _, delay := range []time.Duration{0, time.Millisecond, 20 * time.Millisecond, 100 * time.Millisecond, 300 * time.Millisecond} {
		ctx, cancel := context.WithCancel(context.Background())
		be, dir := localCopy(t, "multi")
		c, _ := newTestCompactor(t, be, longRetention(), fixtureNow)
		go func() { time.Sleep(delay); cancel() }()
		c.RunCycle(ctx)
		cancel()
		live, compacted, _, _ := be.PollBlocks(context.Background(), "multi")
		if !(len(live) == 4 && len(compacted) == 0) && !(len(live) == 1 && len(compacted) == 4) {
			t.Fatalf("stopped after %s: %d live, %d compacted", delay, len(live), len(compacted))
		}
		entries, _ := os.ReadDir(filepath.Join(dir, "multi"))
		for _, e := range entries {
			if _, err := uuid.Parse(e.Name()); err != nil {
				continue
			}
			_, e1 := os.Stat(filepath.Join(dir, "multi", e.Name(), backend.MetaName))
			_, e2 := os.Stat(filepath.Join(dir, "multi", e.Name(), backend.CompactedMetaName))
			if e1 != nil && e2 != nil {
				t.Fatalf("stopped after %s: partial block %s left behind", delay, e.Name())
			}
		}
		if js, _ := os.ReadDir(filepath.Join(dir, "multi", blocktools.JournalDir)); len(js) > 0 {
			t.Fatalf("stopped after %s: %d compaction journal(s) left behind", delay, len(js))
		}
		if res := c.RunCycle(context.Background()); res.Errors != 0 || res.FailedJobs != 0 {
			t.Fatalf("stopped after %s: next cycle %+v", delay, res)
		}
		live, compacted, _, _ = be.PollBlocks(context.Background(), "multi")
		if len(live) != 1 || len(compacted) != 4 || live[0].TotalObjects != 300 {
			t.Fatalf("stopped after %s: after the next cycle %d live, %d compacted", delay, len(live), len(compacted))
		}
	}
}

func TestConfigYAML(t *testing.T) {
	src := `
ring:
  kvstore:
    store: memberlist
compaction:
  compaction_window: 2h
  max_compaction_objects: 1000000
  retention_duration: 72h
  compacted_block_retention: 30m
  max_block_bytes: 1073741824
  v2_in_buffer_bytes: 5242880
  v2_out_buffer_bytes: 20971520
  compaction_cycle: 1m
`
	cfg := DefaultConfig()
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	c := cfg.Compaction
	if c.CompactionWindow != 2*time.Hour || c.Retention() != 72*time.Hour || c.CompactedBlockRetention != 30*time.Minute ||
		c.MaxCompactionObjects != 1_000_000 || c.MaxBlockBytes != 1<<30 || c.CompactionCycle != time.Minute {
		t.Fatalf("%+v", c)
	}
	if DefaultConfig().Compaction.Retention() != DefaultBlockRetention {
		t.Error("default retention")
	}
	both := CompactionConfig{BlockRetention: time.Hour, RetentionDuration: 2 * time.Hour}
	if both.Retention() != time.Hour {
		t.Error("block_retention must win over retention_duration")
	}
	if err := yaml.Unmarshal([]byte("compaction: {unknown_key: 1}"), &cfg); err != nil {
		t.Fatal(err) // (strictness is the config loader's; here only the shape)
	}
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
