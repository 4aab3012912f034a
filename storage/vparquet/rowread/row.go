package rowread

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"

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
	// From the column index, per page: all values null (the page need not
	// be read when the column has a null twin); all values equal (kept
	// for booleans and integers, whose statistics are exact).
	nulls    []bool
	konst    []parquet.Value
	hasKonst []bool
	nullTwin int
	locs     []format.PageLocation
	// dictionary page bytes [dictOff, dictEnd) (empty when none)
	dictOff, dictEnd int64
}

// NewRowGroup prepares row group g of file. Columns for which skip (when
// not nil) returns true are not read when their shape can be made up from
// the other columns: they come back holding zero values.
func NewRowGroup(file *parquet.File, g int, skip func(path []string) bool) (_ *RowGroup, err error) {
	defer recoverInto(&err)
	rgs := file.RowGroups()
	if g < 0 || g >= len(rgs) {
		return nil, fmt.Errorf("row group %d of %d", g, len(rgs))
	}
	skips := planSkips(file, skip)
	twins := planNullTwins(file)
	out := &RowGroup{}
	for i, c := range rgs[g].ColumnChunks() {
		fc, ok := c.(*parquet.FileColumnChunk)
		if !ok {
			return nil, fmt.Errorf("column %d: not a file column chunk", i)
		}
		rc, _ := chunkOf(fc)
		rc.nullTwin = -1
		if i < len(twins) {
			rc.nullTwin = twins[i]
		}
		if s, ok := skips[i]; ok {
			if _, known := leafOf(fc); known {
				rc.synth = &s
			}
		}
		out.chunks = append(out.chunks, rc)
	}
	return out, nil
}

// chunkOf describes column chunk fc for raw decoding: ok is false when
// the raw decoder cannot read it (no offset index, encryption, unusual
// types), which leaves it to parquet-go.
func chunkOf(fc *parquet.FileColumnChunk) (rc rowChunk, ok bool) {
	rc = rowChunk{fc: fc}
	if rc.leaf, ok = leafOf(fc); !ok {
		return rc, false
	}
	meta := chunkMeta(fc)
	if meta == nil || meta.CryptoMetadata.Value != nil {
		return rc, false
	}
	oi, err := fc.OffsetIndex()
	if err != nil || oi.NumPages() == 0 {
		return rc, false
	}
	size := fc.File().Size()
	rc.locs = make([]format.PageLocation, oi.NumPages())
	for p := range rc.locs {
		loc := format.PageLocation{Offset: oi.Offset(p), CompressedPageSize: int32(oi.CompressedPageSize(p)), FirstRowIndex: oi.FirstRowIndex(p)}
		if loc.Offset < 0 || loc.CompressedPageSize < 0 || loc.Offset+int64(loc.CompressedPageSize) > size ||
			p > 0 && loc.FirstRowIndex < rc.locs[p-1].FirstRowIndex {
			return rc, false // an offset index not to be trusted: parquet-go's way
		}
		rc.locs[p] = loc
	}
	// Whatever lies between the chunk's start and its first data page is
	// the dictionary page.
	md := &meta.MetaData
	start := md.DataPageOffset
	if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
		start = md.DictionaryPageOffset
	}
	if first := rc.locs[0].Offset; first > start && start >= 0 {
		rc.dictOff, rc.dictEnd = start, first
	}
	if ci, err := fc.ColumnIndex(); err == nil && ci.NumPages() == len(rc.locs) {
		rc.nulls = make([]bool, len(rc.locs))
		rc.konst = make([]parquet.Value, len(rc.locs))
		rc.hasKonst = make([]bool, len(rc.locs))
		for p := range rc.locs {
			rc.nulls[p] = ci.NullPage(p)
			if !rc.nulls[p] {
				rc.konst[p], rc.hasKonst[p] = constant(rc.leaf.kind, ci.MinValue(p), ci.MaxValue(p))
			}
		}
	}
	rc.ok = true
	return rc, true
}

// constant returns the value every value of a page holds when its bounds
// say so exactly.
func constant(kind parquet.Kind, lo, hi parquet.Value) (parquet.Value, bool) {
	if lo.Kind() != kind || hi.Kind() != kind {
		return parquet.Value{}, false
	}
	switch kind {
	case parquet.Boolean:
		return lo, lo.Boolean() == hi.Boolean()
	case parquet.Int32:
		return lo, lo.Int32() == hi.Int32()
	case parquet.Int64:
		return lo, lo.Int64() == hi.Int64()
	}
	return parquet.Value{}, false
}

