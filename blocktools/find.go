package blocktools

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
)

// FindResult is a trace looked up in a tenant's blocks.
type FindResult struct {
	Trace ptrace.Traces
	Found bool
	// Blocks that held part of the trace.
	Blocks []*backend.BlockMeta
	// Searched blocks (time range and bloom passed) and all blocks considered.
	Searched, Considered int
	// Errors are blocks that could not be read; they were skipped.
	Errors []error
}

// FindTrace looks id up in every live block of tenant whose bloom filter may
// hold it, and combines the parts. Unreadable blocks are reported, not fatal.
func FindTrace(ctx context.Context, be *backend.Backend, tenant string, id model.TraceID) (*FindResult, error) {
	metas, _, err := be.BlockMetas(ctx, tenant)
	if err != nil {
		return nil, err
	}
	res := &FindResult{Considered: len(metas)}
	var parts []ptrace.Traces
	for _, m := range metas {
		ok, err := block.MayContain(ctx, be, m, id)
		if err != nil {
			res.Errors = append(res.Errors, fmt.Errorf("block %s: bloom: %w", m.BlockID, err))
			continue
		}
		if !ok {
			continue
		}
		res.Searched++
		r, err := block.Open(ctx, be, m)
		if err != nil {
			res.Errors = append(res.Errors, err)
			continue
		}
		td, ok, err := r.FindTraceByID(ctx, id)
		r.Close()
		if err != nil {
			res.Errors = append(res.Errors, fmt.Errorf("block %s: %w", m.BlockID, err))
			continue
		}
		if ok {
			parts = append(parts, td)
			res.Blocks = append(res.Blocks, m)
		}
	}
	if len(parts) > 0 {
		res.Trace, res.Found = model.Combine(parts...), true
	}
	return res, nil
}
