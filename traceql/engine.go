package traceql

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Engine runs TraceQL search queries over a Fetcher.
type Engine struct{}

// NewEngine returns an Engine.
func NewEngine() *Engine { return &Engine{} }

// SearchOptions bound a search.
type SearchOptions struct {
	// Limit is the maximum number of traces returned; 0 means 20.
	Limit int
	// SpansPerSpanSet is the number of spans listed per spanset; 0 means
	// unlimited (Tempo's spss=0). The API layer applies the default of 3.
	SpansPerSpanSet int
	// Start and End bound the trace time range; zero values leave it open.
	Start, End time.Time
}

// ErrMetricsQuery is returned when a metrics query is sent to search.
var ErrMetricsQuery = errors.New("metrics queries cannot be run as a search: use /api/metrics/query_range")

// ExecuteSearch parses query and runs it against fetcher.
func (e *Engine) ExecuteSearch(ctx context.Context, query string, fetcher Fetcher, opts SearchOptions) (*SearchResponse, error) {
	root, err := Parse(query)
	if err != nil {
		return nil, err
	}
	return e.ExecuteSearchExpr(ctx, root, fetcher, opts)
}

// ExecuteSearchExpr runs an already parsed query.
func (e *Engine) ExecuteSearchExpr(ctx context.Context, root *RootExpr, fetcher Fetcher, opts SearchOptions) (*SearchResponse, error) {
	if root.IsMetrics() {
		return nil, ErrMetricsQuery
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = 20
	}
	req := BuildFetchRequest(root)
	if !opts.Start.IsZero() {
		req.StartTimeUnixNanos = uint64(opts.Start.UnixNano())
	}
	if !opts.End.IsZero() {
		req.EndTimeUnixNanos = uint64(opts.End.UnixNano())
	}
	it, err := fetcher.Fetch(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("fetching spans: %w", err)
	}
	defer it.Close()

	out := outputSpec(root)
	mostRecent := false
	if h, ok := root.Hint("most_recent"); ok && h.Type == TypeBoolean {
		mostRecent = h.B
	}
	resp := &SearchResponse{Traces: []*TraceSearchMetadata{}, Metrics: &SearchMetrics{}}
	for {
		ss, err := it.Next(ctx)
		if err != nil {
			return nil, fmt.Errorf("fetching spans: %w", err)
		}
		if ss == nil {
			break
		}
		resp.Metrics.InspectedTraces++
		resp.Metrics.InspectedSpans += uint64(len(ss.Spans))
		ev := &evaluator{}
		res := ev.pipeline(root.Pipeline.Stages, []*Spanset{ss})
		if ev.err != nil {
			return nil, ev.err
		}
		if len(res) == 0 {
			continue
		}
		resp.Traces = append(resp.Traces, out.trace(ss, res, opts.SpansPerSpanSet))
		if !mostRecent && len(resp.Traces) >= limit {
			break
		}
	}
	sort.SliceStable(resp.Traces, func(i, j int) bool {
		return resp.Traces[i].StartTimeUnixNano > resp.Traces[j].StartTimeUnixNano
	})
	if len(resp.Traces) > limit {
		resp.Traces = resp.Traces[:limit]
	}
	return resp, nil
}

// output describes which span fields a query's results show.
type output struct {
	name     bool
	attrs    []Attribute // referenced by conditions: shown when present
	selected []Attribute // select(): shown always ("nil" when absent)
}

func outputSpec(root *RootExpr) *output {
	o := &output{}
	seen := map[Attribute]bool{}
	add := func(a Attribute, sel bool) {
		switch a.Intrinsic {
		case IntrinsicName:
			o.name = true
			return
		case IntrinsicDuration, IntrinsicTraceDuration, IntrinsicTraceRootSpan, IntrinsicTraceRootService,
			IntrinsicTraceID, IntrinsicSpanID:
			return
		}
		if seen[a] {
			return
		}
		seen[a] = true
		if sel {
			o.selected = append(o.selected, a)
		} else {
			o.attrs = append(o.attrs, a)
		}
	}
	// select() first so selected attributes always show
	walkStages(root.Pipeline.Stages, func(st SpansetExpr) {
		if s, ok := st.(*Select); ok {
			for _, a := range s.Attrs {
				add(a, true)
			}
		}
	})
	walkStages(root.Pipeline.Stages, func(st SpansetExpr) {
		for _, a := range stageAttrs(st) {
			add(a, false)
		}
	})
	return o
}

