package vparquet

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"sync"

	"github.com/parquet-go/parquet-go"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/bloom"
	"github.com/tempoctl/tempoctl/storage/vparquet/rowread"
)

// Reader reads one block.
type Reader struct {
	be    *backend.Backend
	meta  *backend.BlockMeta
	codec Codec
	// codecs decode lookups' rows (a codec may keep state while decoding,
	// and lookups run concurrently). A free list rather than a sync.Pool:
	// a pool is emptied by garbage collections, and making a codec prunes
	// the whole schema again.
	codecs chan Codec
	format Format
	// extraValues is how many values converting a row to the read schema
	// may add (one per column the file lacks).
	extraValues int
	file        *parquet.File
	rgs         []parquet.RowGroup // converted to codec.ReadSchema
	conv        parquet.Conversion // file schema → codec.ReadSchema, nil when equal
	idCol       int                // leaf index of TraceID
	// first and last trace ID of each row group, from the footer statistics.
	bounds [][2][]byte

	// decoder decodes lookups' rows for OTLP output straight from the
	// file's schema; nil for blocks of other versions, decoded by the codec.
	decoder *rowDecoder

	// Single-row readers of the row groups, built on the first lookup:
	// whole rows, and rows without the columns OTLP output does not use.
	rowsWhole, rowsOTLP lookupRows

	// Bloom shards read so far (a lookup costs no bloom read after the
	// first in its shard).
	bloomMu sync.Mutex
	blooms  map[int][]byte
}

// Open opens the block's data.parquet (reading only its footer).
func Open(ctx context.Context, be *backend.Backend, meta *backend.BlockMeta, f Format) (r *Reader, err error) {
	defer recoverInto(&err, meta)
	codec, err := f.NewCodec(meta.DedicatedColumns)
	if err != nil {
		return nil, err
	}
	size := int64(meta.Size)
	if size == 0 {
		if size, err = be.ObjectSize(ctx, meta.TenantID, meta.BlockID, backend.DataName); err != nil {
			return nil, err
		}
	}
	ra := be.ReaderAt(ctx, meta.TenantID, meta.BlockID, backend.DataName, size)
	if err := checkFooter(ra, size); err != nil {
		return nil, fmt.Errorf("block %s/%s: data.parquet: %w", meta.TenantID, meta.BlockID, err)
	}
	file, err := parquet.OpenFile(ra, size, parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("block %s/%s: data.parquet: %w", meta.TenantID, meta.BlockID, err)
	}
	r = &Reader{be: be, meta: meta, codec: codec, file: file, blooms: map[int][]byte{},
		codecs: make(chan Codec, 2*runtime.GOMAXPROCS(0)), format: f}
	read := codec.ReadSchema()
	var conv parquet.Conversion
	if !parquet.EqualNodes(read, file.Schema()) {
		if conv, err = parquet.Convert(read, file.Schema()); err != nil {
			return nil, fmt.Errorf("block %s/%s: schema does not match %s: %w", meta.TenantID, meta.BlockID, meta.Version, err)
		}
		r.extraValues = max(len(read.Columns())-len(file.Schema().Columns()), 0)
	}
	r.conv = conv
	if meta.Version == backend.VersionVParquet5 {
		r.decoder = newRowDecoder(file.Schema())
	}
	idCol, ok := file.Schema().Lookup("TraceID")
	if !ok {
		return nil, fmt.Errorf("block %s/%s: data.parquet has no TraceID column", meta.TenantID, meta.BlockID)
	}
	r.idCol = idCol.ColumnIndex
	for _, rg := range file.RowGroups() {
		lo, hi, ok := rg.ColumnChunks()[idCol.ColumnIndex].(*parquet.FileColumnChunk).Bounds()
		if !ok {
			return nil, fmt.Errorf("block %s/%s: row group without TraceID statistics", meta.TenantID, meta.BlockID)
		}
		r.bounds = append(r.bounds, [2][]byte{lo.Clone().ByteArray(), hi.Clone().ByteArray()})
		if conv != nil {
			rg = parquet.ConvertRowGroup(rg, conv)
		}
		r.rgs = append(r.rgs, rg)
	}
	return r, nil
}

// Conversion is the file schema's conversion to the codec's read schema,
// nil when they are equal. Computed once per block (it costs about a
// millisecond) and safe for concurrent use.
func (r *Reader) Conversion() parquet.Conversion { return r.conv }

// recoverInto turns a panic inside the parquet library (corrupt input) into
// an error naming the block, so one bad block never takes a process down.
func recoverInto(err *error, meta *backend.BlockMeta) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("block %s/%s: corrupt data: %v", meta.TenantID, meta.BlockID, p)
	}
}