// chunkMeta finds fc's footer entry (parquet-go does not expose it).
func chunkMeta(fc *parquet.FileColumnChunk) *format.ColumnChunk {
	file, col := fc.File(), fc.Column()
	meta := file.Metadata()
	for g, rg := range file.RowGroups() {
		chunks := rg.ColumnChunks()
		if col < len(chunks) && chunks[col] == parquet.ColumnChunk(fc) && g < len(meta.RowGroups) && col < len(meta.RowGroups[g].Columns) {
			return &meta.RowGroups[g].Columns[col]
		}
	}
	return nil
}

// span is a byte range of the file and, once fetched, its bytes.
type span struct {
	off, end int64
	data     []byte
}

// maxGap is the largest hole between two wanted ranges read through rather
// than split into two reads: a read costs more than this many bytes.
const maxGap = 32 << 10

// parallelBytes is the least a row's pages must weigh for ReadRow to read
// and decode them in two halves at once.
var parallelBytes int64 = 256 << 10

type rowBufs struct {
	buf   []byte
	spans []span
	pd    pageDecoder // dictionaries, FindSorted's pages
	ps    pageState
	fs    fetchScratch
	dict  dictSource
	// dictFn is dict.get, made once: a method value handed to each
	// column's pageState would cost an allocation per column.
	dictFn func() (*Values, error)
}

// rowBufFree keeps rowBufs between reads. A free list rather than a
// sync.Pool: they hold a row's pages (hundreds of KB) and decompression
// buffers, which a pool would drop at every garbage collection and the
// next reads would allocate and zero again.
var rowBufFree = make(chan *rowBufs, 2*runtime.GOMAXPROCS(0)+2)

// maxKeptBuf is the largest page buffer kept on the free list: the rare
// huge row's is left to the collector.
const maxKeptBuf = 8 << 20

func getRowBufs() *rowBufs {
	select {
	case rb := <-rowBufFree:
		return rb
	default:
	}
	rb := new(rowBufs)
	rb.dict.pd = &rb.pd
	rb.dictFn = rb.dict.get
	return rb
}

func putRowBufs(rb *rowBufs) {
	if cap(rb.buf) > maxKeptBuf {
		return
	}
	clear(rb.spans) // their bytes are rb.buf's, but keep no stale slices
	rb.dict.leaf, rb.dict.bytes = nil, nil
	select {
	case rowBufFree <- rb:
	default:
	}
}

// dictSource decodes the dictionary of the column being read, on first
// need.
type dictSource struct {
	pd    *pageDecoder
	leaf  *leaf
	bytes []byte
}

func (d *dictSource) get() (*Values, error) { return d.pd.decodeDictionary(d.leaf, d.bytes) }

// colPlan is where a column's part of a row comes from.
type colPlan struct {
	mode       uint8
	dict, page int // indexes into the spans (-1 none)
	p          int // page
	first      int64
}

const (
	fromPage  = iota // decoded from its page (or parquet-go's)
	fromSkip         // skipped: zeros shaped like its twin
	fromNulls        // a null page: nulls shaped like its null twin
	fromKnown        // given by the caller
)

// ReadRow returns row (within the row group) in the file's schema. Byte
// arrays in the row are its own. A heavy row is read and decoded in two
// halves (by bytes) at once.
func (g *RowGroup) ReadRow(ra io.ReaderAt, row int64) (parquet.Row, error) {
	return g.ReadRowKnowing(ra, row, -1, nil)
}

// ReadRowKnowing is ReadRow for a row whose value in column col, a
// required top-level byte-array column, is known (FindSorted found the row
// by it): that column is not read again.
func (g *RowGroup) ReadRowKnowing(ra io.ReaderAt, row int64, col int, known []byte) (_ parquet.Row, err error) {
	defer recoverInto(&err)
	var m rowMem
	return g.read(ra, row, col, known, &m, 0)
}

