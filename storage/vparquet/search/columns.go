package search

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"sync/atomic"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/tempoctl/tempoctl/storage/vparquet/rowread"
)

// Entity levels: the repetition level at which each kind of thing starts.
// vParquet5 and vParquet4 nest the same way (rs → ss → Spans → …); vParquet4
// only adds LIST wrapper groups, which resolve() looks through.
const (
	levelRow  = 0
	levelRS   = 1
	levelSS   = 2
	levelSpan = 3
	// levelItem is an attribute, event or link of a span, or an attribute
	// of a resource/scope (whose level is one less: see column.itemLevel).
	levelItem = 4
)

// column is one physical leaf resolved from a logical (vParquet5-named) path.
type column struct {
	logical string
	index   int
	// repDef[k] is the definition level at which the k-th repeated ancestor
	// holds an element (k = 1..maxRep); repDef[0] is unused.
	repDef []int
	maxRep int
	maxDef int
	kind   parquet.Kind
	// entityDepth is how many entity levels (rs, ss, span) the path runs
	// through: ordinals at levels 1..entityDepth are rs/ss/span ordinals.
	entityDepth int
}

// resolve finds a logical path such as rs.ss.Spans.Attrs.Value in a file
// schema, looking through vParquet4's LIST (x.list.element) and MAP wrappers.
func resolve(schema *parquet.Schema, logical ...string) (*column, bool) {
	var node parquet.Node = schema
	var phys []string
	c := &column{repDef: []int{0}}
	def := 0
	account := func(n parquet.Node) {
		switch {
		case n.Repeated():
			def++
			c.maxRep++
			c.repDef = append(c.repDef, def)
		case n.Optional():
			def++
		}
	}
	for _, seg := range logical {
		child := fieldNamed(node, seg)
		if child == nil {
			return nil, false
		}
		phys = append(phys, seg)
		node = child
		account(node)
		if lst := listWrapper(node); lst != nil {
			phys = append(phys, "list")
			account(lst)
			elem := lst.Fields()[0]
			phys = append(phys, elem.Name())
			node = elem
			account(node)
		}
	}
	if !node.Leaf() {
		return nil, false
	}
	leaf, ok := schema.Lookup(phys...)
	if !ok || leaf.MaxDefinitionLevel != def || leaf.MaxRepetitionLevel != c.maxRep {
		return nil, false
	}
	c.logical = fmt.Sprint(logical)
	c.index = leaf.ColumnIndex
	c.maxDef = def
	c.kind = leaf.Node.Type().Kind()
	return c, true
}

func fieldNamed(n parquet.Node, name string) parquet.Node {
	if n.Leaf() {
		return nil
	}
	for _, f := range n.Fields() {
		if f.Name() == name {
			return f
		}
	}
	return nil
}

// listWrapper returns the repeated "list" group of a 3-level LIST node.
func listWrapper(n parquet.Node) parquet.Node {
	if n.Leaf() || n.Repeated() {
		return nil
	}
	fs := n.Fields()
	if len(fs) != 1 || fs[0].Name() != "list" || !fs[0].Repeated() || fs[0].Leaf() {
		return nil
	}
	if len(fs[0].Fields()) != 1 {
		return nil
	}
	return fs[0]
}

// cursor tracks where a value sits while a column chunk is read: the row
// within the row group and, per repetition level, the ordinal (counted over
// the whole row group) of the element the value belongs to. Because every
// column below Spans carries one entry per span (empty lists are recorded as
// a level), span ordinals agree across columns; the same holds for rs and ss.
type cursor struct {
	col *column
	row int32
	ord []int32 // ord[k]-1 is the current element at level k
	def int     // definition level of the current value
}

func newCursor(c *column) *cursor {
	return &cursor{col: c, row: -1, ord: make([]int32, c.maxRep+1)}
}

func (cu *cursor) advance(rep, def int) {
	if rep == 0 {
		cu.row++
	}
	cu.def = def
	for k := max(rep, 1); k <= cu.col.maxRep; k++ {
		if def < cu.col.repDef[k] {
			break
		}
		cu.ord[k]++
	}
}

// at returns the current element at level k (row for 0), or -1 when the
// value does not reach that level (an empty list above it).
func (cu *cursor) at(k int) int32 {
	if k == 0 {
		return cu.row
	}
	if cu.def < cu.col.repDef[k] {
		return -1
	}
	return cu.ord[k] - 1
}

// defined reports whether the current value is a real value (not a null or
// an empty-list placeholder).
func (cu *cursor) defined() bool { return cu.def == cu.col.maxDef }

