package vparquet

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"github.com/parquet-go/parquet-go"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/bloom"
)

// Defaults for block writing (Tempo's but for the page size).
const (
	DefaultRowGroupSizeBytes = 100_000_000
	// pageBufferSize is a quarter of Tempo's 256 KiB: a trace lookup
	// decompresses the row's page in every column, so smaller pages halve
	// its cost (and a search's bytes) for ~0.7 % more bytes per span.
	// Readers, Tempo's included, take any page size.
	pageBufferSize = 64 * 1024
	batchRows      = 64 // rows handed to parquet-go at once
)

// WriterConfig configures one block.
type WriterConfig struct {
	Tenant              string
	BlockID             uuid.UUID // zero: a new random ID
	DedicatedColumns    backend.DedicatedColumns
	RowGroupSizeBytes   int
	BloomFP             float64
	BloomShardSizeBytes int
	CompactionLevel     uint32
	ReplicationFactor   uint32
	// PageSizeBytes is the page buffer size (0: 64 KiB).
	PageSizeBytes int
	// TempDir holds data.parquet while it is written ("" = os.TempDir()).
	TempDir string
	// KeepDataIn, when set, keeps a copy of the flushed data.parquet at
	// KeepDataIn/<tenant>/<block>/data.parquet (a local backend's layout):
	// the written file is moved there after the upload. The file is then
	// written in KeepDataIn, so the move is a rename.
	KeepDataIn string
}

// Writer writes one block; traces must come in ascending ID order.
type Writer struct {
	be    *backend.Backend
	f     Format
	cfg   WriterConfig
	codec Codec
	meta  backend.BlockMeta

	tmp      *os.File
	pw       RowWriter
	batch    []Trace // rows not yet handed to pw
	nbatch   int
	ids      [][16]byte
	rgLast   []model.TraceID
	last     model.TraceID
	rgBytes  int
	inRG     int
	written  uint64
	start    uint64
	end      uint64
	closed   bool
	kept     bool // data.parquet moved under KeepDataIn
	sizeCalc ptrace.ProtoMarshaler
	wire     *WireBuilder // made on first AddParts
}

// NewWriter starts a block.
func NewWriter(be *backend.Backend, f Format, cfg WriterConfig) (*Writer, error) {
	if err := Validate(cfg.DedicatedColumns); err != nil {
		return nil, err
	}
	dc := Filter(cfg.DedicatedColumns, f.Limits())
	codec, err := f.NewCodec(dc)
	if err != nil {
		return nil, err
	}
	if cfg.BlockID == uuid.Nil {
		cfg.BlockID = uuid.New()
	}
	if cfg.RowGroupSizeBytes <= 0 {
		cfg.RowGroupSizeBytes = DefaultRowGroupSizeBytes
	}
	if cfg.PageSizeBytes <= 0 {
		cfg.PageSizeBytes = pageBufferSize
	}
	if cfg.KeepDataIn != "" {
		if err := os.MkdirAll(cfg.KeepDataIn, 0o755); err != nil {
			return nil, fmt.Errorf("block writer: %w", err)
		}
		cfg.TempDir = cfg.KeepDataIn
	}
	tmp, err := os.CreateTemp(cfg.TempDir, "tempoctl-block-*.parquet")
	if err != nil {
		return nil, fmt.Errorf("block writer: %w", err)
	}
	opts := append([]parquet.WriterOption{
		parquet.PageBufferSize(cfg.PageSizeBytes),
		parquet.DataPageVersion(2),
		parquet.DataPageStatistics(true),
		parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.DeltaLengthByteArray),
		parquet.CreatedBy("github.com/tempoctl/tempoctl", "", ""),
	}, codec.WriterOptions()...)
	w := &Writer{
		be: be, f: f, cfg: cfg, codec: codec, tmp: tmp,
		pw:    codec.NewRowWriter(tmp, opts...),
		batch: make([]Trace, batchRows),
		meta: backend.BlockMeta{
			Version:           f.Version(),
			BlockID:           cfg.BlockID,
			TenantID:          cfg.Tenant,
			CompactionLevel:   cfg.CompactionLevel,
			DedicatedColumns:  dc,
			ReplicationFactor: cfg.ReplicationFactor,
		},
	}
	return w, nil
}

