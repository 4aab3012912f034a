package search

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/vparquet"
	"github.com/tempoctl/tempoctl/storage/vparquet/rowread"
	"github.com/tempoctl/tempoctl/storage/vparquet4"
	"github.com/tempoctl/tempoctl/storage/vparquet5"
	"github.com/tempoctl/tempoctl/traceql"
)

// Stats describe the work a Fetcher did; they feed the search response's
// metrics block.
type Stats struct {
	Blocks          int    // blocks given
	BlocksPruned    int    // skipped by their meta time range
	RowGroups       int    // row groups of the blocks not pruned
	RowGroupsPruned int    // skipped by statistics or dictionaries
	InspectedTraces uint64 // rows of the row groups whose columns were read
	DecodedTraces   uint64 // rows fully decoded (candidates)
	InspectedBytes  uint64 // bytes read from data.parquet (pages, dictionaries)
}

// Fetcher is a traceql.Fetcher over vParquet blocks. It prunes blocks by
// their meta time range and row groups by column statistics and
// dictionaries, reads only the columns of the pushed-down conditions to
// find candidate rows, and decodes only those rows.
type Fetcher struct {
	readers []*vparquet.Reader
	// fullRows decodes candidate rows whole even when the request names
	// every attribute it needs (tests compare both second passes).
	fullRows bool
	// rgFrom and rgTo limit each block to row groups [rgFrom, rgTo) (a
	// query frontend's shard of a large block); rgTo 0 = to the end.
	rgFrom, rgTo int

	blocks, blocksPruned, rowGroups, rowGroupsPruned atomic.Int64
	inspected, decoded, bytes                        atomic.Int64
}

// NewFetcher searches the given blocks in order.
func NewFetcher(readers ...*vparquet.Reader) *Fetcher {
	return &Fetcher{readers: readers}
}

// RowGroups limits the search of each block to count row groups from
// start (count <= 0: to the last), so one large block can be split into
// jobs. It returns f.
func (f *Fetcher) RowGroups(start, count int) *Fetcher {
	f.rgFrom, f.rgTo = max(start, 0), 0
	if count > 0 {
		f.rgTo = f.rgFrom + count
	}
	return f
}

// Stats returns the counters so far.
func (f *Fetcher) Stats() Stats {
	return Stats{
		Blocks:          int(f.blocks.Load()),
		BlocksPruned:    int(f.blocksPruned.Load()),
		RowGroups:       int(f.rowGroups.Load()),
		RowGroupsPruned: int(f.rowGroupsPruned.Load()),
		InspectedTraces: uint64(f.inspected.Load()),
		DecodedTraces:   uint64(f.decoded.Load()),
		InspectedBytes:  uint64(f.bytes.Load()),
	}
}

// Fetch implements traceql.Fetcher.
func (f *Fetcher) Fetch(_ context.Context, req traceql.FetchRequest) (traceql.SpansetIterator, error) {
	return &iterator{f: f, req: req}, nil
}

type iterator struct {
	f   *Fetcher
	req traceql.FetchRequest
	bi  int
	blk *blockSearch
}

func (it *iterator) Close() {
	if it.blk != nil {
		it.blk.close()
		it.blk = nil
	}
}

func (it *iterator) Next(ctx context.Context) (*traceql.Spanset, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if it.blk == nil {
			if it.bi >= len(it.f.readers) {
				return nil, nil
			}
			r := it.f.readers[it.bi]
			it.bi++
			it.f.blocks.Add(1)
			if !overlaps(r.Meta(), it.req) {
				it.f.blocksPruned.Add(1)
				continue
			}
			b, err := newBlockSearch(it.f, r, it.req)
			if err != nil {
				return nil, err
			}
			it.blk = b
		}
		ss, err := it.blk.next(ctx)
		if err != nil {
			it.Close()
			return nil, err
		}
		if ss != nil {
			return ss, nil
		}
		it.blk.close()
		it.blk = nil
	}
}

