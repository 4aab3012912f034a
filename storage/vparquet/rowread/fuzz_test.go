package rowread_test

import (
	"bytes"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/vparquet/rowread"
)

// FuzzRows: rows read from a corrupt file, alone (in halves) or by cursors,
// are an error at worst, never a panic or a hang.
func FuzzRows(f *testing.F) {
	for _, v := range []string{backend.VersionVParquet5, backend.VersionVParquet4} {
		r := writeGeneratedConfig(f, v, 41, 4, 64<<20, tracegen.Config{Exotic: true, MinSpans: 1, MaxSpans: 3})
		file := r.File()
		data := make([]byte, file.Size())
		if _, err := file.ReadAt(data, 0); err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	defer rowread.SetParallelBytes(rowread.SetParallelBytes(0))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := openFile(data)
		if err != nil {
			return
		}
		idCol, ok := file.Schema().Lookup("TraceID")
		for g, rg := range file.RowGroups() {
			rr, err := rowread.NewRowGroup(file, g, derived)
			if err != nil {
				continue
			}
			n := min(rg.NumRows(), 40)
			for row := int64(0); row < n; row++ {
				_, _ = rr.ReadRow(file, row)
			}
			if ok {
				_, _, _ = rr.FindSorted(file, idCol.ColumnIndex, []byte("0123456789abcdef"))
			}
			cr, err := rowread.NewReader(rg, file)
			if err != nil {
				continue
			}
			want := make([]int32, n)
			for i := range want {
				want[i] = int32(i)
			}
			_, _ = cr.Read(want)
			cr.Close()
		}
	})
}

// openFile opens data as parquet (parquet-go's own panics on corrupt
// footers are not this package's concern).
func openFile(data []byte) (file *parquet.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			file, err = nil, parquet.ErrCorrupted
		}
	}()
	return parquet.OpenFile(bytes.NewReader(data), int64(len(data)), parquet.SkipBloomFilters(true))
}
