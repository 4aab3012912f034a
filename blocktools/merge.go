package blocktools

import (
	"container/heap"
	"context"
	"fmt"
	"iter"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/block"
)

// TraceSource yields whole traces in ascending trace-ID order. block.Reader's
// Iterate is one; tests and the ingester can supply others.
type TraceSource func(ctx context.Context, fn func(id model.TraceID, tr ptrace.Traces) error) error

// ReaderSource adapts a block.Reader.
func ReaderSource(r block.Reader) TraceSource { return r.Iterate }

type cursor struct {
	next func() (model.TraceID, ptrace.Traces, bool)
	stop func()
	id   model.TraceID
	tr   ptrace.Traces
	src  int
}

type cursorHeap []*cursor

func (h cursorHeap) Len() int { return len(h) }
func (h cursorHeap) Less(i, j int) bool {
	if c := h[i].id.Compare(h[j].id); c != 0 {
		return c < 0
	}
	return h[i].src < h[j].src // first input wins ties, as in Tempo's merge
}
func (h cursorHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)   { *h = append(*h, x.(*cursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// MergeStats counts what a merge did.
type MergeStats struct {
	TracesIn  int64 // trace parts read from all inputs
	TracesOut int64 // whole traces emitted
	SpansIn   int64
	SpansOut  int64
	// DiscardedSpans are spans of trace parts dropped by MaxBytesPerTrace.
	DiscardedSpans int64
}

// MergeOptions tune a merge.
type MergeOptions struct {
	// MaxBytesPerTrace: when the parts of one trace together exceed this
	// many (OTLP) bytes, only the first part is kept and the spans of the
	// others are counted as discarded, as Tempo's compactor does with the
	// tenant's max_bytes_per_trace. 0 = no limit.
	MaxBytesPerTrace int
}

// Merge k-way merges sorted sources by trace ID and calls emit once per trace
// ID with all its parts combined (duplicate spans dropped). Memory holds one
// trace per source at a time, never a whole block.
func Merge(ctx context.Context, sources []TraceSource, emit func(id model.TraceID, tr ptrace.Traces) error) (MergeStats, error) {
	return MergeWith(ctx, sources, MergeOptions{}, emit)
}

// MergeWith is Merge with options.
func MergeWith(ctx context.Context, sources []TraceSource, opts MergeOptions, emit func(id model.TraceID, tr ptrace.Traces) error) (MergeStats, error) {
	var st MergeStats
	var errs = make([]error, len(sources))
	h := make(cursorHeap, 0, len(sources))
	var cursors []*cursor
	defer func() {
		for _, c := range cursors {
			c.stop()
		}
	}()
	for i, src := range sources {
		seq := func(yield func(model.TraceID, ptrace.Traces) bool) {
			errs[i] = src(ctx, func(id model.TraceID, tr ptrace.Traces) error {
				if !yield(id, tr) {
					return errStopIteration
				}
				return nil
			})
			if errs[i] == errStopIteration {
				errs[i] = nil
			}
		}
		next, stop := iter.Pull2(iter.Seq2[model.TraceID, ptrace.Traces](seq))
		c := &cursor{next: next, stop: stop, src: i}
		cursors = append(cursors, c)
		if c.advance() {
			h = append(h, c)
		} else if errs[i] != nil {
			return st, &InputError{index: i, Err: errs[i]}
		}
	}
	heap.Init(&h)
	var last model.TraceID
	lastSet := false
	for h.Len() > 0 {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		id := h[0].id
		var parts []ptrace.Traces
		for h.Len() > 0 && h[0].id == id {
			c := h[0]
			parts = append(parts, c.tr)
			st.TracesIn++
			st.SpansIn += int64(c.tr.SpanCount())
			if c.advance() {
				if c.id.Compare(id) < 0 {
					return st, &InputError{index: c.src, Err: fmt.Errorf("not sorted by trace ID: %s after %s", c.id, id)}
				}
				heap.Fix(&h, 0)
			} else {
				heap.Pop(&h)
				if errs[c.src] != nil {
					return st, &InputError{index: c.src, Err: errs[c.src]}
				}
			}
		}
		if lastSet && id.Compare(last) <= 0 {
			return st, fmt.Errorf("merge order broken at %s", id)
		}
		last, lastSet = id, true
		tr := parts[0]
		if len(parts) > 1 {
			if opts.MaxBytesPerTrace > 0 && tooBig(parts, opts.MaxBytesPerTrace) {
				for _, p := range parts[1:] {
					st.DiscardedSpans += int64(p.SpanCount())
				}
			} else {
				tr = model.Combine(parts...)
			}
		}
		st.TracesOut++
		st.SpansOut += int64(tr.SpanCount())
		if err := emit(id, tr); err != nil {
			return st, err
		}
	}
	return st, nil
}

var errStopIteration = fmt.Errorf("stop iteration")

func (c *cursor) advance() bool {
	id, tr, ok := c.next()
	if !ok {
		return false
	}
	c.id, c.tr = id, tr
	return true
}

func tooBig(parts []ptrace.Traces, limit int) bool {
	var sizer ptrace.ProtoMarshaler
	n := 0
	for _, p := range parts {
		if n += sizer.TracesSize(p); n > limit {
			return true
		}
	}
	return false
}
