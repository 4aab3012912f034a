package search

import (
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/parquet-go/parquet-go"
)

// rowReader reads chosen rows of one row group whole, column by column.
// Rows in between are skipped by walking levels (nothing is materialized)
// and pages holding no chosen row are not read at all (offset index).
// parquet-go's row reader, by contrast, builds every row it passes and
// re-slices a page from its start on each seek inside it.
type rowReader struct {
	cols []*colCursor
}

func newRowReader(rg parquet.RowGroup, ra io.ReaderAt) (*rowReader, error) {
	rr := &rowReader{}
	for i, c := range rg.ColumnChunks() {
		fc, ok := c.(*parquet.FileColumnChunk)
		if !ok {
			return nil, fmt.Errorf("column %d: not a file column chunk", i)
		}
		cc := &colCursor{index: i, pages: fc.PagesFrom(ra), row: -1, page: -1, maxDef: maxDefinitionLevel(rg.Schema(), i)}
		if oi, err := fc.OffsetIndexFrom(ra); err == nil {
			for p := 0; p < oi.NumPages(); p++ {
				cc.firstRows = append(cc.firstRows, oi.FirstRowIndex(p))
			}
		}
		rr.cols = append(rr.cols, cc)
	}
	return rr, nil
}

// maxDefinitionLevel of leaf column i of schema.
func maxDefinitionLevel(schema *parquet.Schema, i int) int {
	paths := schema.Columns()
	if i >= len(paths) {
		return 0
	}
	leaf, _ := schema.Lookup(paths[i]...)
	return leaf.MaxDefinitionLevel
}

func (rr *rowReader) close() {
	for _, c := range rr.cols {
		c.releasePage()
		c.pages.Close()
	}
}

// read returns rows want (ascending, not before rows already read) in the
// file's schema.
func (rr *rowReader) read(want []int32) ([]parquet.Row, error) {
	out := make([]parquet.Row, len(want))
	for _, c := range rr.cols {
		for i, r := range want {
			var err error
			if out[i], err = c.appendRow(out[i], int64(r)); err != nil {
				return nil, fmt.Errorf("column %d, row %d: %w", c.index, r, err)
			}
		}
	}
	return out, nil
}

// colCursor walks one column chunk forward.
type colCursor struct {
	index     int
	maxDef    int
	pages     *parquet.FilePages
	firstRows []int64 // first row of each page (offset index), if any

	page     int // index of the loaded page, -1 before the first
	p        parquet.Page
	d        pageData
	rep, def []byte
	n        int   // levels in the page
	k        int   // next level to look at
	vi       int   // next non-null value
	row      int64 // row of the level before k
}

func (c *colCursor) releasePage() {
	if c.p != nil {
		parquet.Release(c.p)
		c.p = nil
	}
}

// load reads the next page in the chunk (page index idx).
func (c *colCursor) load(idx int) error {
	c.releasePage()
	p, err := c.pages.ReadPage()
	if err != nil {
		return err
	}
	c.p, c.page = p, idx
	if err := c.d.reset(p); err != nil {
		return err
	}
	c.rep, c.def = p.RepetitionLevels(), p.DefinitionLevels()
	c.n, c.k, c.vi = int(p.NumValues()), 0, 0
	return nil
}

// seekPage positions the cursor at the start of the page holding row r if
// that page lies beyond the current one.
func (c *colCursor) seekPage(r int64) error {
	if len(c.firstRows) == 0 {
		return nil
	}
	target := sort.Search(len(c.firstRows), func(i int) bool { return c.firstRows[i] > r }) - 1
	if target <= c.page {
		return nil
	}
	if target != c.page+1 {
		// Jump (the next page is simply read on): the page starts a row,
		// so no slicing happens.
		if err := c.pages.SeekToRow(c.firstRows[target]); err != nil {
			return err
		}
	}
	if err := c.load(target); err != nil {
		return err
	}
	c.row = c.firstRows[target] - 1
	return nil
}

// appendRow appends row r's values (with their levels) to dst.
func (c *colCursor) appendRow(dst parquet.Row, r int64) (parquet.Row, error) {
	if err := c.seekPage(r); err != nil {
		return dst, err
	}
	for {
		if c.p == nil || c.k >= c.n {
			err := c.load(c.page + 1)
			if errors.Is(err, io.EOF) {
				if c.row >= r {
					return dst, nil
				}
				return dst, io.ErrUnexpectedEOF
			}
			if err != nil {
				return dst, err
			}
			continue
		}
		rep, def := 0, c.maxDef
		if len(c.rep) > 0 {
			rep = int(c.rep[c.k])
		}
		if len(c.def) > 0 {
			def = int(c.def[c.k])
		}
		if rep == 0 && c.row >= r {
			return dst, nil // the next row starts: r is complete
		}
		if rep == 0 {
			c.row++
		}
		var v parquet.Value
		if def == c.maxDef {
			if c.vi >= c.d.n {
				return dst, errors.New("page has fewer values than levels")
			}
			if c.row == r {
				v, _ = c.d.at(c.vi)
				v = v.Clone()
			}
			c.vi++
		}
		c.k++
		if c.row == r {
			dst = append(dst, v.Level(rep, def, c.index))
		}
	}
}