func (o *output) trace(ss *Spanset, res []*Spanset, spss int) *TraceSearchMetadata {
	t := &TraceSearchMetadata{
		TraceID:           traceIDText(ss.TraceID),
		RootServiceName:   ss.RootServiceName,
		RootTraceName:     ss.RootSpanName,
		StartTimeUnixNano: ss.StartTimeUnixNanos,
		DurationMs:        durationMs(ss.DurationNanos),
		ServiceStats:      ss.ServiceStats,
	}
	if !ss.HasRoot {
		t.RootServiceName = RootSpanNotYetReceived
		t.RootTraceName = ""
	}
	for _, r := range res {
		set := &SpanSet{Matched: uint32(len(r.Spans)), Spans: []*SpanResult{}}
		for _, a := range r.Attributes {
			set.Attributes = append(set.Attributes, KeyValue{Key: a.Name, Value: ToAnyValue(a.Value)})
		}
		n := len(r.Spans)
		if spss > 0 && n > spss {
			n = spss
		}
		for _, s := range r.Spans[:n] {
			set.Spans = append(set.Spans, o.span(s))
		}
		t.SpanSets = append(t.SpanSets, set)
	}
	if len(t.SpanSets) > 0 {
		t.SpanSet = t.SpanSets[0]
	}
	return t
}

func (o *output) span(s Span) *SpanResult {
	r := &SpanResult{
		SpanID:            hex.EncodeToString(s.ID()),
		StartTimeUnixNano: s.StartTimeUnixNanos(),
		DurationNanos:     s.DurationNanos(),
	}
	if o.name {
		r.Name = s.AttributeFor(NewIntrinsic(IntrinsicName)).S
	}
	for _, a := range o.selected {
		r.Attributes = append(r.Attributes, KeyValue{Key: a.String(), Value: ToAnyValue(s.AttributeFor(a))})
	}
	for _, a := range o.attrs {
		if v := s.AttributeFor(a); !v.IsNil() {
			r.Attributes = append(r.Attributes, KeyValue{Key: a.String(), Value: ToAnyValue(v)})
		}
	}
	return r
}

// ---- walking the AST ----

func walkStages(stages []SpansetExpr, fn func(SpansetExpr)) {
	for _, st := range stages {
		walkStage(st, fn)
	}
}

func walkStage(st SpansetExpr, fn func(SpansetExpr)) {
	fn(st)
	switch x := st.(type) {
	case *SpansetOp:
		walkStage(x.LHS, fn)
		walkStage(x.RHS, fn)
	case *Pipeline:
		walkStages(x.Stages, fn)
	}
}

func fieldAttrs(e FieldExpr, out []Attribute) []Attribute {
	switch x := e.(type) {
	case *AttrRef:
		return append(out, x.Attribute)
	case *BinaryOp:
		return fieldAttrs(x.RHS, fieldAttrs(x.LHS, out))
	case *UnaryOp:
		return fieldAttrs(x.Expr, out)
	}
	return out
}

func stageAttrs(st SpansetExpr) []Attribute {
	switch x := st.(type) {
	case *SpansetFilter:
		if x.Expr != nil {
			return fieldAttrs(x.Expr, nil)
		}
	case *GroupBy:
		return fieldAttrs(x.Expr, nil)
	case *ScalarFilter:
		if a, ok := x.LHS.(*Aggregate); ok && a.Expr != nil {
			return fieldAttrs(a.Expr, nil)
		}
	case *Select:
		return x.Attrs
	}
	return nil
}

// ---- pushdown ----

