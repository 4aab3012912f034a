package rowread

import (
	"errors"
	"io"
	"sort"

	"github.com/parquet-go/parquet-go"
)

// Cursor walks one column chunk forward, row by row.
type Cursor struct {
	index     int
	maxDef    int
	pages     *parquet.FilePages
	firstRows []int64 // first row of each page (offset index), if any

	page     int // index of the loaded page, -1 before the first
	p        parquet.Page
	d        Values
	rep, def []byte
	n        int   // levels in the page
	k        int   // next level to look at
	vi       int   // next non-null value
	row      int64 // row of the level before k
}

// NewCursor reads leaf column chunk fc through ra. Without an offset index
// it reads every page on the way.
func NewCursor(fc *parquet.FileColumnChunk, ra io.ReaderAt) *Cursor {
	c := &Cursor{index: fc.Column(), pages: fc.PagesFrom(ra), row: -1, page: -1, maxDef: maxDefinitionLevel(fc)}
	if oi, err := fc.OffsetIndexFrom(ra); err == nil {
		c.firstRows = make([]int64, oi.NumPages())
		for p := range c.firstRows {
			c.firstRows[p] = oi.FirstRowIndex(p)
		}
	}
	return c
}

// Column is the leaf column index.
func (c *Cursor) Column() int { return c.index }

// MaxDefinitionLevel of the column.
func (c *Cursor) MaxDefinitionLevel() int { return c.maxDef }

// Close releases the cursor's page and reader.
func (c *Cursor) Close() {
	c.releasePage()
	c.pages.Close()
}

func maxDefinitionLevel(fc *parquet.FileColumnChunk) int {
	if col, ok := fc.Node().(*parquet.Column); ok {
		return col.MaxDefinitionLevel()
	}
	return 0
}

func (c *Cursor) releasePage() {
	if c.p != nil {
		parquet.Release(c.p)
		c.p = nil
	}
}

// load reads the next page in the chunk (page index idx).
func (c *Cursor) load(idx int) error {
	c.releasePage()
	p, err := c.pages.ReadPage()
	if err != nil {
		return err
	}
	c.p, c.page = p, idx
	if err := c.d.Reset(p); err != nil {
		return err
	}
	c.rep, c.def = p.RepetitionLevels(), p.DefinitionLevels()
	c.n, c.k, c.vi = int(p.NumValues()), 0, 0
	if len(c.rep) != 0 && len(c.rep) < c.n || len(c.def) != 0 && len(c.def) < c.n {
		return errors.New("page has fewer levels than values")
	}
	return nil
}

// seekPage positions the cursor at the start of the page holding row r if
// that page lies beyond the current one.
func (c *Cursor) seekPage(r int64) error {
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

// skipTo moves k to the first level of row r within the loaded page, or to
// the page's end when r starts later, counting the rows and values passed.
func (c *Cursor) skipTo(r int64) {
	need := int(r - c.row) // row starts to pass, the last being r's
	end, passed := c.n, 0
	if len(c.rep) == 0 { // every level starts a row
		if c.k+need-1 < c.n {
			end, passed = c.k+need-1, need-1
		} else {
			passed = c.n - c.k
		}
	} else if j, seen := nthRowStart(c.rep[c.k:c.n], need); j >= 0 {
		end, passed = c.k+j, need-1
	} else {
		passed = seen
	}
	c.row += int64(passed)
	c.vi += countDefined(c.def[min(c.k, len(c.def)):min(end, len(c.def))], end-c.k, c.maxDef)
	c.k = end
}

// AppendRow appends row r's values (with their levels) to dst. Rows must be
// asked in ascending order. Byte arrays are copied.
func (c *Cursor) AppendRow(dst parquet.Row, r int64) (parquet.Row, error) {
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
		if c.row < r {
			c.skipTo(r)
			if c.k >= c.n {
				continue
			}
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
			v, _ = c.d.At(c.vi)
			v = v.Clone()
			c.vi++
		}
		c.k++
		dst = append(dst, v.Level(rep, def, c.index))
	}
}
