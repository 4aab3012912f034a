package blocktools

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

// fixtureNow is after the multi fixture's blocks (2026-11-23 20:48) by more
// than the 24h active window.
var fixtureNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

type splitTrace struct {
	id            model.TraceID
	first, second int
}

func readSplitList(t *testing.T) []splitTrace {
	f, err := os.Open(filepath.Join(fixtureRoot, "multi-split.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []splitTrace
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		id, err := model.ParseTraceID(fs[0])
		if err != nil {
			t.Fatal(err)
		}
		a, _ := strconv.Atoi(fs[3])
		b, _ := strconv.Atoi(fs[4])
		out = append(out, splitTrace{id, a, b})
	}
	if len(out) != 45 {
		t.Fatalf("multi-split.txt lists %d traces, want 45", len(out))
	}
	return out
}

func TestCompactMultiFixture(t *testing.T) {
	ctx := context.Background()
	be, _ := fixtureCopy(t, "multi")
	inputs, before := liveTraces(t, be, "multi")
	if len(before) != 4 {
		t.Fatalf("%d fixture blocks", len(before))
	}
	want := union(inputs)
	if len(want) != 300 {
		t.Fatalf("fixture union holds %d traces, want 300", len(want))
	}
	refSchema := schemaLines(t, be, before[0])

	plan, err := PlanTenant(ctx, be, "multi", DefaultCompactionConfig(), fixtureNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Jobs) != 1 || len(plan.Jobs[0].Inputs) != 4 {
		t.Fatalf("plan: %+v", plan)
	}
	var msgs []string
	res, err := RunPlan(ctx, be, plan, CompactOptions{Progress: func(p Progress) {
		if p.Message != "" {
			msgs = append(msgs, p.Message)
		}
	}})
	if err != nil || len(res.Failed) > 0 {
		t.Fatalf("run: %v %v", err, res.Failed)
	}
	r := res.Results[0]
	if len(r.Outputs) != 1 || r.Stats.TracesIn != 345 || r.Stats.TracesOut != 300 || r.Stats.SpansOut != 3534 {
		t.Fatalf("result %+v stats %+v", r, r.Stats)
	}
	if len(msgs) == 0 {
		t.Error("no progress messages")
	}

	got, live := liveTraces(t, be, "multi")
	if len(live) != 1 {
		t.Fatalf("%d live blocks after compaction, want 1", len(live))
	}
	out := live[0]
	if out.CompactionLevel != 1 || out.TotalObjects != 300 || out.Version != backend.VersionVParquet5 || out.ReplicationFactor != 1 {
		t.Errorf("output meta %+v", out)
	}
	if len(out.DedicatedColumns) != len(before[0].DedicatedColumns) {
		t.Errorf("dedicated columns %v, inputs had %v", out.DedicatedColumns, before[0].DedicatedColumns)
	}
	if out.StartTime.Before(before[0].StartTime.Add(-time.Second)) || out.EndTime.After(time.Date(2026, 11, 23, 20, 48, 55, 0, time.UTC)) {
		t.Errorf("output range %s–%s", out.StartTime, out.EndTime)
	}
	checkExactlyOnce(t, be, "multi", want)
	for _, s := range readSplitList(t) {
		parts := got[s.id]
		if len(parts) != 1 || parts[0].SpanCount() != s.first+s.second {
			t.Errorf("split trace %s: %d parts, want 1 with %d spans", s.id, len(parts), s.first+s.second)
		}
	}
	// Inputs are retired, not deleted: readers polling late still find them.
	_, compacted, _, _ := be.PollBlocks(ctx, "multi")
	if len(compacted) != 4 {
		t.Errorf("%d compacted inputs, want 4", len(compacted))
	}
	checkSameSchema(t, refSchema, schemaLines(t, be, out))
}

// Several small tempoctl-written blocks per tenant, with traces split
// across them, in both versions; outputs split by size and by objects.
func TestCompactWrittenBlocks(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC) // blocks are at 2026-11-23 00:0x: active window
	for _, version := range block.Versions {
		for _, split := range []struct {
			name     string
			maxBytes uint64
			maxObjs  int64
			outputs  int
		}{{"one output", 0, 0, 1}, {"by objects", 0, 45, 3}, {"by bytes", 100_000, 0, 0}} {
			t.Run(version+"/"+split.name, func(t *testing.T) {
				be := memBackend(t)
				cfg := block.Config{Version: version, DedicatedColumns: vparquet.DefaultDedicatedColumns(), RowGroupSizeBytes: 30_000}
				traces := generate(11, 100)
				perBlock := make([][]genTrace, 4)
				for i, tr := range traces {
					switch i % 4 {
					case 0: // split over three blocks
						for b, p := range splitSpans(tr.td, 3) {
							if p.SpanCount() > 0 {
								perBlock[b] = append(perBlock[b], genTrace{tr.id, p})
							}
						}
					case 1: // duplicated whole in two blocks
						perBlock[1] = append(perBlock[1], tr)
						perBlock[3] = append(perBlock[3], tr)
					default:
						perBlock[i%4] = append(perBlock[i%4], tr)
					}
				}
				for _, b := range perBlock {
					writeBlock(t, be, "t1", cfg, b)
				}
				inputs, before := liveTraces(t, be, "t1")
				want := union(inputs)
				if len(want) != len(traces) {
					t.Fatalf("union %d traces", len(want))
				}
				plan, err := PlanTenant(ctx, be, "t1", DefaultCompactionConfig(), now, nil)
				if err != nil || len(plan.Jobs) != 1 || len(plan.Jobs[0].Inputs) != 4 {
					t.Fatalf("plan %+v %v", plan, err)
				}
				res, err := RunPlan(ctx, be, plan, CompactOptions{Block: block.Config{RowGroupSizeBytes: 30_000}, MaxBlockBytes: split.maxBytes, MaxBlockObjects: split.maxObjs})
				if err != nil || len(res.Failed) > 0 {
					t.Fatalf("run: %v %v", err, res.Failed)
				}
				outs := res.Results[0].Outputs
				if split.outputs > 0 && len(outs) != split.outputs {
					t.Errorf("%d outputs, want %d", len(outs), split.outputs)
				}
				if split.outputs == 0 && len(outs) < 2 {
					t.Errorf("%d outputs; a %d-byte limit should split", len(outs), split.maxBytes)
				}
				var total int64
				for _, m := range outs {
					total += m.TotalObjects
					if m.Version != version || m.CompactionLevel != 1 {
						t.Errorf("output %s: %s level %d", m.BlockID, m.Version, m.CompactionLevel)
					}
					if split.maxObjs > 0 && m.TotalObjects > split.maxObjs {
						t.Errorf("output with %d traces > %d", m.TotalObjects, split.maxObjs)
					}
				}
				if total != int64(len(traces)) {
					t.Errorf("outputs hold %d traces, want %d", total, len(traces))
				}
				checkExactlyOnce(t, be, "t1", want)
				checkSameSchema(t, schemaLines(t, be, before[0]), schemaLines(t, be, outs[0]))
			})
		}
	}
}