// DecodesFromFileSchema says whether lookups for OTLP decode rows straight
// from the file's schema (rowdecode.go) rather than through the codec.
func (r *Reader) DecodesFromFileSchema() bool { return r.decoder != nil }

// Meta is the block's meta.
func (r *Reader) Meta() *backend.BlockMeta { return r.meta }

// File is the parquet file (for inspection).
func (r *Reader) File() *parquet.File { return r.file }

// Assignment is the block's dedicated-column assignment.
func (r *Reader) Assignment() *Assignment { return r.codec.Assignment() }

// RowGroups is the number of row groups.
func (r *Reader) RowGroups() int { return len(r.rgs) }

// Close releases the reader.
func (r *Reader) Close() error { return nil }

// MayContain checks the bloom filter, reading each shard once.
func (r *Reader) MayContain(ctx context.Context, id model.TraceID) (bool, error) {
	shard := bloom.ShardFor(id[:], int(r.meta.BloomShardCount))
	r.bloomMu.Lock()
	b, ok := r.blooms[shard]
	r.bloomMu.Unlock()
	if !ok {
		var err error
		if b, err = r.be.ReadObject(ctx, r.meta.TenantID, r.meta.BlockID, backend.BloomName(shard)); err != nil {
			return false, err
		}
		r.bloomMu.Lock()
		r.blooms[shard] = b
		r.bloomMu.Unlock()
	}
	return bloom.Test(b, id[:])
}

// MayContain checks a block's bloom filter without opening its data: false
// means the block certainly does not hold id.
func MayContain(ctx context.Context, be *backend.Backend, meta *backend.BlockMeta, id model.TraceID) (bool, error) {
	shard := bloom.ShardFor(id[:], int(meta.BloomShardCount))
	b, err := be.ReadObject(ctx, meta.TenantID, meta.BlockID, backend.BloomName(shard))
	if err != nil {
		return false, err
	}
	return bloom.Test(b, id[:])
}

// FindTraceByID: bloom, then the row group whose ID range holds id, then
// the TraceID page whose statistics hold it, then the row's pages.
func (r *Reader) FindTraceByID(ctx context.Context, id model.TraceID) (td ptrace.Traces, found bool, err error) {
	if ok, err := r.MayContain(ctx, id); err != nil || !ok {
		return ptrace.Traces{}, false, err
	}
	return r.Lookup(ctx, id)
}

// Lookup is FindTraceByID without the bloom filter, for callers that test
// it themselves. It reads only the columns OTLP output uses.
func (r *Reader) Lookup(ctx context.Context, id model.TraceID) (td ptrace.Traces, found bool, err error) {
	tr, found, err := r.lookup(ctx, id, &r.rowsOTLP, otlpUnused, r.decoder)
	if err != nil || !found {
		return ptrace.Traces{}, false, err
	}
	td = ToOTLP(tr, r.codec.Assignment())
	if r.decoder != nil {
		freeTrace(tr) // decoded into a used trace, which OTLP does not keep
	}
	return td, true, nil
}

// FindRow is FindTraceByID returning the whole row.
func (r *Reader) FindRow(ctx context.Context, id model.TraceID) (tr *Trace, found bool, err error) {
	if ok, err := r.MayContain(ctx, id); err != nil || !ok {
		return nil, false, err
	}
	return r.LookupRow(ctx, id)
}

// LookupRow is FindRow without the bloom filter.
func (r *Reader) LookupRow(ctx context.Context, id model.TraceID) (tr *Trace, found bool, err error) {
	return r.lookup(ctx, id, &r.rowsWhole, nil, nil)
}

// lookupRows are a block's single-row readers for one set of columns.
type lookupRows struct {
	once sync.Once
	rgs  []*rowread.RowGroup
	err  error
}

// otlpUnused are the columns ToOTLP does not read (derived or search-only
// data): a lookup for OTLP output leaves them unread.
func otlpUnused(path []string) bool {
	var logical []string // vParquet4's LIST wrappers left out
	for i, p := range path {
		if (p == "list" || p == "element") && i > 0 {
			continue
		}
		logical = append(logical, p)
	}
	switch logical[0] {
	case "TraceIDText", "StartTimeUnixNano", "EndTimeUnixNano", "DurationNano", "RootServiceName", "RootSpanName", "ServiceStats":
		return true
	}
	if len(logical) == 3 && logical[0] == "rs" && logical[1] == "ss" && logical[2] == "SpanCount" {
		return true
	}
	if len(logical) == 4 && logical[0] == "rs" && logical[1] == "ss" && logical[2] == "Spans" {
		switch logical[3] {
		case "ParentID", "NestedSetLeft", "NestedSetRight", "ChildCount",
			"StartTimeRounded15", "StartTimeRounded60", "StartTimeRounded300", "StartTimeRounded3600":
			return true
		}
	}
	return false
}

