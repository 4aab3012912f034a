// Package block is the version-independent entry point to blocks: it opens a
// block by its meta.json format and writes new blocks in the configured
// version (vParquet5 by default, vParquet4 on request). Callers never import
// vparquet4/vparquet5 directly.
package block

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/vparquet"
	"github.com/tempoctl/tempoctl/storage/vparquet4"
	"github.com/tempoctl/tempoctl/storage/vparquet5"
)

// Config is storage.trace.block (and the block sizes used by writers).
type Config struct {
	Version             string                   `yaml:"version"`                       // default vParquet5
	RowGroupSizeBytes   int                      `yaml:"parquet_row_group_size_bytes"`  // default 100_000_000
	BloomFP             float64                  `yaml:"bloom_filter_false_positive"`   // default 0.01
	BloomShardSizeBytes int                      `yaml:"bloom_filter_shard_size_bytes"` // default 100 KiB
	DedicatedColumns    backend.DedicatedColumns `yaml:"parquet_dedicated_columns"`     // default Tempo's 14
	MaxBlockBytes       uint64                   `yaml:"-"`                             // for Builder splitting; 0 = unlimited
	ReplicationFactor   uint32                   `yaml:"-"`                             // written to meta; tempoctl writes 1
	CompactionLevel     uint32                   `yaml:"-"`                             // written to meta
	PageSizeBytes       int                      `yaml:"-"`                             // page buffer; 0 = 64 KiB (small in tests to get many pages)
	// KeepDataIn keeps a copy of each written data.parquet under this
	// directory, laid out as a local backend (see vparquet.WriterConfig).
	KeepDataIn string `yaml:"-"`
}

// Writer writes one block. Traces must be added in ascending trace-ID order,
// each trace whole (combine parts before adding).
type Writer interface {
	Add(ctx context.Context, id model.TraceID, tr ptrace.Traces) error
	// AddParts adds a trace given as spans in OTLP wire form; the batches
	// must stay unmodified until Close returns.
	AddParts(ctx context.Context, id model.TraceID, parts []otlpwire.Part) error
	// EstimatedSize is the bytes written or buffered so far.
	EstimatedSize() uint64
	// KeptData reports whether Close left a copy of data.parquet under
	// Config.KeepDataIn.
	KeptData() bool
	// Close writes data, bloom, index and meta.json last, and returns the meta.
	Close(ctx context.Context) (*backend.BlockMeta, error)
	// Abort deletes whatever was written.
	Abort(ctx context.Context) error
}

// Reader reads one block.
type Reader interface {
	Meta() *backend.BlockMeta
	// FindTraceByID returns the trace, or ok=false when the block does not hold it.
	FindTraceByID(ctx context.Context, id model.TraceID) (tr ptrace.Traces, ok bool, err error)
	// Iterate calls fn for every trace in trace-ID order.
	Iterate(ctx context.Context, fn func(id model.TraceID, tr ptrace.Traces) error) error
	Close() error
}

// NewWriter starts a block for tenant in cfg.Version.
func NewWriter(ctx context.Context, be *backend.Backend, tenant string, cfg Config) (Writer, error) {
	f, err := formatFor(cfg.Version)
	if err != nil {
		return nil, err
	}
	rf := cfg.ReplicationFactor
	if rf == 0 {
		rf = 1
	}
	return vparquet.NewWriter(be, f, vparquet.WriterConfig{
		Tenant:              tenant,
		DedicatedColumns:    cfg.DedicatedColumns,
		RowGroupSizeBytes:   cfg.RowGroupSizeBytes,
		BloomFP:             cfg.BloomFP,
		BloomShardSizeBytes: cfg.BloomShardSizeBytes,
		CompactionLevel:     cfg.CompactionLevel,
		ReplicationFactor:   rf,
		PageSizeBytes:       cfg.PageSizeBytes,
		KeepDataIn:          cfg.KeepDataIn,
	})
}

// Open opens the block described by meta, choosing the decoder by meta.Version.
func Open(ctx context.Context, be *backend.Backend, meta *backend.BlockMeta) (Reader, error) {
	f, err := formatFor(meta.Version)
	if err != nil {
		return nil, fmt.Errorf("block %s/%s: %w", meta.TenantID, meta.BlockID, err)
	}
	return vparquet.Open(ctx, be, meta, f)
}

// OpenParquet is Open returning the parquet-level reader (inspection, search).
func OpenParquet(ctx context.Context, be *backend.Backend, meta *backend.BlockMeta) (*vparquet.Reader, error) {
	f, err := formatFor(meta.Version)
	if err != nil {
		return nil, fmt.Errorf("block %s/%s: %w", meta.TenantID, meta.BlockID, err)
	}
	return vparquet.Open(ctx, be, meta, f)
}

// Versions lists the formats tempoctl reads and writes.
var Versions = []string{backend.VersionVParquet5, backend.VersionVParquet4}

func formatFor(version string) (vparquet.Format, error) {
	switch version {
	case "", backend.VersionVParquet5:
		return vparquet5.Format, nil
	case backend.VersionVParquet4:
		return vparquet4.Format, nil
	}
	return nil, fmt.Errorf("unsupported block format %q (supported: %s)", version, strings.Join(Versions, ", "))
}

// MayContain checks the block's bloom filter only.
func MayContain(ctx context.Context, be *backend.Backend, meta *backend.BlockMeta, id model.TraceID) (bool, error) {
	return vparquet.MayContain(ctx, be, meta, id)
}
