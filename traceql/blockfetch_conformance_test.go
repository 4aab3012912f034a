package traceql_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
	"github.com/tempoctl/tempoctl/storage/vparquet/search"
	"github.com/tempoctl/tempoctl/traceql"
)

// TestConformanceBlocks runs the conformance suite through the vParquet
// block fetcher over the real Tempo-written fixture blocks (vParquet5 and
// vParquet4), so pushdown and column pruning are held to the oracle too.
func TestConformanceBlocks(t *testing.T) {
	for _, tenant := range []string{"single-tenant", "v4-tenant"} {
		t.Run(tenant, func(t *testing.T) {
			traceql.RunConformance(t, tenant+".json", openFixtureBlocks(t, tenant))
		})
	}
}

func openFixtureBlocks(t *testing.T, tenant string) *search.Fetcher {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "shared", "fixtures", "tempo-blocks"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("fixtures: %v", err)
	}
	ctx := context.Background()
	be, err := backend.Open(ctx, backend.Config{Backend: "local", Local: backend.LocalConfig{Path: dir}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	metas, _, err := be.BlockMetas(ctx, tenant)
	if err != nil || len(metas) == 0 {
		t.Fatalf("blocks of %s: %v (%d)", tenant, err, len(metas))
	}
	var readers []*vparquet.Reader
	for _, m := range metas {
		r, err := block.OpenParquet(ctx, be, m)
		if err != nil {
			t.Fatal(err)
		}
		readers = append(readers, r)
	}
	return search.NewFetcher(readers...)
}
