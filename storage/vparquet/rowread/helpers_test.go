package rowread_test

import (
	"context"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

// writeGenerated writes n generated traces (every attribute type, arrays,
// dedicated slots) as one block in a memory bucket.
func writeGenerated(t testing.TB, version string, seed uint64, n int, rgSize int) *vparquet.Reader {
	t.Helper()
	return writeGeneratedConfig(t, version, seed, n, rgSize, tracegen.Config{Exotic: true, MinSpans: 1, MaxSpans: 25})
}

func writeGeneratedConfig(t testing.TB, version string, seed uint64, n int, rgSize int, cfg tracegen.Config) *vparquet.Reader {
	t.Helper()
	ctx := context.Background()
	be, err := backend.Open(ctx, backend.Config{Backend: "memory"})
	if err != nil {
		t.Fatal(err)
	}
	type genTrace struct {
		id model.TraceID
		td ptrace.Traces
	}
	g := tracegen.New(seed, cfg)
	ts := make([]genTrace, n)
	for i := range ts {
		ts[i].id, ts[i].td = g.Trace()
	}
	slices.SortFunc(ts, func(a, b genTrace) int { return a.id.Compare(b.id) })
	w, err := block.NewWriter(ctx, be, "t", block.Config{Version: version, DedicatedColumns: vparquet.DefaultDedicatedColumns(), RowGroupSizeBytes: rgSize})
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
	return r
}

// multiPage fails the test unless some column of rg has several pages (the
// interesting case for page skipping).
func multiPage(t *testing.T, rg parquet.RowGroup) {
	t.Helper()
	for _, c := range rg.ColumnChunks() {
		if oi, err := c.(*parquet.FileColumnChunk).OffsetIndex(); err == nil && oi.NumPages() > 1 {
			return
		}
	}
	t.Fatal("no column with several pages: grow the block")
}

// parquetRows reads rows want of rg with parquet-go's own row reader.
func parquetRows(t *testing.T, rg parquet.RowGroup, want []int32) []parquet.Row {
	t.Helper()
	rows := rg.Rows()
	defer rows.Close()
	out := make([]parquet.Row, len(want))
	for i, row := range want {
		if err := rows.SeekToRow(int64(row)); err != nil {
			t.Fatal(err)
		}
		buf := make([]parquet.Row, 1)
		if k, err := rows.ReadRows(buf); k != 1 {
			t.Fatalf("row %d: %v", row, err)
		}
		out[i] = buf[0]
	}
	return out
}