// read reads the row into m's buffers (fresh ones unless m.reuse) and
// returns it with room for extra more values.
func (g *RowGroup) read(ra io.ReaderAt, row int64, col int, known []byte, m *rowMem, extra int) (parquet.Row, error) {
	n := len(g.chunks)
	plans := grow(m.plans, n)
	m.plans = plans
	for i := range g.chunks {
		c := &g.chunks[i]
		plans[i] = colPlan{dict: -1, page: -1, p: -1}
		if c.synth != nil {
			plans[i].mode = fromSkip
			continue
		}
		if i == col && c.leaf.kind == parquet.ByteArray && c.leaf.maxRep == 0 && c.leaf.maxDef == 0 {
			plans[i].mode = fromKnown
			continue
		}
		if !c.ok {
			continue
		}
		p := pageOf(c.locs, row)
		if p < 0 {
			return nil, fmt.Errorf("column %d: row %d before the first page", c.leaf.col, row)
		}
		plans[i].p, plans[i].first = p, c.locs[p].FirstRowIndex
		if c.nulls != nil && c.nulls[p] && c.nullTwin >= 0 {
			plans[i].mode = fromNulls
		}
	}
	m.state = grow(m.state, n)
	g.breakCycles(plans, m.state)

	// The ranges: per column read its dictionary and the row's page.
	spans := m.spans[:0]
	var total int64
	for i := range g.chunks {
		c, pl := &g.chunks[i], &plans[i]
		if pl.mode != fromPage || pl.p < 0 {
			continue
		}
		if c.dictEnd > c.dictOff && !(c.hasKonst != nil && c.hasKonst[pl.p]) {
			pl.dict = len(spans)
			spans = append(spans, span{off: c.dictOff, end: c.dictEnd})
			total += c.dictEnd - c.dictOff
		}
		loc := c.locs[pl.p]
		pl.page = len(spans)
		spans = append(spans, span{off: loc.Offset, end: loc.Offset + int64(loc.CompressedPageSize)})
		total += int64(loc.CompressedPageSize)
	}
	m.spans = spans

	// Columns [0, split) and [split, n): halves by bytes.
	split := n
	if total >= parallelBytes && runtime.GOMAXPROCS(0) > 1 {
		var acc int64
		for i := range plans {
			if acc*2 >= total {
				split = i
				break
			}
			if k := plans[i].dict; k >= 0 {
				acc += spans[k].end - spans[k].off
			}
			if k := plans[i].page; k >= 0 {
				acc += spans[k].end - spans[k].off
			}
		}
	}
	parts := &m.parts
	parts[0].from, parts[0].to = 0, split
	parts[1].from, parts[1].to = split, n
	if split < n {
		done := make(chan struct{})
		go func() {
			defer close(done)
			parts[1].read(g, ra, row, plans, spans)
		}()
		parts[0].read(g, ra, row, plans, spans)
		<-done
	} else {
		parts[0].read(g, ra, row, plans, spans)
		parts[1].starts = grow(parts[1].starts, 1)
		parts[1].out = parts[1].out[:0]
	}
	for i := range parts {
		if parts[i].err != nil {
			return nil, parts[i].err
		}
	}

	// Each column's values, the made-up ones from their twins'.
	segs := grow(m.segs, n)
	m.segs = segs
	size := 0
	for i := range g.chunks {
		segs[i] = nil
		if plans[i].mode == fromPage {
			p := &parts[0]
			if i >= split {
				p = &parts[1]
			}
			segs[i] = p.out[p.starts[i-p.from]:p.starts[i-p.from+1]]
			size += len(segs[i])
		}
	}
	done := grow(m.done, n)
	m.done = done
	clear(done)
	made := m.made[:0]
	var resolve func(i int) []parquet.Value
	resolve = func(i int) []parquet.Value {
		if plans[i].mode == fromPage || done[i] {
			return segs[i]
		}
		done[i] = true
		c := &g.chunks[i]
		var twin []parquet.Value
		switch plans[i].mode {
		case fromNulls:
			twin = resolve(c.nullTwin)
		case fromSkip:
			if t := c.synth.twin; t >= 0 {
				twin = resolve(t)
			}
		}
		// A made-up column's values are appended to made; growing made
		// leaves earlier columns' values where they were.
		at := len(made)
		switch plans[i].mode {
		case fromKnown:
			made = append(made, parts[0].ar.own(parquet.ByteArray, known).Level(0, 0, c.leaf.col))
		case fromNulls:
			made = nullsLike(made, c.leaf.col, twin)
		default:
			made = synthesize(made, *c.synth, &c.leaf, twin)
		}
		segs[i] = made[at:len(made):len(made)]
		size += len(segs[i])
		return segs[i]
	}
	for i := range g.chunks {
		resolve(i)
	}
	m.made = made
	out := m.out[:0]
	if cap(out) < size+extra {
		out = make(parquet.Row, 0, size+extra)
	}
	for _, seg := range segs {
		out = append(out, seg...)
	}
	m.out = out
	return out, nil
}

// grow returns s with length n, reusing its memory when it is large enough.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// breakCycles reads columns whose made-up values would depend on
// themselves (twins are chosen so that this does not happen; a page index
// can still surprise). state is scratch of len(plans).
func (g *RowGroup) breakCycles(plans []colPlan, state []uint8) {
	const (
		unseen = iota
		busy
		settled
	)
	clear(state)
	var visit func(i int)
	visit = func(i int) {
		if state[i] != unseen {
			return
		}
		state[i] = busy
		twin := -1
		switch plans[i].mode {
		case fromNulls:
			twin = g.chunks[i].nullTwin
		case fromSkip:
			twin = g.chunks[i].synth.twin
		}
		if twin >= 0 {
			visit(twin)
			if state[twin] == busy && plans[i].mode == fromNulls {
				plans[i].mode = fromPage
			}
		}
		state[i] = settled
	}
	for i := range plans {
		visit(i)
	}
}

