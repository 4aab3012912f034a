package rowread_test

import (
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/vparquet/rowread"
)

// TestReaderMatchesParquetRows: rows picked by the column-wise reader
// equal parquet-go's own rows, over columns of many pages (skipped pages,
// rows at page starts and ends, consecutive and sparse picks).
func TestReaderMatchesParquetRows(t *testing.T) {
	for _, version := range []string{backend.VersionVParquet5, backend.VersionVParquet4} {
		t.Run(version, func(t *testing.T) {
			r := writeGenerated(t, version, 31, 1500, 64<<20)
			file := r.File()
			rg := file.RowGroups()[0]
			multiPage(t, rg)
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
				rr, err := rowread.NewReader(rg, file)
				if err != nil {
					t.Fatal(err)
				}
				var got []parquet.Row
				for i := 0; i < len(want); i += 5 { // in batches, as the search reads
					rows, err := rr.Read(want[i:min(i+5, len(want))])
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, rows...)
				}
				rr.Close()
				for i, row := range parquetRows(t, rg, want) {
					if !got[i].Equal(row) {
						t.Fatalf("row %d differs:\n got %d values\nwant %d values", want[i], len(got[i]), len(row))
					}
				}
			}
		})
	}
}
