// Package benchbucket writes the generated bucket that the read-path
// benchmarks of several packages (querier, API) share, so their figures
// are over the same data.
package benchbucket

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/blocktools"
	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

// Tenant is the tenant the bucket's blocks belong to.
const Tenant = "bench"

// Base is the start of the first block's hour.
var Base = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// Lookup returns a local bucket of n generated traces cut into nb blocks
// by time (one hour each), like an ingester's flushes, and 200 trace IDs
// spread over all blocks. It is written once and kept in the temp dir
// between runs (generating 200 000 traces takes ~20 s).
func Lookup(tb testing.TB, n, nb int) (*backend.Backend, []model.TraceID) {
	return Bucket(tb, nb, n/nb, 0)
}

// Bucket is Lookup with blocks of perBlock traces and row groups of
// rgBytes (0: the writer's default).
func Bucket(tb testing.TB, nb, perBlock, rgBytes int) (*backend.Backend, []model.TraceID) {
	tb.Helper()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("tempoctl-bench-bucket-%d-%d-%d", nb, perBlock, rgBytes))
	idsFile := filepath.Join(dir, "lookup-ids.txt")
	ctx := context.Background()
	be, err := backend.Open(ctx, backend.Config{Backend: "local", Local: backend.LocalConfig{Path: dir}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { be.Close() })
	if ids, err := readIDs(idsFile); err == nil && len(ids) > 0 {
		return be, ids
	}
	start := time.Now()
	os.RemoveAll(filepath.Join(dir, Tenant))
	base := uint64(Base.UnixNano())
	var lookup []model.TraceID
	spans := 0
	for k := range nb {
		g := tracegen.New(uint64(k+1), tracegen.Config{MinSpans: 2, MaxSpans: 22,
			Start: base + uint64(k)*uint64(time.Hour), Spread: uint64(time.Hour) / uint64(perBlock)})
		type tr struct {
			id model.TraceID
			td ptrace.Traces
		}
		traces := make([]tr, perBlock)
		for i := range traces {
			traces[i].id, traces[i].td = g.Trace()
			spans += traces[i].td.SpanCount()
		}
		slices.SortFunc(traces, func(a, b tr) int { return a.id.Compare(b.id) })
		w, err := block.NewWriter(ctx, be, Tenant, block.Config{DedicatedColumns: vparquet.DefaultDedicatedColumns(), RowGroupSizeBytes: rgBytes})
		if err != nil {
			tb.Fatal(err)
		}
		for _, t := range traces {
			if err := w.Add(ctx, t.id, t.td); err != nil {
				tb.Fatal(err)
			}
		}
		if _, err := w.Close(ctx); err != nil {
			tb.Fatal(err)
		}
		for i := 0; i < max(200/nb, 1); i++ {
			lookup = append(lookup, traces[(i*7919)%len(traces)].id)
		}
	}
	if err := blocktools.RewriteTenantIndex(ctx, be, Tenant); err != nil {
		tb.Fatal(err)
	}
	if err := writeIDs(idsFile, lookup); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("generated %d traces, %d spans in %d blocks under %s in %s", perBlock*nb, spans, nb, dir, time.Since(start).Round(time.Second))
	return be, lookup
}

func readIDs(path string) ([]model.TraceID, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ids []model.TraceID
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		id, err := model.ParseTraceID(sc.Text())
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, sc.Err()
}

func writeIDs(path string, ids []model.TraceID) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	for _, id := range ids {
		fmt.Fprintln(f, id)
	}
	return f.Close()
}
