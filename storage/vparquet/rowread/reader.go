package rowread

import (
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
)

// Reader reads chosen rows of one row group whole, column by column. Rows
// in between are skipped by counting levels and pages holding no chosen row
// are not read at all (offset index). parquet-go's row reader, by contrast,
// builds every row it passes and re-slices a page from its start on each
// seek inside it.
type Reader struct {
	cols []*Cursor
}

// NewReader reads the rows of rg (a row group of a parquet.File) through ra.
func NewReader(rg parquet.RowGroup, ra io.ReaderAt) (*Reader, error) {
	rr := &Reader{}
	for i, c := range rg.ColumnChunks() {
		fc, ok := c.(*parquet.FileColumnChunk)
		if !ok {
			rr.Close()
			return nil, fmt.Errorf("column %d: not a file column chunk", i)
		}
		rr.cols = append(rr.cols, NewCursor(fc, ra))
	}
	return rr, nil
}

// Close releases the pages and readers.
func (rr *Reader) Close() {
	for _, c := range rr.cols {
		c.Close()
	}
}

// Read returns rows want (ascending, not before rows already read) in the
// file's schema.
func (rr *Reader) Read(want []int32) ([]parquet.Row, error) {
	out := make([]parquet.Row, len(want))
	for _, c := range rr.cols {
		for i, r := range want {
			var err error
			if out[i], err = c.AppendRow(out[i], int64(r)); err != nil {
				return nil, fmt.Errorf("column %d, row %d: %w", c.fc.Column(), r, err)
			}
		}
	}
	return out, nil
}