// rowPart reads the row's values of columns [from, to).
type rowPart struct {
	from, to int
	out      parquet.Row
	starts   []int // column from+k's values: out[starts[k]:starts[k+1]]
	err      error
	ar       arena // the bytes of out's byte arrays
}

func (p *rowPart) read(g *RowGroup, ra io.ReaderAt, row int64, plans []colPlan, spans []span) {
	// A half may run on a goroutine of its own, beyond the caller's
	// recover: corrupt pages must come back as an error, not a crash.
	defer recoverInto(&p.err)
	p.err = nil
	p.out = p.out[:0]
	p.starts = grow(p.starts, p.to-p.from+1)
	p.starts[0] = 0
	if p.from == p.to {
		return
	}
	rb := getRowBufs()
	defer putRowBufs(rb)
	mine := rb.spans[:0]
	for i := p.from; i < p.to; i++ {
		if k := plans[i].dict; k >= 0 {
			mine = append(mine, spans[k])
		}
		if k := plans[i].page; k >= 0 {
			mine = append(mine, spans[k])
		}
	}
	rb.spans = mine
	if rb.buf, p.err = fetch(ra, mine, rb.buf, &rb.fs); p.err != nil {
		return
	}
	k := 0 // next of mine
	own := p.ar.own
	for i := p.from; i < p.to; i++ {
		p.starts[i-p.from] = len(p.out)
		c, pl := &g.chunks[i], plans[i]
		if pl.mode != fromPage {
			continue
		}
		if pl.page >= 0 {
			var dictBytes []byte
			if pl.dict >= 0 {
				dictBytes = mine[k].data
				k++
			}
			page := mine[k].data
			k++
			var dict func() (*Values, error)
			if dictBytes != nil {
				rb.dict.leaf, rb.dict.bytes = &c.leaf, dictBytes
				dict = rb.dictFn
			}
			n := len(p.out)
			err := rb.ps.open(&c.leaf, page, dict)
			ok := false
			if err == nil && c.hasKonst != nil && c.hasKonst[pl.p] {
				rb.ps.setConstant(c.konst[pl.p])
			}
			if err == nil {
				p.out, ok, err = rb.ps.appendRow(p.out, int(row-pl.first), own)
			}
			if err == nil && ok {
				continue
			}
			if err != nil && !errors.Is(err, errUnsupported) {
				p.err = fmt.Errorf("column %d: %w", c.leaf.col, err)
				return
			}
			p.out = p.out[:n]
		}
		// parquet-go reads what this decoder does not handle.
		cur := newPagesCursor(c.fc, ra)
		var err error
		p.out, err = cur.AppendRow(p.out, row)
		cur.Close()
		if err != nil {
			p.err = fmt.Errorf("column %d: %w", c.fc.Column(), err)
			return
		}
	}
	rb.dict.leaf, rb.dict.bytes = nil, nil
	rb.ps.dict, rb.ps.dictv = nil, nil
	p.starts[p.to-p.from] = len(p.out)
}

// recoverInto turns a panic on corrupt data (an index the bounds checks
// missed) into an error.
func recoverInto(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("corrupt data: %v", r)
	}
}

// pageOf is the page holding row, by the pages' first rows (-1 if none).
func pageOf(locs []format.PageLocation, row int64) int {
	return sort.Search(len(locs), func(k int) bool { return locs[k].FirstRowIndex > row }) - 1
}

// fetchScratch is fetch's bookkeeping, kept with the buffers it fills.
type fetchScratch struct {
	order []int
	reads []fetchRead
	bases []int64
}

type fetchRead struct{ off, end int64 }

// fetch reads the spans' bytes, coalescing ranges closer than maxGap into
// one read, into buf (reused when large enough).
func fetch(ra io.ReaderAt, spans []span, buf []byte, fs *fetchScratch) ([]byte, error) {
	if len(spans) == 0 {
		return buf, nil
	}
	order := grow(fs.order, len(spans))
	fs.order = order
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
	reads := fs.reads[:0]
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
		reads = append(reads, fetchRead{s.off, s.end})
		total += s.end - s.off
	}
	fs.reads = reads
	if int64(cap(buf)) < total {
		buf = make([]byte, total)
	}
	buf = buf[:total]
	at := int64(0)
	bases := grow(fs.bases, len(reads)) // offset in buf of each read
	fs.bases = bases
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