// lookup finds and decodes id's row; dec, when not nil, decodes it from
// the file's schema (a trace for OTLP output only), else the codec does.
func (r *Reader) lookup(ctx context.Context, id model.TraceID, rows *lookupRows, skip func([]string) bool, dec *rowDecoder) (tr *Trace, found bool, err error) {
	defer recoverInto(&err, r.meta)
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	g := sort.Search(len(r.bounds), func(i int) bool { return bytes.Compare(r.bounds[i][1], id[:]) >= 0 })
	if g == len(r.bounds) || bytes.Compare(r.bounds[g][0], id[:]) > 0 {
		return nil, false, nil
	}
	rgs, err := r.rowGroups(rows, skip)
	if err != nil {
		return nil, false, err
	}
	rg := rgs[g]
	row, ok, err := rg.FindSorted(r.file, r.idCol, id[:])
	if errors.Is(err, rowread.ErrNoPageIndex) {
		row, ok, err = r.searchRowGroup(g, id)
	}
	if err != nil {
		return nil, false, r.errorf("row group %d: finding %s: %w", g, id, err)
	}
	if !ok {
		return nil, false, nil
	}
	// The row is read into reused memory: decoding copies what the trace
	// keeps, and a conversion to the read schema appends to the row in
	// place (one value per column the file lacks), so a lookup allocates
	// little besides the trace.
	extra := r.extraValues
	if dec != nil {
		extra = 0
	}
	shared, err := rg.ReadRowShared(r.file, row, r.idCol, id[:], extra)
	if err != nil {
		return nil, false, r.errorf("row group %d: reading row %d: %w", g, row, err)
	}
	defer shared.Release()
	if dec != nil {
		tr = newTrace()
		dec.decode(shared.Values, tr)
		return tr, true, nil
	}
	if tr, err = r.decodeShared(shared); err != nil {
		return nil, false, r.errorf("row %d: %w", row, err)
	}
	return tr, true, nil
}

// rowGroups returns the single-row readers of rows, building them once.
func (r *Reader) rowGroups(rows *lookupRows, skip func([]string) bool) ([]*rowread.RowGroup, error) {
	rows.once.Do(func() {
		for g := range r.rgs {
			rg, err := rowread.NewRowGroup(r.file, g, skip)
			if err != nil {
				rows.err = err
				return
			}
			rows.rgs = append(rows.rgs, rg)
		}
	})
	if rows.err != nil {
		return nil, r.errorf("%w", rows.err)
	}
	return rows.rgs, nil
}

// readRow reads and decodes one row of row group g.
func (r *Reader) readRow(rg *rowread.RowGroup, g int, row int64, ra io.ReaderAt) (*Trace, error) {
	values, err := rg.ReadRow(ra, row)
	if err != nil {
		return nil, r.errorf("row group %d: reading row %d: %w", g, row, err)
	}
	tr, err := r.DecodeRow(values)
	if err != nil {
		return nil, r.errorf("row %d: %w", row, err)
	}
	return tr, nil
}

// DecodeRow decodes a row as read from the file (its schema, not the
// codec's). Safe for concurrent use.
func (r *Reader) DecodeRow(values parquet.Row) (tr *Trace, err error) {
	defer recoverInto(&err, r.meta)
	rows := []parquet.Row{values}
	if r.conv != nil {
		if _, err := r.conv.Convert(rows); err != nil {
			return nil, fmt.Errorf("converting: %w", err)
		}
	}
	return r.decode(rows[0])
}

// decodeShared is DecodeRow of a row in reused memory, converted in place
// (the row keeps the longer slice should the conversion outgrow it).
func (r *Reader) decodeShared(row *rowread.Row) (tr *Trace, err error) {
	defer recoverInto(&err, r.meta)
	if r.conv != nil {
		rows := [1]parquet.Row{row.Values}
		_, err := r.conv.Convert(rows[:])
		row.Values = rows[0]
		if err != nil {
			return nil, fmt.Errorf("converting: %w", err)
		}
	}
	return r.decode(row.Values)
}

// decode decodes a row of the codec's read schema with a codec of the
// free list's.
func (r *Reader) decode(values parquet.Row) (*Trace, error) {
	codec := r.getCodec()
	defer r.putCodec(codec)
	tr := new(Trace)
	if err := codec.Decode(values, tr); err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	return tr, nil
}