// overlaps checks the block's meta time range (whole seconds, so a second of
// slack either way) against the request.
func overlaps(m *backend.BlockMeta, req traceql.FetchRequest) bool {
	if req.EndTimeUnixNanos != 0 && !m.StartTime.IsZero() &&
		uint64(m.StartTime.Add(-time.Second).UnixNano()) > req.EndTimeUnixNanos {
		return false
	}
	if req.StartTimeUnixNanos != 0 && !m.EndTime.IsZero() &&
		uint64(m.EndTime.Add(time.Second).UnixNano()) < req.StartTimeUnixNanos {
		return false
	}
	return true
}

// formatOf picks the block's format by meta.json's "format".
func formatOf(version string) (vparquet.Format, error) {
	switch version {
	case "", backend.VersionVParquet5:
		return vparquet5.Format, nil
	case backend.VersionVParquet4:
		return vparquet4.Format, nil
	}
	return nil, fmt.Errorf("unsupported block format %q", version)
}

// blockSearch walks one block's row groups.
type blockSearch struct {
	f      *Fetcher
	r      *vparquet.Reader
	req    traceql.FetchRequest
	codec  vparquet.Codec
	conv   parquet.Conversion
	v4     bool
	preds  []*pred
	live   [][]bool
	all    bool // every span is a candidate (no usable condition)
	ra     countingReaderAt
	nbytes int64

	start, end *column // trace time columns

	rg    int
	rgEnd int     // row groups [rg, rgEnd) are searched
	scan  *rgScan // first pass over the current row group
	cands []int32
	ci    int
	rr    *rowread.Reader // candidate rows of the current row group
	batch []parquet.Row   // read ahead, not yet decoded
	plan  *asmPlan        // second pass from chosen columns; nil: whole rows
	asm   *assembler

	// Whole rows of partial ones, read on demand: by cursors while the
	// search is in their row group and they come in order, else alone.
	wmu    sync.Mutex
	wrr    *rowread.Reader
	wnext  int32 // rows before this are behind wrr
	closed bool
}

func newBlockSearch(f *Fetcher, r *vparquet.Reader, req traceql.FetchRequest) (*blockSearch, error) {
	meta := r.Meta()
	format, err := formatOf(meta.Version)
	if err != nil {
		return nil, fmt.Errorf("block %s/%s: %w", meta.TenantID, meta.BlockID, err)
	}
	codec, err := format.NewCodec(meta.DedicatedColumns)
	if err != nil {
		return nil, fmt.Errorf("block %s/%s: %w", meta.TenantID, meta.BlockID, err)
	}
	file := r.File()
	b := &blockSearch{f: f, r: r, req: req, codec: codec, v4: meta.Version == backend.VersionVParquet4}
	b.ra = countingReaderAt{ra: file, n: &b.nbytes}
	b.conv = r.Conversion() // the reader's, computed once per block
	si := &schemaInfo{schema: file.Schema(), a: r.Assignment(), v4: b.v4}
	b.start, b.end = si.col("StartTimeUnixNano"), si.col("EndTimeUnixNano")
	hasNone := false
	for _, c := range req.Conditions {
		if c.Op == traceql.OpNone {
			hasNone = true
			continue
		}
		p := si.compile(c)
		if p.unknown && !req.AllConditions {
			hasNone = true // can't tell: every trace may match
			continue
		}
		if p.unknown {
			continue // ignored in a conjunction: true for pruning purposes
		}
		b.preds = append(b.preds, p)
		b.live = append(b.live, make([]bool, len(p.values)+len(p.attrs)))
	}
	if !f.fullRows {
		b.plan = newAsmPlan(si, req)
	}
	b.all = len(req.Conditions) == 0 || len(b.preds) == 0 || (!req.AllConditions && hasNone)
	if b.all {
		b.preds, b.live = nil, nil
	}
	n := len(file.RowGroups())
	b.rg, b.rgEnd = min(f.rgFrom, n), n
	if f.rgTo > 0 {
		b.rgEnd = min(f.rgTo, n)
	}
	f.rowGroups.Add(int64(b.rgEnd - b.rg))
	return b, nil
}

func (b *blockSearch) close() {
	b.endRowGroup()
	b.flushBytes()
	b.wmu.Lock()
	b.closed = true
	b.wmu.Unlock()
}

