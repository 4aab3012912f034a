package block_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/internal/tracecmp"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
)

var fixtureRoot = filepath.Join("..", "..", "..", "shared", "fixtures", "tempo-blocks")

func fixtureBackend(t testing.TB) *backend.Backend {
	t.Helper()
	if _, err := os.Stat(fixtureRoot); err != nil {
		t.Fatalf("fixtures (../shared beside the repo): %v", err)
	}
	be, err := backend.Open(context.Background(), backend.Config{Backend: "local", Local: backend.LocalConfig{Path: fixtureRoot}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	return be
}

// expectedTraces reads expected/<tenant>.json: what was pushed to Tempo.
func expectedTraces(t testing.TB, tenant string) (ids []model.TraceID, traces map[model.TraceID]ptrace.Traces) {
	t.Helper()
	f, err := os.Open(filepath.Join(fixtureRoot, "expected", tenant+".json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	traces = map[model.TraceID]ptrace.Traces{}
	bad, err := model.ReadOTLPJSONLines(f, func(_ int, td ptrace.Traces) error {
		lineIDs, parts := model.SplitByTraceID(td)
		for _, id := range lineIDs {
			if prev, ok := traces[id]; ok {
				traces[id] = model.Combine(prev, parts[id])
				continue
			}
			ids = append(ids, id)
			traces[id] = parts[id]
		}
		return nil
	})
	if err != nil || len(bad) > 0 {
		t.Fatalf("expected/%s.json: %v %v", tenant, err, bad)
	}
	return ids, traces
}

func TestFixtureBlocksHoldEveryPushedTrace(t *testing.T) {
	be := fixtureBackend(t)
	ctx := context.Background()
	tenants := []struct {
		tenant, version   string
		blocks, rowGroups int
	}{
		{"single-tenant", backend.VersionVParquet5, 1, 1},
		{"acme", backend.VersionVParquet5, 1, 1},
		{"globex", backend.VersionVParquet5, 1, 1},
		{"v4-tenant", backend.VersionVParquet4, 1, 1},
		{"multi", backend.VersionVParquet5, 4, 4},
		{"rowgroups", backend.VersionVParquet5, 1, 5},
	}
	for _, tc := range tenants {
		t.Run(tc.tenant, func(t *testing.T) {
			metas, _, err := be.BlockMetas(ctx, tc.tenant)
			if err != nil {
				t.Fatal(err)
			}
			if len(metas) != tc.blocks {
				t.Fatalf("%d blocks, want %d", len(metas), tc.blocks)
			}
			var readers []block.Reader
			rowGroups := 0
			for _, m := range metas {
				if m.Version != tc.version {
					t.Fatalf("block %s is %s, want %s", m.BlockID, m.Version, tc.version)
				}
				r, err := block.OpenParquet(ctx, be, m)
				if err != nil {
					t.Fatal(err)
				}
				rowGroups += r.RowGroups()
				readers = append(readers, r)

				// Iterate gives totalObjects traces in ascending ID order.
				n := 0
				var last model.TraceID
				if err := r.Iterate(ctx, func(id model.TraceID, td ptrace.Traces) error {
					if n > 0 && id.Compare(last) <= 0 {
						t.Errorf("iterate: %s after %s", id, last)
					}
					last = id
					n++
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				if int64(n) != m.TotalObjects {
					t.Errorf("block %s: iterated %d traces, meta says %d", m.BlockID, n, m.TotalObjects)
				}
			}
			if rowGroups != tc.rowGroups {
				t.Errorf("%d row groups, want %d", rowGroups, tc.rowGroups)
			}

			ids, want := expectedTraces(t, tc.tenant)
			for _, id := range ids {
				var parts []ptrace.Traces
				for _, r := range readers {
					td, ok, err := r.FindTraceByID(ctx, id)
					if err != nil {
						t.Fatalf("%s: %v", id, err)
					}
					if ok {
						parts = append(parts, td)
					}
				}
				if len(parts) == 0 {
					t.Errorf("trace %s not found", id)
					continue
				}
				got := model.Combine(parts...)
				if got.SpanCount() != want[id].SpanCount() || got.SpanCount() == 0 {
					t.Errorf("trace %s: %d spans, want %d", id, got.SpanCount(), want[id].SpanCount())
				}
				if d := tracecmp.Diff(want[id], got, tracecmp.Options{}, 5); len(d) > 0 {
					t.Errorf("trace %s differs:\n%v", id, d)
				}
			}

			// A trace that is not there is not found.
			missing := model.TraceID{0xff, 0xfe, 0xfd}
			for _, r := range readers {
				if _, ok, err := r.FindTraceByID(ctx, missing); err != nil || ok {
					t.Errorf("missing trace: ok=%v err=%v", ok, err)
				}
			}
		})
	}
}
