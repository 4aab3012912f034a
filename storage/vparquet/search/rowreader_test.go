package search

import (
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/tempoctl/tempoctl/storage/backend"
)

// TestRowReaderMatchesParquetRows: rows picked by the column-wise reader
// equal parquet-go's own rows, over columns of many pages (skipped pages,
// rows at page starts and ends, consecutive and sparse picks).
func TestRowReaderMatchesParquetRows(t *testing.T) {
	for _, version := range []string{backend.VersionVParquet5, backend.VersionVParquet4} {
		t.Run(version, func(t *testing.T) {
			_, r := writeGeneratedSized(t, version, 31, 1500, true, 64<<20)
			file := r.File()
			rg := file.RowGroups()[0]
			multi := 0
			for _, c := range rg.ColumnChunks() {
				if oi, err := c.(*parquet.FileColumnChunk).OffsetIndex(); err == nil && oi.NumPages() > 1 {
					multi++
				}
			}
			if multi == 0 {
				t.Fatal("no column with several pages: grow the block")
			}
			n := rg.NumRows()
			rnd := rand.New(rand.NewPCG(3, 4))
			for _, pick := range []func() []int32{
				func() []int32 { return []int32{0, 1, 2, int32(n - 1)} },
				func() []int32 { // sparse
					var out []int32
					for i := int32(0); i < int32(n); i += 1 + int32(rnd.IntN(300)) {
						out = append(out, i)
					}
					return out
				},
				func() []int32 { // dense
					var out []int32
					for i := int32(0); i < int32(n); i++ {
						if rnd.IntN(3) == 0 {
							out = append(out, i)
						}
					}
					return out
				},
			} {
				want := pick()
				rr, err := newRowReader(rg, file)
				if err != nil {
					t.Fatal(err)
				}
				var got []parquet.Row
				for i := 0; i < len(want); i += 5 { // in batches, as decode reads
					rows, err := rr.read(want[i:min(i+5, len(want))])
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, rows...)
				}
				rr.close()
				rows := rg.Rows()
				buf := make([]parquet.Row, 1)
				for i, row := range want {
					if err := rows.SeekToRow(int64(row)); err != nil {
						t.Fatal(err)
					}
					if k, err := rows.ReadRows(buf); k != 1 {
						t.Fatalf("row %d: %v", row, err)
					}
					if !got[i].Equal(buf[0]) {
						t.Fatalf("row %d differs:\n got %d values\nwant %d values", row, len(got[i]), len(buf[0]))
					}
				}
				rows.Close()
			}
		})
	}
}
