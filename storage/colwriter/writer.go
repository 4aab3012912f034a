// Package colwriter writes parquet files column by column from values its
// caller has already shredded into repetition and definition levels.
//
// parquet-go's writers take rows and shred them through a generic,
// reflection-compiled tree of per-field functions; for a deeply nested
// schema such as Tempo's that walk costs more than encoding the pages. A
// caller that knows its schema walks each row once and appends to the
// columns here, which keep levels and values in flat slices and encode
// them with parquet-go's encoders: data pages v2, dictionary pages,
// statistics, column and offset indexes, the footer.
package colwriter

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

type rleEncoding = rle.Encoding

// Options configure a Writer.
type Options struct {
	// PageSize is the unencoded size at which a column's page is cut (at
	// the next row boundary).
	PageSize int
	// CreatedBy is the footer's created_by.
	CreatedBy string
	// SkipBounds lists columns (dotted paths) whose pages get no min/max:
	// blobs, whose bounds would only bloat the indexes.
	SkipBounds []string
	// IndexSizeLimit truncates byte-array bounds in the column index (0: 16,
	// parquet-go's default).
	IndexSizeLimit int
}

// Writer writes one parquet file of a schema.
type Writer struct {
	w        io.Writer
	off      int64
	opts     Options
	template *format.FileMetaData // schema elements and column orders
	cols     []*Column
	byPath   map[string]*Column
	s        scratch

	rows      int64 // rows of the current row group
	pageStart []int64
	rowGroups []format.RowGroup
	indexes   [][]rgIndex // per row group, per column
	numRows   int64
	closed    bool
}

type rgIndex struct {
	ci format.ColumnIndex
	oi format.OffsetIndex
}

// New starts a file of schema on w.
func New(w io.Writer, schema *parquet.Schema, opts Options) (*Writer, error) {
	if opts.PageSize <= 0 {
		opts.PageSize = 64 * 1024
	}
	if opts.IndexSizeLimit <= 0 {
		opts.IndexSizeLimit = parquet.DefaultColumnIndexSizeLimit
	}
	tmpl, err := templateOf(schema)
	if err != nil {
		return nil, err
	}
	skip := map[string]bool{}
	for _, p := range opts.SkipBounds {
		skip[p] = true
	}
	wr := &Writer{w: w, opts: opts, template: tmpl, byPath: map[string]*Column{}}
	for i, path := range schema.Columns() {
		leaf, ok := schema.Lookup(path...)
		if !ok || leaf.ColumnIndex != i {
			return nil, fmt.Errorf("colwriter: column %v not found in its schema", path)
		}
		c, err := newColumn(path, leaf)
		if err != nil {
			return nil, err
		}
		c.bounds = !skip[dotted(path)]
		wr.cols = append(wr.cols, c)
		wr.byPath[dotted(path)] = c
	}
	wr.pageStart = make([]int64, len(wr.cols))
	if _, err := wr.write([]byte("PAR1")); err != nil {
		return nil, err
	}
	return wr, nil
}

func dotted(path []string) string { return strings.Join(path, ".") }

func newColumn(path []string, leaf parquet.LeafColumn) (*Column, error) {
	n := leaf.Node
	t := n.Type()
	c := &Column{
		path:   path,
		kind:   t.Kind(),
		maxRep: byte(leaf.MaxRepetitionLevel),
		maxDef: byte(leaf.MaxDefinitionLevel),
		enc:    format.Plain,
		offs:   []uint32{0},
	}
	if it, ok := logicalInt(t); ok && !it.IsSigned {
		c.unsigned = true
	}
	if e := n.Encoding(); e != nil {
		c.enc = e.Encoding()
	} else if c.kind == parquet.ByteArray {
		c.enc = format.DeltaLengthByteArray // the writer's default for byte arrays
	}
	if codec := n.Compression(); codec != nil && codec.CompressionCodec() != format.Uncompressed {
		c.codec = codec
	}
	switch c.enc {
	case format.RLEDictionary, format.PlainDictionary:
		if c.kind != parquet.ByteArray {
			return nil, fmt.Errorf("colwriter: column %v: dictionary encoding is supported for byte arrays only", path)
		}
		c.dict, c.enc = true, format.RLEDictionary
		c.dictIndex = map[string]int32{}
		c.recent = new([recentSize]int32)
		c.dictOffs = []uint32{0}
	}
	switch c.kind {
	case parquet.Boolean, parquet.Int32, parquet.Int64, parquet.Double, parquet.ByteArray:
	default:
		return nil, fmt.Errorf("colwriter: column %v: %v columns are not supported", leaf.Path, c.kind)
	}
	return c, nil
}

