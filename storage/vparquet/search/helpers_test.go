package search

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

func fixtureDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "shared", "fixtures", "tempo-blocks"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("fixtures: %v", err)
	}
	return dir
}

// openTenant opens every block of a tenant in a bucket.
func openTenant(t testing.TB, be *backend.Backend, tenant string) []*vparquet.Reader {
	t.Helper()
	ctx := context.Background()
	metas, _, err := be.BlockMetas(ctx, tenant)
	if err != nil || len(metas) == 0 {
		t.Fatalf("blocks of %s: %v (%d)", tenant, err, len(metas))
	}
	var out []*vparquet.Reader
	for _, m := range metas {
		r, err := block.OpenParquet(ctx, be, m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func fixtureBucket(t testing.TB) *backend.Backend {
	t.Helper()
	be, err := backend.Open(context.Background(), backend.Config{Backend: "local", Local: backend.LocalConfig{Path: fixtureDir(t)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	return be
}

type genTrace struct {
	id model.TraceID
	td ptrace.Traces
}

// writeGenerated writes n generated traces (every attribute type, arrays,
// dedicated slots) as one block with small row groups in a memory bucket.
func writeGenerated(t testing.TB, version string, seed uint64, n int, exotic bool) (*backend.Backend, *vparquet.Reader) {
	t.Helper()
	return writeGeneratedSized(t, version, seed, n, exotic, 32<<10)
}

func writeGeneratedSized(t testing.TB, version string, seed uint64, n int, exotic bool, rgSize int) (*backend.Backend, *vparquet.Reader) {
	t.Helper()
	return writeGeneratedBlock(t, seed, n, exotic, block.Config{Version: version, RowGroupSizeBytes: rgSize})
}

// writeGeneratedBlock writes n generated traces with cfg (Tempo's default
// dedicated columns).
func writeGeneratedBlock(t testing.TB, seed uint64, n int, exotic bool, cfg block.Config) (*backend.Backend, *vparquet.Reader) {
	t.Helper()
	ctx := context.Background()
	be, err := backend.Open(ctx, backend.Config{Backend: "memory"})
	if err != nil {
		t.Fatal(err)
	}
	g := tracegen.New(seed, tracegen.Config{Exotic: exotic, MinSpans: 1, MaxSpans: 25})
	ts := make([]genTrace, n)
	for i := range ts {
		ts[i].id, ts[i].td = g.Trace()
	}
	slices.SortFunc(ts, func(a, b genTrace) int { return a.id.Compare(b.id) })
	cfg.DedicatedColumns = vparquet.DefaultDedicatedColumns()
	w, err := block.NewWriter(ctx, be, "t", cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range ts {
		if err := w.Add(ctx, tr.id, tr.td); err != nil {
			t.Fatal(err)
		}
	}
	m, err := w.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, err := block.OpenParquet(ctx, be, m)
	if err != nil {
		t.Fatal(err)
	}
	return be, r
}

// readBack returns the block's traces as OTLP (what the memory fetcher
// compares against: the same data after the storage round trip).
func readBack(t testing.TB, r *vparquet.Reader) []ptrace.Traces {
	t.Helper()
	var out []ptrace.Traces
	err := r.Iterate(context.Background(), func(_ model.TraceID, td ptrace.Traces) error {
		out = append(out, td)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