// getCodec takes a codec from the free list, or makes one.
func (r *Reader) getCodec() Codec {
	select {
	case c := <-r.codecs:
		return c
	default:
		c, _ := r.format.NewCodec(r.meta.DedicatedColumns) // the same call succeeded in Open
		return c
	}
}

// putCodec returns a codec to the free list (dropped when it is full).
func (r *Reader) putCodec(c Codec) {
	select {
	case r.codecs <- c:
	default:
	}
}

// RowAt reads row `row` of row group g whole, through ra (nil: the file),
// reading only the row's pages.
func (r *Reader) RowAt(g int, row int64, ra io.ReaderAt) (tr *Trace, err error) {
	defer recoverInto(&err, r.meta)
	if g < 0 || g >= len(r.rgs) || row < 0 || row >= r.rgs[g].NumRows() {
		return nil, r.errorf("no row %d in row group %d", row, g)
	}
	rgs, err := r.rowGroups(&r.rowsWhole, nil)
	if err != nil {
		return nil, err
	}
	if ra == nil {
		ra = r.file
	}
	return r.readRow(rgs[g], g, row, ra)
}

func (r *Reader) errorf(format string, args ...any) error {
	return fmt.Errorf("block %s/%s: "+format, append([]any{r.meta.TenantID, r.meta.BlockID}, args...)...)
}

// searchRowGroup finds the row index of id by reading the whole TraceID
// column (files without a page index).
func (r *Reader) searchRowGroup(g int, id model.TraceID) (int64, bool, error) {
	ids, err := r.traceIDs(g)
	if err != nil {
		return 0, false, err
	}
	i := sort.Search(len(ids), func(i int) bool { return bytes.Compare(ids[i], id[:]) >= 0 })
	if i < len(ids) && bytes.Equal(ids[i], id[:]) {
		return int64(i), true, nil
	}
	return 0, false, nil
}

// traceIDs reads row group g's TraceID column.
func (r *Reader) traceIDs(g int) ([][]byte, error) {
	chunk := r.file.RowGroups()[g].ColumnChunks()[r.idCol]
	pages := chunk.Pages()
	defer pages.Close()
	ids := make([][]byte, 0, chunk.NumValues())
	vals := make([]parquet.Value, 256)
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return ids, nil
		}
		if err != nil {
			return nil, err
		}
		vr := p.Values()
		for {
			n, err := vr.ReadValues(vals)
			for _, v := range vals[:n] {
				ids = append(ids, bytes.Clone(v.ByteArray()))
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				parquet.Release(p)
				return nil, err
			}
		}
		parquet.Release(p)
	}
}

// IterateRows calls fn for every row in ID order. The row is reused: it is
// valid only during the call.
func (r *Reader) IterateRows(ctx context.Context, fn func(tr *Trace) error) (err error) {
	defer recoverInto(&err, r.meta)
	var tr Trace
	buf := make([]parquet.Row, 32)
	for _, rg := range r.rgs {
		if err := r.iterateRowGroup(ctx, rg, buf, &tr, fn); err != nil {
			return err
		}
	}
	return nil
}

func (r *Reader) iterateRowGroup(ctx context.Context, rg parquet.RowGroup, buf []parquet.Row, tr *Trace, fn func(*Trace) error) error {
	rows := rg.Rows()
	defer rows.Close()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := rows.ReadRows(buf)
		for _, row := range buf[:n] {
			if derr := r.codec.Decode(row, tr); derr != nil {
				return derr
			}
			if ferr := fn(tr); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("block %s/%s: %w", r.meta.TenantID, r.meta.BlockID, err)
		}
	}
}

// Iterate calls fn with every trace as OTLP, in ID order.
func (r *Reader) Iterate(ctx context.Context, fn func(id model.TraceID, td ptrace.Traces) error) error {
	a := r.codec.Assignment()
	return r.IterateRows(ctx, func(tr *Trace) error {
		return fn(model.TraceIDFromBytes(tr.TraceID), ToOTLP(tr, a))
	})
}

// checkFooter validates the parquet trailer before the library trusts it: a
// corrupt footer length must be an error, not a giant read.
func checkFooter(ra io.ReaderAt, size int64) error {
	if size < 12 {
		return fmt.Errorf("%d bytes is too small for a parquet file", size)
	}
	var tail [8]byte
	if _, err := ra.ReadAt(tail[:], size-8); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if string(tail[4:]) != "PAR1" {
		return errors.New("no parquet magic at the end of the file")
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n <= 0 || n > size-12 {
		return fmt.Errorf("footer length %d does not fit in a %d-byte file", n, size)
	}
	return nil
}