// templateOf is the footer parquet-go writes for an empty file of schema:
// its schema elements and column orders are reused as they are.
func templateOf(schema *parquet.Schema) (*format.FileMetaData, error) {
	var buf bytes.Buffer
	if err := parquet.NewWriter(&buf, schema).Close(); err != nil {
		return nil, fmt.Errorf("colwriter: %w", err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		return nil, fmt.Errorf("colwriter: %w", err)
	}
	md := *f.Metadata()
	return &md, nil
}

// Column returns the leaf column at the dotted path, or nil when the schema
// has none (a pruned column: writing to it does nothing).
func (w *Writer) Column(path string) *Column { return w.byPath[path] }

// EndRow ends a row every column has been written for, and cuts the pages
// that are full.
func (w *Writer) EndRow() error {
	w.rows++
	for i, c := range w.cols {
		if c.pageBytes >= w.opts.PageSize {
			if err := c.cutPage(&w.s, w.pageStart[i]); err != nil {
				return err
			}
			w.pageStart[i] = w.rows
		}
	}
	return nil
}

// FlushRowGroup writes the current row group (nothing when it is empty).
func (w *Writer) FlushRowGroup() error {
	if w.closed {
		return errors.New("colwriter: closed")
	}
	if w.rows == 0 {
		return nil
	}
	rg := format.RowGroup{NumRows: w.rows, FileOffset: w.off, Ordinal: int16(len(w.rowGroups))}
	idx := make([]rgIndex, len(w.cols))
	for i, c := range w.cols {
		if err := c.cutPage(&w.s, w.pageStart[i]); err != nil {
			return err
		}
		cc, ix, err := w.writeChunk(c)
		if err != nil {
			return err
		}
		rg.Columns = append(rg.Columns, cc)
		rg.TotalByteSize += cc.MetaData.TotalUncompressedSize
		rg.TotalCompressedSize += cc.MetaData.TotalCompressedSize
		idx[i] = ix
		c.resetRowGroup()
		w.pageStart[i] = 0
	}
	w.rowGroups = append(w.rowGroups, rg)
	w.indexes = append(w.indexes, idx)
	w.numRows += w.rows
	w.rows = 0
	return nil
}

// writeChunk writes a column's chunk: dictionary page, then data pages.
func (w *Writer) writeChunk(c *Column) (format.ColumnChunk, rgIndex, error) {
	ch := &c.chunk
	md := format.ColumnMetaData{
		Type:         format.Type(c.kind),
		PathInSchema: c.path,
		Codec:        format.Uncompressed,
		NumValues:    ch.numValues,
	}
	if c.codec != nil {
		md.Codec = c.codec.CompressionCodec()
	}
	if c.dict {
		md.Encoding = append(md.Encoding, format.Plain)
	}
	if c.maxRep > 0 || c.maxDef > 0 {
		md.Encoding = append(md.Encoding, format.RLE)
	}
	md.Encoding = appendOnce(md.Encoding, c.enc)
	if c.dict {
		header, body, unc, err := c.dictionaryPage(&w.s)
		if err != nil {
			return format.ColumnChunk{}, rgIndex{}, fmt.Errorf("column %v: dictionary page: %w", c.path, err)
		}
		md.DictionaryPageOffset = w.off
		if _, err := w.write(header); err != nil {
			return format.ColumnChunk{}, rgIndex{}, err
		}
		if _, err := w.write(body); err != nil {
			return format.ColumnChunk{}, rgIndex{}, err
		}
		md.TotalUncompressedSize += int64(unc)
		md.TotalCompressedSize += int64(len(header) + len(body))
		md.EncodingStats = append(md.EncodingStats, format.PageEncodingStats{PageType: format.DictionaryPage, Encoding: format.Plain, Count: 1})
	}
	md.DataPageOffset = w.off
	if err := ch.pages.writeTo(w.write); err != nil {
		return format.ColumnChunk{}, rgIndex{}, err
	}
	md.TotalUncompressedSize += ch.unc
	md.TotalCompressedSize += ch.comp
	md.EncodingStats = append(md.EncodingStats, format.PageEncodingStats{PageType: format.DataPageV2, Encoding: c.enc, Count: int32(len(ch.locs))})
	md.Statistics.NullCount = ch.nulls
	if ch.haveBounds {
		md.Statistics.MinValue, md.Statistics.MaxValue = ch.lo, ch.hi
	}

	var ix rgIndex
	ix.ci.BoundaryOrder = boundaryOrder(c, ch.locs)
	for _, p := range ch.locs {
		ix.oi.PageLocations = append(ix.oi.PageLocations, format.PageLocation{
			Offset:             md.DataPageOffset + int64(p.offset),
			CompressedPageSize: int32(p.size),
			FirstRowIndex:      p.firstRow,
		})
		ix.ci.NullPages = append(ix.ci.NullPages, p.nullPage)
		ix.ci.NullCounts = append(ix.ci.NullCounts, p.nulls)
		lo, hi := []byte{}, []byte{}
		if p.haveBounds {
			lo, hi = w.truncate(c, p.lo, false), w.truncate(c, p.hi, true)
		}
		ix.ci.MinValues = append(ix.ci.MinValues, lo)
		ix.ci.MaxValues = append(ix.ci.MaxValues, hi)
	}
	return format.ColumnChunk{MetaData: md}, ix, nil
}

func appendOnce(es []format.Encoding, e format.Encoding) []format.Encoding {
	for _, x := range es {
		if x == e {
			return es
		}
	}
	return append(es, e)
}

// truncate shortens a byte-array bound for the column index: a prefix is
// still a lower bound; an upper bound is the prefix with its last byte
// below 0xFF incremented (or the whole value when there is none).
func (w *Writer) truncate(c *Column, v []byte, upper bool) []byte {
	limit := w.opts.IndexSizeLimit
	if c.kind != parquet.ByteArray || len(v) <= limit {
		return v
	}
	if !upper {
		return v[:limit]
	}
	for i := limit - 1; i >= 0; i-- {
		if v[i] != 0xFF {
			out := append([]byte(nil), v[:i+1]...)
			out[i]++
			return out
		}
	}
	return v
}

// boundaryOrder tells whether the pages' bounds ascend or descend.
func boundaryOrder(c *Column, locs []pageLoc) format.BoundaryOrder {
	asc, desc := true, true
	var prev *pageLoc
	for i := range locs {
		p := &locs[i]
		if !p.haveBounds {
			continue
		}
		if prev != nil {
			if c.compare(p.lo, prev.lo) < 0 || c.compare(p.hi, prev.hi) < 0 {
				asc = false
			}
			if c.compare(p.lo, prev.lo) > 0 || c.compare(p.hi, prev.hi) > 0 {
				desc = false
			}
		}
		prev = p
	}
	switch {
	case prev == nil:
		return format.Unordered
	case asc:
		return format.Ascending
	case desc:
		return format.Descending
	}
	return format.Unordered
}

// Close flushes the last row group and writes the indexes and the footer.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	if err := w.FlushRowGroup(); err != nil {
		return err
	}
	w.closed = true
	var enc thrift.CompactProtocol
	for r := range w.rowGroups {
		for i := range w.rowGroups[r].Columns {
			b, err := thrift.Marshal(&enc, &w.indexes[r][i].ci)
			if err != nil {
				return err
			}
			w.rowGroups[r].Columns[i].ColumnIndexOffset = w.off
			w.rowGroups[r].Columns[i].ColumnIndexLength = int32(len(b))
			if _, err := w.write(b); err != nil {
				return err
			}
		}
	}
	for r := range w.rowGroups {
		for i := range w.rowGroups[r].Columns {
			b, err := thrift.Marshal(&enc, &w.indexes[r][i].oi)
			if err != nil {
				return err
			}
			w.rowGroups[r].Columns[i].OffsetIndexOffset = w.off
			w.rowGroups[r].Columns[i].OffsetIndexLength = int32(len(b))
			if _, err := w.write(b); err != nil {
				return err
			}
		}
	}
	md := format.FileMetaData{
		Version:      w.template.Version,
		Schema:       w.template.Schema,
		NumRows:      w.numRows,
		RowGroups:    w.rowGroups,
		CreatedBy:    w.opts.CreatedBy,
		ColumnOrders: w.template.ColumnOrders,
	}
	footer, err := thrift.Marshal(&enc, &md)
	if err != nil {
		return err
	}
	footer = binary.LittleEndian.AppendUint32(footer, uint32(len(footer)))
	footer = append(footer, "PAR1"...)
	_, err = w.write(footer)
	return err
}

func (w *Writer) write(b []byte) (int, error) {
	n, err := w.w.Write(b)
	w.off += int64(n)
	if err != nil {
		return n, fmt.Errorf("colwriter: %w", err)
	}
	return n, nil
}

func logicalInt(t parquet.Type) (*format.IntType, bool) {
	lt := t.LogicalType()
	if lt == nil {
		return nil, false
	}
	it, ok := lt.Value.(*format.IntType)
	return it, ok
}
