package rowread

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// RowGroup reads single rows of one row group: for each column the page
// holding the row (offset index) and the chunk's dictionary are fetched in
// a few coalesced reads and decoded from those bytes. Build it once per
// row group and share it: it holds only what the footer and page index say.
type RowGroup struct {
	chunks []rowChunk
}

type rowChunk struct {
	fc    *parquet.FileColumnChunk
	leaf  leaf
	ok    bool   // raw decoding possible (else a Cursor reads the column)
	synth *synth // not read: values made up (see skip.go)
	locs  []format.PageLocation
	// dictionary page bytes [dictOff, dictEnd) (empty when none)
	dictOff, dictEnd int64
}

// NewRowGroup prepares row group g of file. Columns for which skip (when
// not nil) returns true are not read when their shape can be made up from
// the other columns: they come back holding zero values.
func NewRowGroup(file *parquet.File, g int, skip func(path []string) bool) (*RowGroup, error) {
	rgs := file.RowGroups()
	if g < 0 || g >= len(rgs) {
		return nil, fmt.Errorf("row group %d of %d", g, len(rgs))
	}
	meta := &file.Metadata().RowGroups[g]
	skips := planSkips(file, skip)
	out := &RowGroup{}
	for i, c := range rgs[g].ColumnChunks() {
		fc, ok := c.(*parquet.FileColumnChunk)
		if !ok || i >= len(meta.Columns) {
			return nil, fmt.Errorf("column %d: not a file column chunk", i)
		}
		rc := rowChunk{fc: fc}
		rc.leaf, rc.ok = leafOf(fc)
		if s, ok := skips[i]; ok && rc.ok {
			rc.synth = &s
			out.chunks = append(out.chunks, rc)
			continue
		}
		md := &meta.Columns[i].MetaData
		if oi, err := fc.OffsetIndex(); err == nil && oi.NumPages() > 0 && rc.ok && meta.Columns[i].CryptoMetadata.Value == nil {
			rc.locs = make([]format.PageLocation, oi.NumPages())
			for p := range rc.locs {
				rc.locs[p] = format.PageLocation{Offset: oi.Offset(p), CompressedPageSize: int32(oi.CompressedPageSize(p)), FirstRowIndex: oi.FirstRowIndex(p)}
			}
			// Whatever lies between the chunk's start and its first data
			// page is the dictionary page.
			start := md.DataPageOffset
			if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
				start = md.DictionaryPageOffset
			}
			if first := rc.locs[0].Offset; first > start {
				rc.dictOff, rc.dictEnd = start, first
			}
		} else {
			rc.ok = false
		}
		out.chunks = append(out.chunks, rc)
	}
	return out, nil
}

// span is a byte range of the file and, once fetched, its bytes.
type span struct {
	off, end int64
	data     []byte
}

// maxGap is the largest hole between two wanted ranges read through rather
// than split into two reads: a read costs more than this many bytes.
const maxGap = 64 << 10

type rowBufs struct {
	buf   []byte
	spans []span
	pd    pageDecoder
	arena []byte // byte arrays of the row being read
	// one column's part of the row
	reps, defs []uint8
	levels     levelRuns
	vals       []parquet.Value
	ints       []int64
	delta      deltaScratch
}

var rowBufPool = sync.Pool{New: func() any { return new(rowBufs) }}

