package rowread

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// pagesCursor walks one column chunk forward through parquet-go's page
// reader: for pages the raw decoder leaves alone.
type pagesCursor struct {
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

// newPagesCursor reads leaf column chunk fc through ra. Without an offset
// index it reads every page on the way.
func newPagesCursor(fc *parquet.FileColumnChunk, ra io.ReaderAt) *pagesCursor {
	c := &pagesCursor{index: fc.Column(), pages: fc.PagesFrom(ra), row: -1, page: -1, maxDef: maxDefinitionLevel(fc)}
	if oi, err := fc.OffsetIndexFrom(ra); err == nil {
		c.firstRows = make([]int64, oi.NumPages())
		for p := range c.firstRows {
			c.firstRows[p] = oi.FirstRowIndex(p)
		}
	}
	return c
}

// Close releases the cursor's page and reader.
func (c *pagesCursor) Close() {
	c.releasePage()
	c.pages.Close()
}

func maxDefinitionLevel(fc *parquet.FileColumnChunk) int {
	if col, ok := fc.Node().(*parquet.Column); ok {
		return col.MaxDefinitionLevel()
	}
	return 0
}

func (c *pagesCursor) releasePage() {
	if c.p != nil {
		parquet.Release(c.p)
		c.p = nil
	}
}

// load reads the next page in the chunk (page index idx).
func (c *pagesCursor) load(idx int) error {
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
func (c *pagesCursor) seekPage(r int64) error {
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
func (c *pagesCursor) skipTo(r int64) {
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
func (c *pagesCursor) AppendRow(dst parquet.Row, r int64) (parquet.Row, error) {
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

// Cursor walks one column chunk forward, row by row. Data pages v2 are
// read whole (one read each, by the offset index) and decoded only as far
// as the rows asked for; anything else goes through parquet-go's pages.
type Cursor struct {
	fc   *parquet.FileColumnChunk
	ra   io.ReaderAt
	leaf leaf
	raw  bool // pages decoded here
	locs []format.PageLocation
	// per page: every value equal (see rowChunk)
	konst    []parquet.Value
	hasKonst []bool
	// dictionary page bytes [dictOff, dictEnd), decoded on first need
	dictOff, dictEnd int64
	dictDone         bool
	dict             *Values
	dictErr          error
	dpd              pageDecoder

	page int         // loaded page, -1 none
	st   *cursorBufs // from a pool: searches open cursors by the hundred
	ar   arena

	slow *pagesCursor // when raw is off
}

// NewCursor reads leaf column chunk fc through ra.
func NewCursor(fc *parquet.FileColumnChunk, ra io.ReaderAt) *Cursor {
	c := &Cursor{fc: fc, ra: ra, page: -1}
	rc, ok := chunkOf(fc)
	if ok && rc.ok {
		c.leaf, c.raw, c.locs, c.dictOff, c.dictEnd = rc.leaf, true, rc.locs, rc.dictOff, rc.dictEnd
		c.konst, c.hasKonst = rc.konst, rc.hasKonst
	}
	return c
}

// cursorBufs are a cursor's page bytes and decoding state.
type cursorBufs struct {
	buf  []byte // the page (len: its size)
	have int    // bytes of it read
	ps   pageState
}

var cursorPool = sync.Pool{New: func() any { return new(cursorBufs) }}

// Close releases the cursor's pages.
func (c *Cursor) Close() {
	if c.slow != nil {
		c.slow.Close()
	}
	if c.st != nil {
		c.st.ps.dict, c.st.ps.dictv = nil, nil
		cursorPool.Put(c.st)
		c.st = nil
	}
}

func (c *Cursor) dictionary() (*Values, error) {
	if !c.dictDone {
		c.dictDone = true
		b := make([]byte, c.dictEnd-c.dictOff)
		if n, err := c.ra.ReadAt(b, c.dictOff); n < len(b) {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			c.dictErr = fmt.Errorf("reading the dictionary: %w", err)
		} else {
			c.dict, c.dictErr = c.dpd.decodeDictionary(&c.leaf, b)
		}
	}
	return c.dict, c.dictErr
}

// AppendRow appends row r's values (with their levels) to dst. Rows must be
// asked in ascending order. Byte arrays are copied.
func (c *Cursor) AppendRow(dst parquet.Row, r int64) (_ parquet.Row, err error) {
	defer recoverInto(&err)
	if c.raw {
		out, err := c.appendRaw(dst, r)
		if !errors.Is(err, errUnsupported) {
			return out, err
		}
		c.raw = false // parquet-go from here on
	}
	if c.slow == nil {
		c.slow = newPagesCursor(c.fc, c.ra)
	}
	return c.slow.AppendRow(dst, r)
}

// partialFirst is how much of a page a cursor reads first: enough for the
// header and, often, the levels; more is read as the rows asked for need
// (a search's candidates are often the first rows of their pages).
const partialFirst = 16 << 10

func (c *Cursor) appendRaw(dst parquet.Row, r int64) (parquet.Row, error) {
	p := pageOf(c.locs, r)
	if p < 0 {
		return dst, fmt.Errorf("row %d before the first page", r)
	}
	if c.st == nil {
		c.st = cursorPool.Get().(*cursorBufs)
	}
	st := c.st
	loc := c.locs[p]
	size := int(loc.CompressedPageSize)
	if size < 0 {
		return dst, parquet.ErrCorrupted
	}
	i := int(r - loc.FirstRowIndex)
	if p != c.page {
		c.page = -1
		if cap(st.buf) < size {
			st.buf = make([]byte, size)
		}
		st.buf, st.have = st.buf[:size], 0
		if err := c.readTo(loc, min(size, partialFirst)); err != nil {
			return dst, err
		}
		if err := c.open(p); err != nil {
			return dst, err
		}
		c.page = p
	}
	// The row's share of the values, with room to spare.
	if st.have < size {
		ps := &st.ps
		share := float64(i+1) / float64(max(ps.rows(), 1))
		need := ps.headerLen + ps.levelsLen + int(share*float64(ps.valuesLen())*1.25) + 4096
		if need > st.have {
			if err := c.readTo(loc, min(size, max(need, 2*st.have))); err != nil {
				return dst, err
			}
			if err := c.open(p); err != nil {
				return dst, err
			}
		}
	}
	n := len(dst)
	out, ok, err := c.row(dst, i)
	if st.have < size && (err != nil || !ok) {
		// Not enough of the page after all: all of it, and again.
		if err := c.readTo(loc, size); err != nil {
			return dst[:n], err
		}
		if err := c.open(p); err != nil {
			return dst[:n], err
		}
		out, ok, err = c.row(dst[:n], i)
	}
	if err != nil {
		return dst[:n], err
	}
	if !ok {
		return dst[:n], errUnsupported // not a whole row here: parquet-go reads on
	}
	return out, nil
}

// readTo reads page loc's bytes up to end.
func (c *Cursor) readTo(loc format.PageLocation, end int) error {
	st := c.st
	if end <= st.have {
		return nil
	}
	b := st.buf[st.have:end]
	if n, err := c.ra.ReadAt(b, loc.Offset+int64(st.have)); n < len(b) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	st.have = end
	return nil
}

// open (re)starts decoding page p from the bytes read so far, reading up
// to its level sections (and a little) first when they are not all there.
func (c *Cursor) open(p int) error {
	st := c.st
	var dict func() (*Values, error)
	if c.dictEnd > c.dictOff {
		dict = c.dictionary
	}
	size := len(st.buf)
	err := st.ps.openPart(&c.leaf, st.buf[:st.have], size, dict)
	if errors.Is(err, errShort) {
		if err := c.readTo(c.locs[p], min(size, st.ps.headerLen+st.ps.levelsLen+4096)); err != nil {
			return err
		}
		err = st.ps.openPart(&c.leaf, st.buf[:st.have], size, dict)
	}
	if err != nil && st.have < size {
		// a header longer than the first bytes: all of the page
		if err := c.readTo(c.locs[p], size); err != nil {
			return err
		}
		err = st.ps.openPart(&c.leaf, st.buf[:st.have], size, dict)
	}
	if err != nil {
		return err
	}
	if c.hasKonst != nil && c.hasKonst[p] {
		st.ps.setConstant(c.konst[p])
	}
	return nil
}

// row appends the page's i-th row. Reading a page in part, a value past
// the bytes read shows as an error (or a panic, turned into one here).
func (c *Cursor) row(dst parquet.Row, i int) (out parquet.Row, ok bool, err error) {
	if c.st.ps.partial {
		defer func() {
			if p := recover(); p != nil {
				out, ok, err = dst, false, errShort
			}
		}()
	}
	return c.st.ps.appendRow(dst, i, c.ar.own)
}