// BlockID is the ID of the block being written.
func (w *Writer) BlockID() uuid.UUID { return w.cfg.BlockID }

// Add appends one whole trace.
func (w *Writer) Add(ctx context.Context, id model.TraceID, td ptrace.Traces) error {
	if w.closed {
		return errors.New("block writer: closed")
	}
	if len(w.ids) > 0 && id.Compare(w.last) <= 0 {
		return fmt.Errorf("block writer: trace %s added after %s (IDs must ascend)", id, w.last)
	}
	tr := &w.batch[w.nbatch]
	FromOTLP(id, td, w.codec.Assignment(), tr)
	return w.addRow(id, tr, w.sizeCalc.TracesSize(td))
}

// AddParts appends one whole trace given as spans in OTLP wire form, built
// into a row without decoding to pdata first (the ingester's flush path).
// The parts' batches must stay unmodified until Close returns.
func (w *Writer) AddParts(ctx context.Context, id model.TraceID, parts []otlpwire.Part) error {
	if w.closed {
		return errors.New("block writer: closed")
	}
	if len(w.ids) > 0 && id.Compare(w.last) <= 0 {
		return fmt.Errorf("block writer: trace %s added after %s (IDs must ascend)", id, w.last)
	}
	if w.wire == nil {
		w.wire = NewWireBuilder(w.codec.Assignment())
	}
	tr := &w.batch[w.nbatch]
	size := w.wire.Build(id, parts, tr)
	return w.addRow(id, tr, size)
}

// AddRow appends a row already in the row model (size is its estimated bytes).
func (w *Writer) AddRow(ctx context.Context, tr *Trace, size int) error {
	id := model.TraceIDFromBytes(tr.TraceID)
	if len(w.ids) > 0 && id.Compare(w.last) <= 0 {
		return fmt.Errorf("block writer: trace %s added after %s (IDs must ascend)", id, w.last)
	}
	// The caller may reuse tr: hand it to parquet-go before returning, and
	// leave none of its memory in the slot (AddParts reuses a slot's).
	slot := &w.batch[w.nbatch]
	*slot = *tr
	defer func() { *slot = Trace{} }()
	if err := w.addRow(id, slot, size); err != nil {
		return err
	}
	return w.writeBatch()
}

// addRow accounts for the row just placed at batch[nbatch].
func (w *Writer) addRow(id model.TraceID, tr *Trace, size int) error {
	w.nbatch++
	if w.nbatch == len(w.batch) {
		if err := w.writeBatch(); err != nil {
			return err
		}
	}
	w.ids = append(w.ids, id)
	w.last = id
	if len(w.ids) == 1 || tr.StartTimeUnixNano < w.start {
		w.start = tr.StartTimeUnixNano
	}
	w.end = max(w.end, tr.EndTimeUnixNano)
	w.rgBytes += size
	w.written += uint64(size)
	w.inRG++
	if w.rgBytes >= w.cfg.RowGroupSizeBytes {
		return w.cutRowGroup()
	}
	return nil
}

func (w *Writer) writeBatch() error {
	if w.nbatch == 0 {
		return nil
	}
	if err := w.pw.Write(w.batch[:w.nbatch]); err != nil {
		return fmt.Errorf("block writer: %w", err)
	}
	w.nbatch = 0
	if w.wire != nil {
		w.wire.Reset() // parquet-go has copied the rows' values
	}
	return nil
}

func (w *Writer) cutRowGroup() error {
	if w.inRG == 0 {
		return nil
	}
	if err := w.writeBatch(); err != nil {
		return err
	}
	if err := w.pw.Flush(); err != nil {
		return fmt.Errorf("block writer: %w", err)
	}
	w.rgLast = append(w.rgLast, w.last)
	w.rgBytes, w.inRG = 0, 0
	return nil
}

// EstimatedSize is the OTLP size of what was added so far.
func (w *Writer) EstimatedSize() uint64 { return w.written }

