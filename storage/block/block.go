// Package block is the version-independent entry point to blocks: it opens a
// block by its meta.json format and writes new blocks in the configured
// version (vParquet5 by default, vParquet4 on request). Callers never import
// vparquet4/vparquet5 directly.
package block

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
)

// ErrNotImplemented is returned by the stubs until the storage work lands.
var ErrNotImplemented = errors.New("not implemented yet")

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
}

// Writer writes one block. Traces must be added in ascending trace-ID order,
// each trace whole (combine parts before adding).
type Writer interface {
	Add(ctx context.Context, id model.TraceID, tr ptrace.Traces) error
	// EstimatedSize is the bytes written or buffered so far.
	EstimatedSize() uint64
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
	return nil, ErrNotImplemented
}

// Open opens the block described by meta, choosing the decoder by meta.Version.
func Open(ctx context.Context, be *backend.Backend, meta *backend.BlockMeta) (Reader, error) {
	return nil, ErrNotImplemented
}
