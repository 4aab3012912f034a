package rowread_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
	"github.com/tempoctl/tempoctl/storage/vparquet/rowread"
)

// TestReadRowMatchesParquetRows: every row read alone equals parquet-go's
// row, in generated blocks of both versions (several row groups, columns
// of several pages) and in the Tempo-written fixture blocks.
func TestReadRowMatchesParquetRows(t *testing.T) {
	type blk struct {
		name string
		r    *vparquet.Reader
	}
	var blocks []blk
	for _, version := range []string{backend.VersionVParquet5, backend.VersionVParquet4} {
		blocks = append(blocks,
			blk{version + "/pages", writeGenerated(t, version, 31, 1500, 64<<20)},
			blk{version + "/rowgroups", writeGenerated(t, version, 32, 400, 32<<10)},
			// Plain traces: no links, constant dropped counts.
			blk{version + "/plain", writeGeneratedConfig(t, version, 35, 1500, 64<<20, tracegen.Config{MinSpans: 2, MaxSpans: 20})})
	}
	for _, r := range fixtureReaders(t) {
		blocks = append(blocks, blk{"fixture/" + r.Meta().BlockID.String(), r})
	}
	for _, b := range blocks {
		for _, parallel := range []bool{false, true} {
			name := b.name + "/serial"
			if parallel {
				name = b.name + "/halves"
			}
			t.Run(name, func(t *testing.T) {
				testReadRows(t, b.name, b.r, parallel)
			})
		}
	}
}

// testReadRows reads every row of r alone, in random order from several
// goroutines (reads share nothing), always in two halves or never.
func testReadRows(t *testing.T, name string, r *vparquet.Reader, parallel bool) {
	limit := int64(1 << 62)
	if parallel {
		limit = 0
	}
	defer rowread.SetParallelBytes(rowread.SetParallelBytes(limit))
	file := r.File()
	if name == backend.VersionVParquet5+"/pages" {
		multiPage(t, file.RowGroups()[0])
	}
	if strings.HasSuffix(name, "/plain") {
		// The page shortcuts are exercised.
		rr, err := rowread.NewRowGroup(file, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		if nulls, consts := rr.PageShortcuts(0); nulls == 0 || consts == 0 {
			t.Fatalf("%d columns from null pages, %d constant pages", nulls, consts)
		}
	}
	type pick struct {
		rg   *rowread.RowGroup
		g    int
		row  int
		want parquet.Row
	}
	var picks []pick
	for g, rg := range file.RowGroups() {
		rr, err := rowread.NewRowGroup(file, g, nil)
		if err != nil {
			t.Fatal(err)
		}
		all := make([]int32, rg.NumRows())
		for i := range all {
			all[i] = int32(i)
		}
		for i, w := range parquetRows(t, rg, all) {
			picks = append(picks, pick{rr, g, i, w})
		}
	}
	rand.New(rand.NewPCG(1, 1)).Shuffle(len(picks), func(i, j int) { picks[i], picks[j] = picks[j], picks[i] })
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < len(picks); k += 4 {
				p := picks[k]
				got, err := p.rg.ReadRow(file, int64(p.row))
				if err != nil {
					t.Errorf("row group %d row %d: %v", p.g, p.row, err)
					return
				}
				if !got.Equal(p.want) {
					t.Errorf("row group %d row %d differs:\n got %d values\nwant %d values", p.g, p.row, len(got), len(p.want))
					return
				}
				// The same row in reused memory, while other goroutines
				// read theirs into memory released before.
				shared, err := p.rg.ReadRowShared(file, int64(p.row), -1, nil, 3)
				if err != nil {
					t.Errorf("row group %d row %d shared: %v", p.g, p.row, err)
					return
				}
				if !shared.Values.Equal(p.want) || cap(shared.Values)-len(shared.Values) < 3 {
					t.Errorf("row group %d row %d differs when shared (%d values, room for %d more)", p.g, p.row, len(shared.Values), cap(shared.Values)-len(shared.Values))
					return
				}
				shared.Release()
			}
		}()
	}
	wg.Wait()
}

// TestFindSorted finds every trace ID of a block by its TraceID page, and
// no ID that is not there.
func TestFindSorted(t *testing.T) {
	for _, version := range []string{backend.VersionVParquet5, backend.VersionVParquet4} {
		t.Run(version, func(t *testing.T) {
			// Enough traces for TraceID columns of several pages.
			r := writeGeneratedConfig(t, version, 33, 25_000, 64<<20, tracegen.Config{MinSpans: 1, MaxSpans: 1})
			file := r.File()
			idCol, _ := file.Schema().Lookup("TraceID")
			pages := 0
			for g, rg := range file.RowGroups() {
				oi, _ := rg.ColumnChunks()[idCol.ColumnIndex].(*parquet.FileColumnChunk).OffsetIndex()
				pages += oi.NumPages()
				rr, err := rowread.NewRowGroup(file, g, nil)
				if err != nil {
					t.Fatal(err)
				}
				all := make([]int32, rg.NumRows())
				for i := range all {
					all[i] = int32(i)
				}
				for i, row := range parquetRows(t, rg, all) {
					var id []byte
					for _, v := range row {
						if v.Column() == idCol.ColumnIndex {
							id = bytes.Clone(v.ByteArray())
						}
					}
					got, ok, err := rr.FindSorted(file, idCol.ColumnIndex, id)
					if err != nil || !ok || got != int64(i) {
						t.Fatalf("row group %d: %x at %d, found %v at %d (%v)", g, id, i, ok, got, err)
					}
					id[15]++ // IDs are random: the neighbour is absent
					if got, ok, err := rr.FindSorted(file, idCol.ColumnIndex, id); err != nil || ok {
						t.Fatalf("absent %x: found at %d (%v)", id, got, err)
					}
				}
			}
			if pages <= len(file.RowGroups()) {
				t.Fatalf("TraceID columns of %d pages in %d row groups: grow the block", pages, len(file.RowGroups()))
			}
		})
	}
}

// fixtureReaders opens every block of the Tempo fixture buckets.
func fixtureReaders(t *testing.T) []*vparquet.Reader {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "shared", "fixtures", "tempo-blocks"))
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
	tenants, err := be.Tenants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []*vparquet.Reader
	for _, tenant := range tenants {
		metas, _, err := be.BlockMetas(ctx, tenant)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range metas {
			r, err := block.OpenParquet(ctx, be, m)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		t.Fatal("no fixture blocks")
	}
	return out
}