// chunkReader reads column chunks of one row group, counting bytes read.
type chunkReader struct {
	meta   *format.RowGroup
	ra     io.ReaderAt
	chunks []parquet.ColumnChunk
	// skel, when set and not yet filled, is filled by the next scan of a
	// column deep enough to show its level.
	skel *skeleton
	// from and to bound the rows scanned (to 0: to the end). Ordinals
	// count from row from.
	from, to int32
	// only, when set, is the subset of rows scans visit: the others are
	// passed over (their pages not even read when the offset index shows
	// none of theirs is wanted), and ordinals count the visited rows only
	// — every scan of a chunk must use the same set.
	only *bitset
	// resume holds, by column, scans stopped at the previous chunk's end.
	resume map[int]*scanState
}

// scan calls fn for every value of column c in row group order, nulls and
// empty-list placeholders included (cu.defined() tells them apart). di is
// the value's dictionary index when its page is dictionary-encoded, else
// -1, so callers can decide once per dictionary entry. Byte slices in v
// are only valid during the call.
//
// Pages are walked through their level and value arrays directly: boxing
// every value through a parquet.ValueReader costs more than the test.
func (cr *chunkReader) scan(c *column, fn func(cu *cursor, v parquet.Value, di int32)) error {
	fc, ok := cr.chunks[c.index].(*parquet.FileColumnChunk)
	if !ok {
		return fmt.Errorf("column %s: not a file column chunk", c.logical)
	}
	cu := newCursor(c)
	from, to, only := cr.from, cr.to, cr.only
	var (
		pages *parquet.FilePages
		p     parquet.Page
		d     rowread.Values
		k, vi int
		oi    parquet.OffsetIndex
		page  = -1 // index of p in the chunk, when oi is known
		skip  bool // the current row is passed over
	)
	if st := cr.resume[c.index]; st != nil && st.row == from-1 {
		// Where the previous chunk's scan of the column stopped.
		delete(cr.resume, c.index)
		pages, p, d, k, vi, cu.row, page = st.pages, st.p, st.d, st.k, st.vi, st.row, st.page
		if only != nil && page >= 0 {
			oi, _ = fc.OffsetIndexFrom(cr.ra)
		}
	} else {
		if st != nil {
			delete(cr.resume, c.index)
			st.release()
		}
		pages = fc.PagesFrom(cr.ra)
		if from > 0 || only != nil {
			oi, _ = fc.OffsetIndexFrom(cr.ra)
		}
		start := from
		if only != nil {
			start = only.next(from)
		}
		if start > 0 && oi != nil {
			if pi, first := pageOf(oi, start); pi > 0 {
				// Start at the page holding the first wanted row (at its
				// start: a page read from its middle would be re-sliced).
				if err := pages.SeekToRow(first); err != nil {
					pages.Close()
					return fmt.Errorf("column %s: %w", c.logical, err)
				}
				cu.row, page = int32(first)-1, pi-1
			}
		}
	}
	done := func() {
		if p != nil {
			parquet.Release(p)
		}
		pages.Close()
	}
	sk := cr.skel
	if sk != nil && (sk.filled || c.entityDepth < sk.level) {
		sk = nil
	}
	for {
		if p == nil {
			if only != nil && oi != nil {
				// Jump over pages holding no wanted row.
				want := only.next(cu.row + 1)
				if want < 0 || to > 0 && want >= to {
					done()
					if sk != nil {
						sk.filled = true
					}
					return nil
				}
				if pi, first := pageOf(oi, want); pi > page+1 {
					if err := pages.SeekToRow(first); err != nil {
						done()
						return fmt.Errorf("column %s: %w", c.logical, err)
					}
					cu.row, page = int32(first)-1, pi-1
				}
			}
			var err error
			p, err = pages.ReadPage()
			page++
			if errors.Is(err, io.EOF) {
				p = nil
				done()
				if sk != nil {
					sk.filled = true
				}
				return nil
			}
			if err != nil {
				p = nil
				done()
				return fmt.Errorf("column %s: %w", c.logical, err)
			}
			if err := d.Reset(p); err != nil {
				done()
				return fmt.Errorf("column %s: %w", c.logical, err)
			}
			k, vi = 0, 0
		}
		rep, def := p.RepetitionLevels(), p.DefinitionLevels()
		n := int(p.NumValues())
		for ; k < n; k++ {
			r, df := 0, c.maxDef
			if len(rep) > 0 {
				r = int(rep[k])
			}
			if len(def) > 0 {
				df = int(def[k])
			}
			if r == 0 && to > 0 && cu.row+1 >= to {
				// The chunk's end: the next chunk goes on from here.
				if old := cr.resume[c.index]; old != nil {
					old.release()
				}
				if cr.resume == nil {
					cr.resume = map[int]*scanState{}
				}
				cr.resume[c.index] = &scanState{pages: pages, p: p, d: d, k: k, vi: vi, row: cu.row, page: page}
				if sk != nil {
					sk.filled = true
				}
				return nil
			}
			if r == 0 {
				next := cu.row + 1
				skip = next < from || only != nil && !only.has(next)
			}
			if skip {
				// a row before the range, or not wanted
				if r == 0 {
					cu.row++
				}
				if df == c.maxDef {
					vi++
				}
				continue
			}
			cu.advance(r, df)
			if sk != nil {
				sk.observe(cu)
			}
			if df == c.maxDef {
				if vi >= d.Len() {
					done()
					return fmt.Errorf("column %s: page has fewer values than levels", c.logical)
				}
				v, di := d.At(vi)
				fn(cu, v, di)
				vi++
			} else {
				fn(cu, parquet.Value{}, -1)
			}
		}
		parquet.Release(p)
		p = nil
	}
}