func (b *blockSearch) endRowGroup() {
	if b.scan != nil {
		b.scan.cr.close()
	}
	b.scan = nil
	b.wmu.Lock()
	if b.wrr != nil {
		b.wrr.Close()
		b.wrr = nil
	}
	b.wmu.Unlock()
	if b.rr != nil {
		b.rr.Close()
		b.rr = nil
	}
	if b.asm != nil {
		b.asm.close()
		b.asm = nil
	}
	b.batch = nil
}

func (b *blockSearch) flushBytes() {
	if b.nbytes != 0 {
		b.f.bytes.Add(b.nbytes)
		b.nbytes = 0
	}
}

// next returns the next candidate trace of the block, nil at its end. A
// panic inside the parquet library (corrupt pages) becomes an error naming
// the block, so one bad block never takes a server down.
func (b *blockSearch) next(ctx context.Context) (ss *traceql.Spanset, err error) {
	defer func() {
		if p := recover(); p != nil {
			m := b.r.Meta()
			ss, err = nil, fmt.Errorf("block %s/%s: corrupt data: %v", m.TenantID, m.BlockID, p)
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if b.ci < len(b.cands) {
			row := b.cands[b.ci]
			ss, err := b.decode(b.ci)
			b.ci++
			if err != nil {
				return nil, fmt.Errorf("row %d: %w", row, err)
			}
			if ss != nil {
				return ss, nil
			}
			continue
		}
		if b.scan == nil || b.scan.next >= b.scan.nrows {
			b.endRowGroup()
			b.flushBytes()
			if b.rg >= b.rgEnd {
				return nil, nil
			}
			g := b.rg
			b.rg++
			st, err := b.startRowGroup(g)
			if err != nil {
				m := b.r.Meta()
				return nil, fmt.Errorf("block %s/%s row group %d: %w", m.TenantID, m.BlockID, g, err)
			}
			b.scan, b.cands, b.ci = st, nil, 0
			if st == nil {
				continue // pruned
			}
		}
		cands, err := b.candidates(b.scan)
		if err != nil {
			m := b.r.Meta()
			return nil, fmt.Errorf("block %s/%s row group %d: %w", m.TenantID, m.BlockID, b.scan.g, err)
		}
		b.cands, b.ci = cands, 0
	}
}

// rgScan is the first pass's progress through one row group. The rows are
// scanned in chunks growing eightfold: the first, small one is often all a
// search that stops at its limit needs; a selective search pays a page
// decoded twice per column at each of the few chunk boundaries.
type rgScan struct {
	g      int
	cr     *chunkReader
	nrows  int32
	next   int32 // first row of the next chunk
	chunks int   // chunks scanned
	whole  bool  // every trace is in the time range
}

// firstChunk is the size of a row group's first chunk of rows (a variable
// for tests).
var firstChunk int32 = 512

// startRowGroup prunes row group g by its statistics and dictionaries; nil
// when nothing in it can match.
func (b *blockSearch) startRowGroup(g int) (*rgScan, error) {
	file := b.r.File()
	rg := file.RowGroups()[g]
	st := &rgScan{g: g, nrows: int32(rg.NumRows()), whole: true,
		cr: &chunkReader{meta: &file.Metadata().RowGroups[g], ra: b.ra, chunks: rg.ColumnChunks()}}
	if b.req.StartTimeUnixNanos != 0 || b.req.EndTimeUnixNanos != 0 {
		keep, whole, err := b.timeFilter(st.cr)
		if err != nil {
			return nil, err
		}
		if !keep {
			b.f.rowGroupsPruned.Add(1)
			return nil, nil
		}
		st.whole = whole
	}
	for i, p := range b.preds {
		ok, err := p.prepare(st.cr, b.live[i])
		if err != nil {
			return nil, err
		}
		if !ok && b.req.AllConditions {
			b.f.rowGroupsPruned.Add(1)
			return nil, nil
		}
	}
	if !b.all && !b.req.AllConditions {
		anyLive := false
		for _, l := range b.live {
			for _, x := range l {
				anyLive = anyLive || x
			}
		}
		if !anyLive {
			b.f.rowGroupsPruned.Add(1)
			return nil, nil
		}
	}
	return st, nil
}

// candidates runs the first pass over the next chunk of rows of the row
// group: the trace time columns, then the condition columns. It returns
// the rows that may match, ascending.
func (b *blockSearch) candidates(st *rgScan) ([]int32, error) {
	from := st.next
	size := firstChunk << (3 * min(st.chunks, 8))
	to := min(st.nrows, from+size)
	if st.nrows-to < size/2 {
		to = st.nrows // no small tail
	}
	st.next = to
	st.chunks++
	cr := st.cr
	cr.from, cr.to, cr.skel, cr.only = from, to, nil, nil

	var inRange *bitset
	if !st.whole {
		inRange = &bitset{}
		if err := b.scanTimes(cr, inRange); err != nil {
			return nil, err
		}
		if inRange.empty() {
			return nil, nil // no trace of the chunk is in the time range
		}
		cr.only = inRange // the condition columns are read for these rows only
	}
	b.f.inspected.Add(int64(to - from))

	var out []int32
	keepRow := func(r int32) bool { return inRange == nil || inRange.has(r) }
	if b.all {
		for r := from; r < to; r++ {
			if keepRow(r) {
				out = append(out, r)
			}
		}
		return out, nil
	}

	deepest := levelRow
	masks := make([]uint8, len(b.preds))
	for i, p := range b.preds {
		var d int
		masks[i], d = p.levels()
		deepest = max(deepest, d)
	}
	var sk *skeleton
	if b.req.AllConditions && deepest > levelRow {
		sk = &skeleton{level: deepest}
		cr.skel = sk
	}
	for i, p := range b.preds {
		if err := p.eval(cr, b.live[i]); err != nil {
			return nil, err
		}
	}
	rows := &bitset{}
	switch {
	case !b.req.AllConditions:
		for _, p := range b.preds {
			for r := from; r < to; r++ {
				if p.rows.has(r) {
					rows.set(r)
				}
			}
		}
	case sk == nil:
		for r := from; r < to; r++ {
			all := true
			for _, p := range b.preds {
				all = all && p.rows.has(r)
			}
			if all {
				rows.set(r)
			}
		}
	default:
		if !sk.filled {
			si := &schemaInfo{schema: b.r.File().Schema()}
			c := si.col(skeletonColumns[sk.level]...)
			if c == nil {
				return nil, errors.New("cannot read the span structure")
			}
			if err := cr.scan(c, func(*cursor, parquet.Value, int32) {}); err != nil {
				return nil, err
			}
		}
		for o := range sk.rowOf {
			all := true
			for i, p := range b.preds {
				if !p.holdsAt(sk, int32(o), masks[i]) {
					all = false
					break
				}
			}
			if all {
				rows.set(sk.rowOf[o])
			}
		}
	}
	for r := from; r < to; r++ {
		if rows.has(r) && keepRow(r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// timeFilter checks the row group's trace start/end statistics: keep is
// false when no trace can overlap the range, whole when every trace does.
func (b *blockSearch) timeFilter(cr *chunkReader) (keep, whole bool, err error) {
	if b.start == nil || b.end == nil {
		return true, true, nil
	}
	slo, shi, ok1 := cr.bounds(b.start)
	elo, ehi, ok2 := cr.bounds(b.end)
	if !ok1 || !ok2 {
		return true, false, nil
	}
	s, e := b.req.StartTimeUnixNanos, b.req.EndTimeUnixNanos
	if e != 0 && slo.Uint64() > e || s != 0 && ehi.Uint64() < s {
		return false, false, nil
	}
	whole = (e == 0 || shi.Uint64() <= e) && (s == 0 || elo.Uint64() >= s)
	return true, whole, nil
}

func (b *blockSearch) scanTimes(cr *chunkReader, out *bitset) error {
	var starts []uint64 // of rows cr.from…
	if err := cr.scan(b.start, func(_ *cursor, v parquet.Value, _ int32) { starts = append(starts, v.Uint64()) }); err != nil {
		return err
	}
	s, e := b.req.StartTimeUnixNanos, b.req.EndTimeUnixNanos
	return cr.scan(b.end, func(cu *cursor, v parquet.Value, _ int32) {
		r := cu.row
		if i := int(r - cr.from); i >= 0 && i < len(starts) && (e == 0 || starts[i] <= e) && (s == 0 || v.Uint64() >= s) {
			out.set(r)
		}
	})
}

// decodeBatch is how many candidate rows are read ahead together.
const decodeBatch = 8

// decode reads candidate i of the current row group whole, and returns its
// spans that pass the pushed-down conditions (nil when none does).
func (b *blockSearch) decode(i int) (*traceql.Spanset, error) {
	if b.plan != nil {
		if b.asm == nil {
			asm, err := b.plan.newAssembler(b.r.File().RowGroups()[b.rg-1], b.ra)
			if err != nil {
				return nil, err
			}
			b.asm = asm
		}
		tr, err := b.asm.read(int64(b.cands[i]))
		if err != nil {
			return nil, err
		}
		ss := b.spans(tr)
		if ss != nil && len(ss.Spans) > 0 {
			// Whoever asks a span for more than the query named (tag
			// lookups, a caller's own use) gets the whole row read then.
			g, row := b.rg-1, b.cands[i]
			ss.Spans[0].(*span).t.partial = &partialRow{has: b.plan.has, load: func() (*vparquet.Trace, error) {
				return b.wholeRow(g, row)
			}}
		}
		return ss, nil
	}
	if b.rr == nil {
		rr, err := rowread.NewReader(b.r.File().RowGroups()[b.rg-1], b.ra)
		if err != nil {
			return nil, err
		}
		b.rr = rr
	}
	if len(b.batch) == 0 {
		rows, err := b.rr.Read(b.cands[i:min(i+decodeBatch, len(b.cands))])
		if err != nil {
			return nil, err
		}
		if b.conv != nil {
			if _, err := b.conv.Convert(rows); err != nil {
				return nil, fmt.Errorf("converting rows: %w", err)
			}
		}
		b.batch = rows
	}
	row := b.batch[0]
	b.batch = b.batch[1:]
	tr := new(vparquet.Trace)
	if err := b.codec.Decode(row, tr); err != nil {
		return nil, err
	}
	return b.spans(tr), nil
}

// spans turns a decoded row into the spanset of the spans that pass the
// pushed-down conditions (nil when none does).
func (b *blockSearch) spans(tr *vparquet.Trace) *traceql.Spanset {
	b.f.decoded.Add(1)
	ss := newSpanset(tr, b.r.Assignment(), b.v4)
	if len(b.req.Conditions) > 0 {
		kept := ss.Spans[:0]
		for _, s := range ss.Spans {
			if keep(b.req, s) {
				kept = append(kept, s)
			}
		}
		ss.Spans = kept
	}
	if len(ss.Spans) == 0 {
		return nil
	}
	return ss
}

// wholeRow reads row of row group g whole: on from the rows read so far
// while the search is in that row group (a query naming nothing, such as
// {} | select(x), asks for every candidate's whole row in turn), else alone.
func (b *blockSearch) wholeRow(g int, row int32) (*vparquet.Trace, error) {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	if b.closed || g != b.rg-1 || b.wrr != nil && row < b.wnext {
		return readWholeRow(b.r, g, row, &b.f.bytes)
	}
	if b.wrr == nil {
		rr, err := rowread.NewReader(b.r.File().RowGroups()[g], sharedCountingReaderAt{ra: b.r.File(), n: &b.f.bytes})
		if err != nil {
			return nil, err
		}
		b.wrr = rr
	}
	rows, err := b.wrr.Read([]int32{row})
	if err != nil {
		return nil, err
	}
	b.wnext = row + 1
	return b.r.DecodeRow(rows[0])
}

// readWholeRow decodes one row of row group g whole, reading only its
// pages (it may run after the search, from whoever holds the spans).
func readWholeRow(r *vparquet.Reader, g int, row int32, bytes *atomic.Int64) (*vparquet.Trace, error) {
	return r.RowAt(g, int64(row), sharedCountingReaderAt{ra: r.File(), n: bytes})
}

// keep applies the pushed-down conditions as the FetchRequest contract
// allows (the engine evaluates the whole query again).
func keep(req traceql.FetchRequest, s traceql.Span) bool {
	conds := req.Conditions
	if req.AllConditions {
		for i := range conds {
			if !conds[i].MatchValue(s.AttributeFor(conds[i].Attribute)) {
				return false
			}
		}
		return true
	}
	for i := range conds {
		if conds[i].Op == traceql.OpNone || conds[i].MatchValue(s.AttributeFor(conds[i].Attribute)) {
			return true
		}
	}
	return false
}
