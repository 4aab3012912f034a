package rowread

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/parquet-go/parquet-go"
)

// ErrNoPageIndex means FindSorted cannot use the column's page index; the
// caller searches some other way.
var ErrNoPageIndex = errors.New("column has no usable page index")

// FindSorted returns the row of the row group whose value in column col,
// a required byte-array column sorted ascending (such as TraceID), is key.
// The page statistics (column index) pick the page; only that page is read
// and decoded.
func (g *RowGroup) FindSorted(ra io.ReaderAt, col int, key []byte) (row int64, found bool, err error) {
	defer recoverInto(&err)
	if col < 0 || col >= len(g.chunks) {
		return 0, false, fmt.Errorf("column %d of %d", col, len(g.chunks))
	}
	c := &g.chunks[col]
	if !c.ok || c.leaf.maxRep != 0 || c.leaf.maxDef != 0 || c.leaf.kind != parquet.ByteArray {
		return 0, false, ErrNoPageIndex
	}
	ci, err := c.fc.ColumnIndex()
	if err != nil || ci.NumPages() != len(c.locs) {
		return 0, false, ErrNoPageIndex
	}
	// Bounds may be truncated (min rounded down, max up), so several pages
	// can claim key: try each in turn.
	p := sort.Search(len(c.locs), func(p int) bool {
		return ci.NullPage(p) || bytes.Compare(ci.MaxValue(p).ByteArray(), key) >= 0
	})
	rb := getRowBufs()
	defer putRowBufs(rb)
	for ; p < len(c.locs) && !ci.NullPage(p) && bytes.Compare(ci.MinValue(p).ByteArray(), key) <= 0; p++ {
		if err := rb.decodePage(ra, c, p); err != nil {
			if errors.Is(err, errUnsupported) {
				return 0, false, ErrNoPageIndex
			}
			return 0, false, fmt.Errorf("column %d page %d: %w", col, p, err)
		}
		v := &rb.pd.vals
		if v.n != rb.pd.n {
			return 0, false, fmt.Errorf("column %d page %d: %w", col, p, parquet.ErrCorrupted)
		}
		i := sort.Search(v.n, func(i int) bool {
			x, _ := v.At(i)
			return bytes.Compare(x.ByteArray(), key) >= 0
		})
		if i < v.n {
			if x, _ := v.At(i); bytes.Equal(x.ByteArray(), key) {
				return c.locs[p].FirstRowIndex + int64(i), true, nil
			}
		}
	}
	return 0, false, nil
}

// decodePage fetches and decodes page p of chunk c (and its dictionary).
func (rb *rowBufs) decodePage(ra io.ReaderAt, c *rowChunk, p int) error {
	loc := c.locs[p]
	spans := append(rb.spans[:0], span{off: loc.Offset, end: loc.Offset + int64(loc.CompressedPageSize)})
	if c.dictEnd > c.dictOff {
		spans = append(spans, span{off: c.dictOff, end: c.dictEnd})
	}
	rb.spans = spans
	var err error
	if rb.buf, err = fetch(ra, spans, rb.buf, &rb.fs); err != nil {
		return err
	}
	hasDict := false
	if len(spans) > 1 {
		if hasDict, err = rb.pd.dictionary(&c.leaf, spans[1].data); err != nil {
			return err
		}
	}
	return rb.pd.dataPage(&c.leaf, spans[0].data, hasDict)
}
