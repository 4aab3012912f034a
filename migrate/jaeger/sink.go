package jaeger

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
)

// Sink is where migrated traces go. Add buffers; Flush makes everything
// buffered durable. The migration records a flush in its checkpoint only
// after Flush returns, so a sink must not report success early.
type Sink interface {
	Add(tr Trace)
	// Full reports that the buffer should be flushed now.
	Full() bool
	// Buffered is the number of traces waiting for Flush.
	Buffered() int
	Flush(ctx context.Context) (FlushResult, error)
	// Has reports whether the destination already holds a trace, to settle
	// a flush that a crash interrupted; known is false when the sink cannot
	// tell (the flush is then sent again).
	Has(ctx context.Context, id model.TraceID) (has, known bool, err error)
	// Close finishes (after a recovery, the tenant index is rewritten).
	Close(ctx context.Context) error
	// Describe names the destination for the checkpoint and the summary.
	Describe() string
}

// TraceReader is a sink that can read traces back (for --verify).
type TraceReader interface {
	ReadTrace(ctx context.Context, id model.TraceID) (ptrace.Traces, bool, error)
}

// FlushResult is what one flush wrote.
type FlushResult struct {
	Blocks  []BlockInfo
	Bytes   uint64
	Skipped []Skip
}

// BlockInfo is one block a migration wrote.
type BlockInfo struct {
	ID     string    `json:"id"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Traces int64     `json:"traces"`
	Size   uint64    `json:"size"`
}
