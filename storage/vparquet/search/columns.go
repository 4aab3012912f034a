package search

import (
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
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
}

// scan calls fn for every value of column c in row group order. The value's
// byte slices are only valid during the call.
func (cr *chunkReader) scan(c *column, fn func(cu *cursor, v parquet.Value)) error {
	fc, ok := cr.chunks[c.index].(*parquet.FileColumnChunk)
	if !ok {
		return fmt.Errorf("column %s: not a file column chunk", c.logical)
	}
	pages := fc.PagesFrom(cr.ra)
	defer pages.Close()
	cu := newCursor(c)
	sk := cr.skel
	if sk != nil && (sk.filled || c.entityDepth < sk.level) {
		sk = nil
	}
	buf := make([]parquet.Value, 512)
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			if sk != nil {
				sk.filled = true
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("column %s: %w", c.logical, err)
		}
		vr := p.Values()
		for {
			n, err := vr.ReadValues(buf)
			for _, v := range buf[:n] {
				cu.advance(v.RepetitionLevel(), v.DefinitionLevel())
				if sk != nil {
					sk.observe(cu)
				}
				fn(cu, v)
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				parquet.Release(p)
				return fmt.Errorf("column %s: %w", c.logical, err)
			}
		}
		parquet.Release(p)
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