// BuildFetchRequest derives the storage request for a search query:
// conditions of the form `attr op literal` are pushed down; everything else a
// stage needs is listed with OpNone (fetch, don't filter).
func BuildFetchRequest(root *RootExpr) FetchRequest {
	var req FetchRequest
	if root.Pipeline == nil {
		return req
	}
	stages := root.Pipeline.Stages
	filters := 0
	emptyFilter := false
	walkStages(stages, func(st SpansetExpr) {
		switch x := st.(type) {
		case *SpansetFilter:
			filters++
			if x.Expr == nil {
				emptyFilter = true
			}
		case *SpansetOp:
			if x.Op != OpSpansetAnd && x.Op != OpSpansetOr {
				req.Structural = true
			}
		}
	})
	// A single filter that is a pure conjunction of pushable tests lets
	// storage drop spans failing any of them.
	if len(stages) >= 1 && filters == 1 {
		if f, ok := stages[0].(*SpansetFilter); ok && f.Expr != nil {
			if conds, ok := conjunction(f.Expr, nil); ok {
				req.Conditions = conds
				req.AllConditions = true
				for _, st := range stages[1:] {
					for _, a := range stageAttrs(st) {
						req.Conditions = append(req.Conditions, Condition{Attribute: a})
					}
				}
				return req
			}
		}
	}
	if emptyFilter {
		req.Conditions = nil // every span is a candidate
		return req
	}
	// Without AllConditions a span is kept when it passes one condition, so
	// each filter lists tests one of which every span it selects passes.
	every := false
	walkStages(stages, func(st SpansetExpr) {
		f, ok := st.(*SpansetFilter)
		if !ok {
			for _, a := range stageAttrs(st) {
				req.Conditions = append(req.Conditions, Condition{Attribute: a})
			}
			return
		}
		conds, ok := conjunction(f.Expr, nil)
		if !ok {
			conds, ok = anyOf(f.Expr, nil)
		}
		if !ok {
			attrs := fieldAttrs(f.Expr, nil)
			// A filter reading no attribute ({ true }, { 1 = 1 }) may
			// select every span: nothing may be dropped for it.
			every = every || len(attrs) == 0
			for _, a := range attrs {
				req.Conditions = append(req.Conditions, Condition{Attribute: a})
			}
			return
		}
		req.Conditions = append(req.Conditions, conds...)
	})
	if every {
		req.Conditions = nil
	}
	return req
}

// anyOf flattens a filter of && and || over `attr op literal` tests into
// all its tests: with no negation, a span passing the filter passes one of
// them. ok is false if any part is something else, or a nil test (= nil
// holds for spans lacking the attribute, which no condition lists).
func anyOf(e FieldExpr, out []Condition) ([]Condition, bool) {
	b, ok := e.(*BinaryOp)
	if !ok {
		return nil, false
	}
	if b.Op == OpAnd || b.Op == OpOr {
		if out, ok = anyOf(b.LHS, out); !ok {
			return nil, false
		}
		return anyOf(b.RHS, out)
	}
	leaf, ok := conjunction(b, nil)
	if !ok || leaf[0].Op == OpNone {
		return nil, false
	}
	return append(out, leaf[0]), true
}

// conjunction flattens `a op lit && b op lit …`; ok is false if any part is
// something else (||, !, arithmetic, attribute-vs-attribute).
func conjunction(e FieldExpr, out []Condition) ([]Condition, bool) {
	b, ok := e.(*BinaryOp)
	if !ok {
		return nil, false
	}
	if b.Op == OpAnd {
		out, ok = conjunction(b.LHS, out)
		if !ok {
			return nil, false
		}
		return conjunction(b.RHS, out)
	}
	if b.Op.isArithmetic() || b.Op == OpOr {
		return nil, false
	}
	a, aok := b.LHS.(*AttrRef)
	l, lok := b.RHS.(*Literal)
	op := b.Op
	if !aok || !lok {
		a, aok = b.RHS.(*AttrRef)
		l, lok = b.LHS.(*Literal)
		op = flipOp(op)
	}
	if !aok || !lok {
		return nil, false
	}
	if l.IsNil() {
		// `= nil` selects spans lacking the attribute: not a column filter
		return append(out, Condition{Attribute: a.Attribute}), true
	}
	return append(out, Condition{Attribute: a.Attribute, Op: op, Operands: []Static{l.Static}, re: b.re}), true
}

func flipOp(op Operator) Operator {
	switch op {
	case OpLess:
		return OpGreater
	case OpLessEqual:
		return OpGreaterEqual
	case OpGreater:
		return OpLess
	case OpGreaterEqual:
		return OpLessEqual
	}
	return op
}
