package blocktools

import (
	"context"
	"fmt"
	"time"

	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
)

// CompactOptions configure how a job's output is written.
type CompactOptions struct {
	// Block holds the writer settings (row-group size, bloom). Version,
	// dedicated columns and replication factor come from the job's first
	// input, the level is the job's level + 1.
	Block block.Config
	// MaxBlockBytes starts a new output block once the current one holds
	// this many bytes of traces (OTLP estimate); 0 = one output.
	MaxBlockBytes uint64
	// MaxBlockObjects starts a new output once it holds this many traces.
	MaxBlockObjects int64
	// MaxBytesPerTrace is the tenant's max_bytes_per_trace: a trace whose
	// parts together exceed it keeps only its first part (0 = no limit).
	MaxBytesPerTrace int
	Progress         ProgressFunc
	// progress base (blocks/bytes done before this job)
	prog Progress
}

// CompactResult describes one finished compaction job.
type CompactResult struct {
	Job Job
	// Outputs are the blocks holding the job's traces: written now, or found
	// complete from an earlier interrupted run of the same job (Reused).
	Outputs  []*backend.BlockMeta
	Reused   int
	Stats    MergeStats
	Duration time.Duration
	// Unmarked are inputs that could not be marked compacted: their traces
	// are also in the outputs, so they are duplicates until the next run.
	Unmarked []error
}

// Compact runs one job: it merges the inputs streaming (one trace per input
// in memory, plus the writer's row group) into new blocks of the inputs'
// format at level+1, writes each completely (meta.json last), and only then
// marks the inputs compacted. The output IDs are derived from the inputs, so
// after a crash the same job finds its finished outputs and does not write
// their traces again (see outputJob). An input that cannot be read fails the
// job with an *InputError naming it, and nothing is left behind.
func Compact(ctx context.Context, be *backend.Backend, job Job, opts CompactOptions) (*CompactResult, error) {
	if len(job.Inputs) == 0 {
		return nil, fmt.Errorf("compact: job has no inputs")
	}
	start := time.Now()
	first := job.Inputs[0]
	cfg := opts.Block
	cfg.Version = first.Version
	cfg.DedicatedColumns = first.DedicatedColumns
	cfg.ReplicationFactor = first.ReplicationFactor
	cfg.CompactionLevel = job.Level + 1
	j := &outputJob{
		tenant: job.Tenant, inputs: job.Inputs, key: "compact",
		block: cfg, maxBytes: opts.MaxBlockBytes, maxObjects: opts.MaxBlockObjects,
		progress: opts.Progress, prog: opts.prog, maxBytesPerTrace: opts.MaxBytesPerTrace,
	}
	j.prog.Op = "compact"
	j.prog.Block = first.BlockID.String()
	res, err := j.run(ctx, be)
	if err != nil {
		return nil, fmt.Errorf("compact %d blocks of tenant %s: %w", len(job.Inputs), job.Tenant, err)
	}
	return &CompactResult{
		Job: job, Outputs: append(res.Reused, res.Outputs...), Reused: len(res.Reused),
		Stats: res.Stats, Duration: time.Since(start), Unmarked: res.Unmarked,
	}, nil
}