// pageOf returns the index of the page holding row and that page's first
// row.
func pageOf(oi parquet.OffsetIndex, row int32) (int, int64) {
	pi := sort.Search(oi.NumPages(), func(i int) bool { return oi.FirstRowIndex(i) > int64(row) }) - 1
	if pi < 0 {
		return 0, 0
	}
	return pi, oi.FirstRowIndex(pi)
}

// scanState is a column scan stopped at the end of a chunk of rows; the
// next chunk's scan of the column goes on from it (no page read twice).
type scanState struct {
	pages *parquet.FilePages
	p     parquet.Page
	d     rowread.Values
	k, vi int
	row   int32 // of the level before k
	page  int   // index of p, -1 when unknown
}

func (st *scanState) release() {
	parquet.Release(st.p)
	st.pages.Close()
}

// close releases the scans kept for a next chunk.
func (cr *chunkReader) close() {
	for _, st := range cr.resume {
		st.release()
	}
	cr.resume = nil
}

// dictCache remembers a yes/no decision per dictionary entry during one
// column scan (every page of a chunk shares its dictionary).
type dictCache []int8

// get returns the cached decision for entry di: 1 yes, -1 no, 0 unknown.
func (c dictCache) get(di int32) int8 {
	if di < 0 || int(di) >= len(c) {
		return 0
	}
	return c[di]
}

func (c *dictCache) put(di int32, yes bool) {
	if di < 0 {
		return
	}
	if int(di) >= len(*c) {
		grown := make(dictCache, max(int(di)+1, 2*len(*c)))
		copy(grown, *c)
		*c = grown
	}
	if yes {
		(*c)[di] = 1
	} else {
		(*c)[di] = -1
	}
}

// dictionary returns the chunk's dictionary when every data page of the
// chunk is dictionary-encoded (so the dictionary lists every value), else nil.
func (cr *chunkReader) dictionary(c *column) (parquet.Dictionary, error) {
	fc, ok := cr.chunks[c.index].(*parquet.FileColumnChunk)
	if !ok {
		return nil, nil
	}
	md := &cr.meta.Columns[c.index].MetaData
	if md.DictionaryPageOffset == 0 || len(md.EncodingStats) == 0 {
		return nil, nil
	}
	for _, s := range md.EncodingStats {
		if s.PageType == format.DataPage || s.PageType == format.DataPageV2 {
			if s.Encoding != format.RLEDictionary && s.Encoding != format.PlainDictionary {
				return nil, nil
			}
		}
	}
	pages := fc.PagesFrom(cr.ra)
	defer pages.Close()
	d, err := pages.ReadDictionary()
	if err != nil {
		return nil, fmt.Errorf("column %s: dictionary: %w", c.logical, err)
	}
	return d, nil
}

// bounds returns the chunk's min and max statistics.
func (cr *chunkReader) bounds(c *column) (lo, hi parquet.Value, ok bool) {
	fc, isFile := cr.chunks[c.index].(*parquet.FileColumnChunk)
	if !isFile {
		return lo, hi, false
	}
	return fc.Bounds()
}

// countingReaderAt counts the bytes read through it (inspectedBytes).
type countingReaderAt struct {
	ra io.ReaderAt
	n  *int64
}

func (c countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.ra.ReadAt(p, off)
	*c.n += int64(n)
	return n, err
}

// sharedCountingReaderAt is countingReaderAt for readers used from several
// goroutines at once.
type sharedCountingReaderAt struct {
	ra io.ReaderAt
	n  *atomic.Int64
}

func (c sharedCountingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.ra.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}
