package block_test

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/internal/tracecmp"
	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

func memBackend(t testing.TB) *backend.Backend {
	t.Helper()
	be, err := backend.Open(context.Background(), backend.Config{Backend: "memory"})
	if err != nil {
		t.Fatal(err)
	}
	return be
}

type genTrace struct {
	id model.TraceID
	td ptrace.Traces
}

func generate(seed uint64, n int, exotic bool) []genTrace {
	g := tracegen.New(seed, tracegen.Config{Exotic: exotic})
	out := make([]genTrace, n)
	for i := range out {
		out[i].id, out[i].td = g.Trace()
	}
	slices.SortFunc(out, func(a, b genTrace) int { return a.id.Compare(b.id) })
	return out
}

func writeBlock(t testing.TB, be *backend.Backend, cfg block.Config, traces []genTrace) *backend.BlockMeta {
	t.Helper()
	ctx := context.Background()
	w, err := block.NewWriter(ctx, be, "t1", cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range traces {
		if err := w.Add(ctx, tr.id, tr.td); err != nil {
			t.Fatal(err)
		}
	}
	m, err := w.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Property: whatever the generator makes comes back exactly, for several
// seeds, both versions, one and many row groups.
func TestWrittenBlockReadsBackExactly(t *testing.T) {
	ctx := context.Background()
	for _, version := range block.Versions {
		for _, seed := range []uint64{1, 2, 3} {
			for _, rgBytes := range []int{0, 40_000} {
				traces := generate(seed, 150, true)
				be := memBackend(t)
				m := writeBlock(t, be, block.Config{Version: version, RowGroupSizeBytes: rgBytes, DedicatedColumns: vparquet.DefaultDedicatedColumns()}, traces)
				if m.Version != version || m.TotalObjects != int64(len(traces)) {
					t.Fatalf("meta: %+v", m)
				}
				if rgBytes > 0 && m.TotalRecords < 2 {
					t.Fatalf("%s: %d row groups with a %d-byte row-group size", version, m.TotalRecords, rgBytes)
				}
				stored, err := be.ReadMeta(ctx, "t1", m.BlockID)
				if err != nil || stored.TotalObjects != m.TotalObjects {
					t.Fatalf("stored meta: %v %+v", err, stored)
				}
				r, err := block.Open(ctx, be, stored)
				if err != nil {
					t.Fatal(err)
				}
				for _, tr := range traces {
					got, ok, err := r.FindTraceByID(ctx, tr.id)
					if err != nil || !ok {
						t.Fatalf("%s seed %d: find %s: ok=%v err=%v", version, seed, tr.id, ok, err)
					}
					if d := tracecmp.Diff(tr.td, got, tracecmp.Options{}, 3); len(d) > 0 {
						t.Fatalf("%s seed %d: trace %s:\n%v", version, seed, tr.id, d)
					}
				}
				i := 0
				if err := r.Iterate(ctx, func(id model.TraceID, td ptrace.Traces) error {
					if id != traces[i].id {
						t.Fatalf("iterate %d: %s, want %s", i, id, traces[i].id)
					}
					i++
					return nil
				}); err != nil || i != len(traces) {
					t.Fatalf("iterate: %d traces, err %v", i, err)
				}
			}
		}
	}
}

// Rewriting a Tempo block with tempoctl gives the same meta figures, the same
// bloom bytes and the same row-group index as Tempo wrote.
func TestRewriteFixtureMatchesTempo(t *testing.T) {
	ctx := context.Background()
	src := fixtureBackend(t)
	for _, tenant := range []string{"single-tenant", "v4-tenant", "acme"} {
		t.Run(tenant, func(t *testing.T) {
			metas, _, err := src.BlockMetas(ctx, tenant)
			if err != nil || len(metas) != 1 {
				t.Fatal(metas, err)
			}
			fm := metas[0]
			r, err := block.Open(ctx, src, fm)
			if err != nil {
				t.Fatal(err)
			}
			var traces []genTrace
			if err := r.Iterate(ctx, func(id model.TraceID, td ptrace.Traces) error {
				traces = append(traces, genTrace{id, td})
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			dst := memBackend(t)
			m := writeBlock(t, dst, block.Config{Version: fm.Version, DedicatedColumns: vparquet.DefaultDedicatedColumns()}, traces)
			if !m.StartTime.Equal(fm.StartTime) || !m.EndTime.Equal(fm.EndTime) {
				t.Errorf("time range %s–%s, Tempo wrote %s–%s", m.StartTime, m.EndTime, fm.StartTime, fm.EndTime)
			}
			if m.TotalObjects != fm.TotalObjects || m.TotalRecords != fm.TotalRecords || m.BloomShardCount != fm.BloomShardCount {
				t.Errorf("meta %+v, Tempo wrote %+v", m, fm)
			}
			mj, _ := backend.MarshalMeta(&backend.BlockMeta{DedicatedColumns: m.DedicatedColumns})
			fj, _ := backend.MarshalMeta(&backend.BlockMeta{DedicatedColumns: fm.DedicatedColumns})
			if !bytes.Equal(mj, fj) {
				t.Errorf("dedicated columns %s, Tempo wrote %s", mj, fj)
			}
			for _, name := range []string{backend.BloomName(0), backend.IndexName} {
				want, err := src.ReadObject(ctx, tenant, fm.BlockID, name)
				if err != nil {
					t.Fatal(err)
				}
				got, err := dst.ReadObject(ctx, "t1", m.BlockID, name)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from Tempo's (%d vs %d bytes)", name, len(got), len(want))
				}
			}
			// And the content is the same, trace by trace.
			r2, err := block.Open(ctx, dst, m)
			if err != nil {
				t.Fatal(err)
			}
			for _, tr := range traces {
				got, ok, err := r2.FindTraceByID(ctx, tr.id)
				if err != nil || !ok {
					t.Fatalf("find %s: %v %v", tr.id, ok, err)
				}
				if d := tracecmp.Diff(tr.td, got, tracecmp.Options{}, 3); len(d) > 0 {
					t.Fatalf("trace %s:\n%v", tr.id, d)
				}
			}
		})
	}
}

func slicesSortByID(ts []genTrace) {
	slices.SortFunc(ts, func(a, b genTrace) int { return a.id.Compare(b.id) })
}
