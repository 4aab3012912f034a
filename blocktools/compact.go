package blocktools

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
)

// CompactResult describes one finished compaction job.
type CompactResult struct {
	Job      Job
	Outputs  []*backend.BlockMeta
	Stats    MergeStats
	Duration time.Duration
}

// Compact runs one job: it merges the inputs streaming into new blocks of the
// inputs' format (level+1, split when the output passes cfg.MaxBlockBytes),
// writes them, and only then marks the inputs compacted. A failure before the
// outputs are complete deletes the partial output and leaves the inputs live,
// so every trace stays readable exactly once either way... except between the
// last output's meta.json and the inputs' marks, where a trace is readable
// twice; readers combine duplicates, and the next run compacts them again.
func Compact(ctx context.Context, be *backend.Backend, job Job, cfg block.Config) (*CompactResult, error) {
	if len(job.Inputs) == 0 {
		return nil, errors.New("compact: job has no inputs")
	}
	start := time.Now()
	first := job.Inputs[0]
	cfg.Version = first.Version
	cfg.DedicatedColumns = first.DedicatedColumns
	cfg.ReplicationFactor = first.ReplicationFactor
	cfg.CompactionLevel = job.Level + 1

	var sources []TraceSource
	for _, m := range job.Inputs {
		r, err := block.Open(ctx, be, m)
		if err != nil {
			return nil, fmt.Errorf("open block %s: %w", m.BlockID, err)
		}
		defer r.Close()
		sources = append(sources, ReaderSource(r))
	}

	res := &CompactResult{Job: job}
	var w block.Writer
	var written []*backend.BlockMeta
	abort := func() {
		if w != nil {
			_ = w.Abort(context.WithoutCancel(ctx))
		}
		for _, m := range written {
			_ = be.DeleteBlock(context.WithoutCancel(ctx), m.TenantID, m.BlockID)
		}
	}
	stats, err := Merge(ctx, sources, func(id model.TraceID, tr ptrace.Traces) error {
		if w == nil {
			var err error
			if w, err = block.NewWriter(ctx, be, job.Tenant, cfg); err != nil {
				return fmt.Errorf("start output block: %w", err)
			}
		}
		if err := w.Add(ctx, id, tr); err != nil {
			return fmt.Errorf("write trace %s: %w", id, err)
		}
		if cfg.MaxBlockBytes > 0 && w.EstimatedSize() >= cfg.MaxBlockBytes {
			m, err := w.Close(ctx)
			w = nil
			if err != nil {
				return fmt.Errorf("finish output block: %w", err)
			}
			written = append(written, m)
		}
		return nil
	})
	if err == nil && w != nil {
		var m *backend.BlockMeta
		m, err = w.Close(ctx)
		w = nil
		if err == nil {
			written = append(written, m)
		}
	}
	if err != nil {
		abort()
		return nil, fmt.Errorf("compact %d blocks of tenant %s: %w", len(job.Inputs), job.Tenant, err)
	}
	res.Stats = stats
	res.Outputs = written
	for _, m := range job.Inputs {
		if err := be.MarkCompacted(ctx, job.Tenant, m.BlockID); err != nil {
			// The outputs hold every trace; an unmarked input is only a duplicate.
			return res, fmt.Errorf("mark block %s compacted: %w", m.BlockID, err)
		}
	}
	res.Duration = time.Since(start)
	return res, nil
}