// Traces is the number of traces added.
func (w *Writer) Traces() int { return len(w.ids) }

// Close flushes the block to the backend: data, bloom, index, then meta.json
// last so the block becomes visible only when complete.
func (w *Writer) Close(ctx context.Context) (*backend.BlockMeta, error) {
	if w.closed {
		return nil, errors.New("block writer: closed twice")
	}
	w.closed = true
	defer w.cleanup()
	if len(w.ids) == 0 {
		return nil, errors.New("block writer: no traces")
	}
	if err := w.cutRowGroup(); err != nil {
		return nil, err
	}
	if err := w.pw.Close(); err != nil {
		return nil, fmt.Errorf("block writer: %w", err)
	}
	size, footer, err := fileTail(w.tmp)
	if err != nil {
		return nil, err
	}
	tenant, id := w.cfg.Tenant, w.cfg.BlockID
	if _, err := w.tmp.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	if err := w.be.WriteObject(ctx, tenant, id, backend.DataName, w.tmp); err != nil {
		return nil, err
	}
	bf := bloom.New(w.cfg.BloomFP, w.cfg.BloomShardSizeBytes, len(w.ids))
	for i := range w.ids {
		bf.Add(w.ids[i][:])
	}
	shards, err := bf.Marshal()
	if err != nil {
		return nil, err
	}
	for i, s := range shards {
		if err := w.be.WriteObjectBytes(ctx, tenant, id, backend.BloomName(i), s); err != nil {
			return nil, err
		}
	}
	idx, err := backend.MarshalRowGroupIndex(w.rgLast)
	if err != nil {
		return nil, err
	}
	if err := w.be.WriteObjectBytes(ctx, tenant, id, backend.IndexName, idx); err != nil {
		return nil, err
	}
	m := w.meta
	m.StartTime = time.Unix(int64(w.start/1e9), 0).UTC()
	m.EndTime = time.Unix(int64(w.end/1e9), 0).UTC()
	m.TotalObjects = int64(len(w.ids))
	m.Size = uint64(size)
	m.TotalRecords = uint32(len(w.rgLast))
	m.BloomShardCount = uint32(len(shards))
	m.FooterSize = footer
	if err := w.be.WriteMeta(ctx, &m); err != nil {
		return nil, err
	}
	w.keepData()
	return &m, nil
}

// keepData moves the written file to its place under KeepDataIn. The copy
// is a convenience (the block is in the backend): when the move fails the
// file is removed as usual and KeptData reports no copy.
func (w *Writer) keepData() {
	if w.cfg.KeepDataIn == "" {
		return
	}
	dir := filepath.Join(w.cfg.KeepDataIn, w.cfg.Tenant, w.cfg.BlockID.String())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	if err := os.Rename(w.tmp.Name(), filepath.Join(dir, backend.DataName)); err != nil {
		os.Remove(dir)
		return
	}
	w.kept = true
}

// KeptData reports whether Close left a copy of data.parquet under
// KeepDataIn.
func (w *Writer) KeptData() bool { return w.kept }

// Abort drops the block; objects already uploaded are deleted.
func (w *Writer) Abort(ctx context.Context) error {
	if !w.closed {
		w.closed = true
		w.cleanup()
	}
	return w.be.DeleteBlock(ctx, w.cfg.Tenant, w.cfg.BlockID)
}

func (w *Writer) cleanup() {
	w.tmp.Close()
	if !w.kept {
		os.Remove(w.tmp.Name())
	}
}

// fileTail returns the file size and the parquet footer length.
func fileTail(f *os.File) (int64, uint32, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	var tail [8]byte
	if _, err := f.ReadAt(tail[:], st.Size()-8); err != nil {
		return 0, 0, fmt.Errorf("block writer: reading footer: %w", err)
	}
	if !bytes.Equal(tail[4:], []byte("PAR1")) {
		return 0, 0, errors.New("block writer: data.parquet has no parquet magic")
	}
	return st.Size(), binary.LittleEndian.Uint32(tail[:4]), nil
}
