package vparquet

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/parquet-go/parquet-go"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/bloom"
)

// Reader reads one block.
type Reader struct {
	be    *backend.Backend
	meta  *backend.BlockMeta
	codec Codec
	file  *parquet.File
	rgs   []parquet.RowGroup // converted to codec.ReadSchema
	// first and last trace ID of each row group, from the footer statistics.
	bounds [][2][]byte
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
	r = &Reader{be: be, meta: meta, codec: codec, file: file}
	read := codec.ReadSchema()
	var conv parquet.Conversion
	if !parquet.EqualNodes(read, file.Schema()) {
		if conv, err = parquet.Convert(read, file.Schema()); err != nil {
			return nil, fmt.Errorf("block %s/%s: schema does not match %s: %w", meta.TenantID, meta.BlockID, meta.Version, err)
		}
	}
	idCol, ok := file.Schema().Lookup("TraceID")
	if !ok {
		return nil, fmt.Errorf("block %s/%s: data.parquet has no TraceID column", meta.TenantID, meta.BlockID)
	}
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

// recoverInto turns a panic inside the parquet library (corrupt input) into
// an error naming the block, so one bad block never takes a process down.
func recoverInto(err *error, meta *backend.BlockMeta) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("block %s/%s: corrupt data: %v", meta.TenantID, meta.BlockID, p)
	}
}

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

// MayContain checks the bloom filter.
func (r *Reader) MayContain(ctx context.Context, id model.TraceID) (bool, error) {
	return MayContain(ctx, r.be, r.meta, id)
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

// FindTraceByID: bloom, then the row group whose ID range holds id, then a
// binary search of that row group's TraceID column.
func (r *Reader) FindTraceByID(ctx context.Context, id model.TraceID) (td ptrace.Traces, found bool, err error) {
	tr, found, err := r.FindRow(ctx, id)
	if err != nil || !found {
		return ptrace.Traces{}, false, err
	}
	return ToOTLP(tr, r.codec.Assignment()), true, nil
}

// FindRow is FindTraceByID returning the row.
func (r *Reader) FindRow(ctx context.Context, id model.TraceID) (tr *Trace, found bool, err error) {
	defer recoverInto(&err, r.meta)
	if ok, err := r.MayContain(ctx, id); err != nil || !ok {
		return nil, false, err
	}
	g := sort.Search(len(r.bounds), func(i int) bool { return bytes.Compare(r.bounds[i][1], id[:]) >= 0 })
	if g == len(r.bounds) || bytes.Compare(r.bounds[g][0], id[:]) > 0 {
		return nil, false, nil
	}
	row, ok, err := r.searchRowGroup(g, id)
	if err != nil || !ok {
		return nil, false, err
	}
	rows := r.rgs[g].Rows()
	defer rows.Close()
	if err := rows.SeekToRow(row); err != nil {
		return nil, false, err
	}
	buf := []parquet.Row{nil}
	if n, err := rows.ReadRows(buf); n != 1 {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, false, fmt.Errorf("block %s/%s: reading row %d: %w", r.meta.TenantID, r.meta.BlockID, row, err)
	}
	tr = new(Trace)
	if err := r.codec.Decode(buf[0], tr); err != nil {
		return nil, false, err
	}
	return tr, true, nil
}

// searchRowGroup finds the row index of id by reading only the TraceID column.
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
	col, _ := r.file.Schema().Lookup("TraceID")
	chunk := r.file.RowGroups()[g].ColumnChunks()[col.ColumnIndex]
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
