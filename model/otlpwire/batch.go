// Package otlpwire keeps an OTLP trace export request as its wire bytes and
// indexes it: which spans belong to which trace, under which resource and
// scope. The write path never decodes a request into objects: the bytes go to
// the WAL as received, live traces are lists of span positions, and a trace
// is decoded once, straight into the block's row model, when its block is
// built.
//
// ExportTraceServiceRequest and TracesData are wire-identical (field 1,
// repeated ResourceSpans), so the same bytes serve both.
package otlpwire

import (
	"github.com/tempoctl/tempoctl/model"
)

// Range is a part of Batch.Raw: a message's bytes without tag or length.
type Range struct{ Off, Len uint32 }

// Resource is one ResourceSpans' resource.
type Resource struct {
	Msg       Range // the Resource message (Len 0 when absent)
	SchemaURL Range
}

// Scope is one ScopeSpans.
type Scope struct {
	Resource  uint32 // index into Batch.Resources
	Msg       Range  // the InstrumentationScope message
	SchemaURL Range
}

// Span is where one span is.
type Span struct {
	Scope uint32 // index into Batch.Scopes
	Msg   Range
}

// Trace is the spans of one trace in a batch, in request order.
type Trace struct {
	ID    model.TraceID
	Spans []Span
	// Bytes is the measure for max_bytes_per_trace: its spans' encoded
	// size with their framing, plus its resource and scope for each run of
	// its spans under one scope. It is not less than the size of the trace
	// a reader decodes from this request, so a trace accepted under the
	// limit is never refused as too large on query.
	Bytes int
}

// Batch is one parsed request. Raw must not be modified once parsed: every
// Range, and strings decoded without copying, point into it.
type Batch struct {
	Raw       []byte
	Resources []Resource
	Scopes    []Scope
	Traces    []Trace // by first appearance
	SpanCount int
	// LargestAttribute is the encoded size of the largest attribute (a
	// KeyValue of a resource, scope, span, event or link): no key or string
	// value in the request is longer, so a size limit on them needs a
	// closer look only when it is exceeded.
	LargestAttribute int
}

// Bytes returns the bytes of r.
func (b *Batch) Bytes(r Range) []byte { return b.Raw[r.Off : r.Off+r.Len] }