// ReadRow returns row (within the row group) in the file's schema. Byte
// arrays in the row are its own.
func (g *RowGroup) ReadRow(ra io.ReaderAt, row int64) (parquet.Row, error) {
	rb := rowBufPool.Get().(*rowBufs)
	defer func() {
		rb.arena = nil // handed out with the row
		rowBufPool.Put(rb)
	}()

	// The ranges: per column its dictionary and the row's page.
	type want struct{ dict, page, p int } // indexes into spans (-1 none), page index
	wants := make([]want, len(g.chunks))
	spans := rb.spans[:0]
	for i := range g.chunks {
		c := &g.chunks[i]
		wants[i] = want{-1, -1, -1}
		if !c.ok || c.synth != nil {
			continue
		}
		p := sort.Search(len(c.locs), func(k int) bool { return c.locs[k].FirstRowIndex > row }) - 1
		if p < 0 {
			return nil, fmt.Errorf("column %d: row %d before the first page", c.leaf.col, row)
		}
		if c.dictEnd > c.dictOff {
			wants[i].dict = len(spans)
			spans = append(spans, span{off: c.dictOff, end: c.dictEnd})
		}
		wants[i].page, wants[i].p = len(spans), p
		loc := c.locs[p]
		spans = append(spans, span{off: loc.Offset, end: loc.Offset + int64(loc.CompressedPageSize)})
	}
	rb.spans = spans
	var err error
	if rb.buf, err = fetch(ra, spans, rb.buf); err != nil {
		return nil, err
	}

	var out parquet.Row
	rb.arena = make([]byte, 0, 4096)
	starts := make([]int, len(g.chunks)+1) // column i's values: out[starts[i]:starts[i+1]]
	for i := range g.chunks {
		starts[i] = len(out)
		c := &g.chunks[i]
		w := wants[i]
		if c.synth != nil {
			from, to := 0, 0
			if t := c.synth.twin; t >= 0 {
				from, to = starts[t], starts[t+1]
			}
			out = synthesize(out, *c.synth, &c.leaf, from, to)
			starts[i+1] = len(out)
			continue
		}
		if w.page >= 0 {
			n := len(out)
			var err error
			out, err = rb.readRaw(out, c, row-c.locs[w.p].FirstRowIndex, spans, w.dict, w.page)
			if err == nil {
				starts[i+1] = len(out)
				continue
			}
			if !errors.Is(err, errUnsupported) {
				return nil, fmt.Errorf("column %d: %w", c.leaf.col, err)
			}
			out = out[:n]
		}
		// parquet-go reads what this decoder does not handle.
		cur := NewCursor(c.fc, ra)
		out, err = cur.AppendRow(out, row)
		cur.Close()
		if err != nil {
			return nil, fmt.Errorf("column %d: %w", c.fc.Column(), err)
		}
		starts[i+1] = len(out)
	}
	return out, nil
}

// readRaw appends the values of column c in the row, the i-th of its page.
func (rb *rowBufs) readRaw(out parquet.Row, c *rowChunk, i int64, spans []span, dict, page int) (parquet.Row, error) {
	var d []byte
	if dict >= 0 {
		d = spans[dict].data
	}
	return rb.pageRow(out, &c.leaf, spans[page].data, int(i), d)
}

// fetch reads the spans' bytes, coalescing ranges closer than maxGap into
// one read, into buf (reused when large enough).
func fetch(ra io.ReaderAt, spans []span, buf []byte) ([]byte, error) {
	if len(spans) == 0 {
		return buf, nil
	}
	order := make([]int, len(spans))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		switch {
		case spans[a].off < spans[b].off:
			return -1
		case spans[a].off > spans[b].off:
			return 1
		}
		return 0
	})
	type read struct{ off, end int64 }
	var reads []read
	total := int64(0)
	for _, i := range order {
		s := spans[i]
		if s.end < s.off || s.off < 0 {
			return buf, fmt.Errorf("page range [%d, %d): %w", s.off, s.end, parquet.ErrCorrupted)
		}
		if n := len(reads); n > 0 && s.off-reads[n-1].end <= maxGap {
			if s.end > reads[n-1].end {
				total += s.end - reads[n-1].end
				reads[n-1].end = s.end
			}
			continue
		}
		reads = append(reads, read{s.off, s.end})
		total += s.end - s.off
	}
	if int64(cap(buf)) < total {
		buf = make([]byte, total)
	}
	buf = buf[:total]
	at := int64(0)
	bases := make([]int64, len(reads)) // offset in buf of each read
	for k, r := range reads {
		bases[k] = at
		p := buf[at : at+r.end-r.off]
		if n, err := ra.ReadAt(p, r.off); n < len(p) {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return buf, fmt.Errorf("reading [%d, %d): %w", r.off, r.end, err)
		}
		at += r.end - r.off
	}
	k := 0
	for _, i := range order {
		s := &spans[i]
		for reads[k].end < s.end || reads[k].off > s.off {
			k++
		}
		base := bases[k] + s.off - reads[k].off
		s.data = buf[base : base+s.end-s.off]
	}
	return buf, nil
}