// An unreadable input fails its job with an InputError naming the block,
// leaves no output behind and keeps every input live.
func TestCompactUnreadableInput(t *testing.T) {
	ctx := context.Background()
	be, dir := fixtureCopy(t, "multi")
	plan, err := PlanTenant(ctx, be, "multi", DefaultCompactionConfig(), fixtureNow, nil)
	if err != nil || len(plan.Jobs) != 1 {
		t.Fatal(plan, err)
	}
	bad := plan.Jobs[0].Inputs[2]
	data := filepath.Join(dir, "multi", bad.BlockID.String(), backend.DataName)
	b, _ := os.ReadFile(data)
	// Corrupt the middle of the file: the footer is intact, pages are not.
	for i := len(b) / 4; i < len(b)/2; i++ {
		b[i] ^= 0x5a
	}
	if err := os.WriteFile(data, b, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := RunPlan(ctx, be, plan, CompactOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failed) != 1 {
		t.Fatalf("failed jobs: %v", res.Failed)
	}
	id, ok := res.Failed[0].BadBlock()
	if !ok || id != bad.BlockID {
		t.Fatalf("bad block %s %v, want %s (%v)", id, ok, bad.BlockID, res.Failed[0].Err)
	}
	live, compacted, _, _ := be.PollBlocks(ctx, "multi")
	if len(live) != 4 || len(compacted) != 0 {
		t.Errorf("after a failed job: %d live, %d compacted", len(live), len(compacted))
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "multi"))
	if len(entries) != 6 { // 4 blocks + 2 index objects
		t.Errorf("%d entries in the tenant dir: output left behind?", len(entries))
	}
	// The next plan leaves the bad block out and compacts the rest.
	plan, err = PlanTenant(ctx, be, "multi", DefaultCompactionConfig(), fixtureNow, map[uuid.UUID]string{bad.BlockID: "failed to read"})
	if err != nil || len(plan.Jobs) != 1 || len(plan.Jobs[0].Inputs) != 3 {
		t.Fatalf("plan without the bad block: %+v %v", plan, err)
	}
	if res, err := RunPlan(ctx, be, plan, CompactOptions{}); err != nil || len(res.Failed) > 0 {
		t.Fatalf("%v %v", err, res.Failed)
	}
	live, _, _, _ = be.PollBlocks(ctx, "multi")
	if len(live) != 2 {
		t.Errorf("%d live blocks, want the bad one and the output", len(live))
	}
}

// Killing the process at any bucket write during compaction loses nothing
// (right after the crash every trace reads back whole), and the next pass
// leaves every trace in exactly one live block: a crash while writing
// outputs is resumed by the same job finding its finished outputs, a crash
// between the marks of two inputs is finished from the journal.
func TestCompactCrashAtEveryStep(t *testing.T) {
	ctx := context.Background()
	seed := memBackend(t)
	fixtureInto(t, seed, "multi")
	parts, _ := liveTraces(t, seed, "multi")
	want := union(parts)
	cfg := DefaultCompactionConfig()
	opts := CompactOptions{MaxBlockObjects: 120} // three outputs: crashes between outputs too
	pass := func(be *backend.Backend) {
		t.Helper()
		if _, err := RecoverJournals(ctx, be, "multi"); err != nil {
			t.Fatal(err)
		}
		plan, err := PlanTenant(ctx, be, "multi", cfg, fixtureNow, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := RunPlan(ctx, be, plan, opts); err != nil || len(res.Failed) > 0 {
			t.Fatalf("re-run: %v %v", err, res.Failed)
		}
	}
	const outputWrites = 3 * 4 // data, bloom, index, meta per output
	for budget := 0; ; budget++ {
		inner := cloneBucket(t, seed.Bucket())
		be, cb := crashAfter(inner, budget)
		plan, err := PlanTenant(ctx, be, "multi", cfg, fixtureNow, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := RunPlan(ctx, be, plan, opts)
		if !cb.dead {
			if err != nil || len(res.Failed) > 0 {
				t.Fatalf("budget %d: %v %v", budget, err, res.Failed)
			}
			if budget != outputWrites+4*2+2 {
				t.Fatalf("compaction made %d bucket writes, want %d", budget, outputWrites+10)
			}
			break
		}
		// Restart: a fresh process over what the dead one left.
		be2 := backend.NewFromBucket(inner)
		checkComplete(t, be2, "multi", want)
		pass(be2)
		checkExactlyOnce(t, be2, "multi", want)
		if t.Failed() {
			t.Fatalf("budget %d: failed", budget)
		}
	}
}

// Cancelling in the middle of a merge (Ctrl-C) stops the job: the partial
// output is deleted and the inputs stay live.
func TestCompactCancelMidMerge(t *testing.T) {
	be, dir := fixtureCopy(t, "multi")
	plan, err := PlanTenant(context.Background(), be, "multi", DefaultCompactionConfig(), fixtureNow, nil)
	if err != nil || len(plan.Jobs) != 1 {
		t.Fatal(plan, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err = RunPlan(ctx, be, plan, CompactOptions{Progress: func(p Progress) {
		if p.Message == "" { // an in-merge report, not a step
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	live, compacted, _, _ := be.PollBlocks(context.Background(), "multi")
	if len(live) != 4 || len(compacted) != 0 {
		t.Errorf("%d live, %d compacted", len(live), len(compacted))
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "multi"))
	if len(entries) != 6 {
		t.Errorf("%d entries in the tenant dir: partial output left behind", len(entries))
	}
}

// Cancelling a job right before any of its bucket writes leaves the tenant
// in one of two states, never in between: the job abandoned (the inputs
// live, no output object and no journal left) or the job committed (its
// outputs live, every input compacted, no journal left). Once the last
// output is complete the job commits: marking the inputs is a few small
// writes, and stopping there would leave the outputs duplicating the live
// inputs. Either way the next pass leaves every trace in one live block.
func TestCompactCancelAtEveryStep(t *testing.T) {
	seed := memBackend(t)
	fixtureInto(t, seed, "multi")
	parts, inputs := liveTraces(t, seed, "multi")
	want := union(parts)
	cfg := DefaultCompactionConfig()
	opts := CompactOptions{MaxBlockObjects: 120} // three outputs: cancels between outputs too
	const writes = 3*4 + 4*2 + 2                 // outputs, marks (copy + delete), journal
	isInput := map[string]bool{}
	for _, m := range inputs {
		isInput[m.BlockID.String()] = true
	}
	committed := 0
	for budget := 0; budget <= writes; budget++ {
		inner := cloneBucket(t, seed.Bucket())
		ctx, cancel := context.WithCancel(context.Background())
		be, cb := cancelAt(inner, budget, cancel)
		plan, err := PlanTenant(ctx, be, "multi", cfg, fixtureNow, nil)
		if err != nil || len(plan.Jobs) != 1 {
			t.Fatalf("budget %d: plan %+v %v", budget, plan, err)
		}
		res, err := RunPlan(ctx, be, plan, opts)
		cancel()
		if budget == writes {
			if !cb.fired && (err != nil || len(res.Failed) > 0) {
				t.Fatalf("uncancelled job: %v %v", err, res.Failed)
			}
			if cb.ops != writes {
				t.Fatalf("compaction made %d bucket writes, want %d", cb.ops, writes)
			}
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("budget %d: err = %v, want context.Canceled or nil", budget, err)
		}
		if res != nil && len(res.Failed) > 0 {
			t.Fatalf("budget %d: a cancelled job is not a failed job: %v", budget, res.Failed)
		}

		be2 := backend.NewFromBucket(inner)
		blocks, other := tenantObjects(t, inner, "multi")
		for _, key := range other {
			if strings.HasPrefix(key, JournalDir+"/") {
				t.Errorf("budget %d: journal %s left behind", budget, key)
			}
		}
		var liveIn, compIn, liveOut int
		for id, objs := range blocks {
			live, comp := slices.Contains(objs, backend.MetaName), slices.Contains(objs, backend.CompactedMetaName)
			switch {
			case !live && !comp:
				t.Errorf("budget %d: partial block %s left behind: %v", budget, id, objs)
			case isInput[id] && live:
				liveIn++
			case isInput[id]:
				compIn++
			case live:
				liveOut++
			default:
				t.Errorf("budget %d: output %s compacted", budget, id)
			}
		}
		switch {
		case liveIn == len(inputs) && compIn == 0 && len(blocks) == len(inputs):
			// abandoned
		case liveIn == 0 && compIn == len(inputs) && liveOut == 3:
			committed++
			if res == nil || len(res.Results) != 1 {
				t.Errorf("budget %d: committed job not reported as done: %+v", budget, res)
			}
		default:
			t.Errorf("budget %d: %d inputs live, %d compacted, %d outputs live, %d block dirs",
				budget, liveIn, compIn, liveOut, len(blocks))
		}
		checkComplete(t, be2, "multi", want)
		if t.Failed() {
			t.Fatalf("budget %d: failed", budget)
		}
		// The next pass finishes the work.
		if _, err := RecoverJournals(context.Background(), be2, "multi"); err != nil {
			t.Fatal(err)
		}
		plan, err = PlanTenant(context.Background(), be2, "multi", cfg, fixtureNow, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := RunPlan(context.Background(), be2, plan, opts); err != nil || len(res.Failed) > 0 {
			t.Fatalf("budget %d: re-run: %v %v", budget, err, res.Failed)
		}
		checkExactlyOnce(t, be2, "multi", want)
		if t.Failed() {
			t.Fatalf("budget %d: re-run failed", budget)
		}
	}
	// Cancelling once the last output is complete commits the job.
	if committed == 0 {
		t.Error("no cancellation point committed the job")
	}
}
