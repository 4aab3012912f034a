package search

import (
	"encoding/hex"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/vparquet"
	"github.com/tempoctl/tempoctl/traceql"
)

// trace is one decoded row; its spans answer the engine's questions straight
// from the row model (no OTLP conversion).
type trace struct {
	row        *vparquet.Trace
	a          *vparquet.Assignment
	hasRoot    bool
	needsCount bool // vParquet4 stores no ChildCount: derive it on first use
	spans      []*span
	// partial is set when row holds only some columns (the second pass):
	// asking for anything else reads the whole row first.
	partial *partialRow
}

// partialRow says what a partial row holds and how to read it whole.
type partialRow struct {
	has  func(traceql.Attribute) bool
	load func() (*vparquet.Trace, error)
}

// span implements traceql.Span over the row model.
type span struct {
	t       *trace
	i, j, k int // position: ResourceSpans[i].ScopeSpans[j].Spans[k]
	rs      *vparquet.ResourceSpans
	ss      *vparquet.ScopeSpans
	s       *vparquet.Span
}

// whole replaces a partial row by the whole row, keeping span positions.
// On a read error the partial row stays (what it lacks reads as absent).
func (t *trace) whole() {
	p := t.partial
	if p == nil {
		return
	}
	t.partial = nil
	row, err := p.load()
	if err != nil || !sameShape(row, t.row) {
		return
	}
	t.row = row
	for _, s := range t.spans {
		s.point()
	}
}

func (s *span) point() {
	s.rs = &s.t.row.ResourceSpans[s.i]
	s.ss = &s.rs.ScopeSpans[s.j]
	s.s = &s.ss.Spans[s.k]
}

// sameShape checks that two rows nest the same number of spans.
func sameShape(a, b *vparquet.Trace) bool {
	if len(a.ResourceSpans) != len(b.ResourceSpans) {
		return false
	}
	for i := range a.ResourceSpans {
		x, y := a.ResourceSpans[i].ScopeSpans, b.ResourceSpans[i].ScopeSpans
		if len(x) != len(y) {
			return false
		}
		for j := range x {
			if len(x[j].Spans) != len(y[j].Spans) {
				return false
			}
		}
	}
	return true
}

// newSpanset turns a row into the engine's spanset with every span.
func newSpanset(row *vparquet.Trace, a *vparquet.Assignment, v4 bool) *traceql.Spanset {
	t := &trace{row: row, a: a, needsCount: v4}
	ss := &traceql.Spanset{
		TraceID:            row.TraceID,
		RootSpanName:       row.RootSpanName,
		RootServiceName:    row.RootServiceName,
		StartTimeUnixNanos: row.StartTimeUnixNano,
		DurationNanos:      row.DurationNano,
		ServiceStats:       make(map[string]traceql.ServiceStats, len(row.ServiceStats)),
	}
	for _, st := range row.ServiceStats {
		ss.ServiceStats[st.ServiceName] = traceql.ServiceStats{SpanCount: st.SpanCount, ErrorCount: st.ErrorCount}
	}
	for i := range row.ResourceSpans {
		rs := &row.ResourceSpans[i]
		for j := range rs.ScopeSpans {
			sc := &rs.ScopeSpans[j]
			for k := range sc.Spans {
				s := &sc.Spans[k]
				if len(s.ParentSpanID) == 0 || allZero(s.ParentSpanID) {
					t.hasRoot = true
				}
				sp := &span{t: t, i: i, j: j, k: k, rs: rs, ss: sc, s: s}
				t.spans = append(t.spans, sp)
				ss.Spans = append(ss.Spans, sp)
			}
		}
	}
	ss.HasRoot = t.hasRoot
	return ss
}

// childCounts fills ChildCount for vParquet4 rows, keeping the stored
// nested-set numbers (AssignNestedSets recomputes them too).
func (t *trace) childCounts() {
	t.needsCount = false
	type saved struct{ l, r, p int32 }
	var keep []saved
	each := func(fn func(s *vparquet.Span)) {
		for i := range t.row.ResourceSpans {
			for j := range t.row.ResourceSpans[i].ScopeSpans {
				for k := range t.row.ResourceSpans[i].ScopeSpans[j].Spans {
					fn(&t.row.ResourceSpans[i].ScopeSpans[j].Spans[k])
				}
			}
		}
	}
	each(func(s *vparquet.Span) { keep = append(keep, saved{s.NestedSetLeft, s.NestedSetRight, s.ParentID}) })
	vparquet.AssignNestedSets(t.row)
	i := 0
	each(func(s *vparquet.Span) {
		s.NestedSetLeft, s.NestedSetRight, s.ParentID = keep[i].l, keep[i].r, keep[i].p
		i++
	})
}

func (s *span) ID() []byte                 { return s.s.SpanID }
func (s *span) StartTimeUnixNanos() uint64 { return s.s.StartTimeUnixNano }
func (s *span) DurationNanos() uint64      { return s.s.DurationNano }
func (s *span) NestedSet() (int32, int32, int32) {
	return s.s.NestedSetLeft, s.s.NestedSetRight, s.s.ParentID
}

func (s *span) AttributeFor(a traceql.Attribute) traceql.Static {
	if p := s.t.partial; p != nil && !p.has(a) {
		s.t.whole()
	}
	if a.Intrinsic != traceql.IntrinsicNone {
		return s.intrinsic(a.Intrinsic)
	}
	switch a.Scope {
	case traceql.ScopeSpan:
		return s.spanAttr(a.Name)
	case traceql.ScopeResource:
		return s.resourceAttr(a.Name)
	case traceql.ScopeNone:
		if v := s.spanAttr(a.Name); !v.IsNil() {
			return v
		}
		return s.resourceAttr(a.Name)
	case traceql.ScopeInstrumentation:
		return lookup(s.ss.Scope.Attrs, a.Name)
	case traceql.ScopeEvent:
		var vals []traceql.Static
		for i := range s.s.Events {
			e := &s.s.Events[i]
			v := lookup(e.Attrs, a.Name)
			if d := dedicated(&e.DedicatedAttributes, s.t.a.Event, a.Name); !d.IsNil() {
				v = d
			}
			if !v.IsNil() {
				vals = append(vals, v)
			}
		}
		return traceql.NewMulti(vals)
	case traceql.ScopeLink:
		var vals []traceql.Static
		for i := range s.s.Links {
			if v := lookup(s.s.Links[i].Attrs, a.Name); !v.IsNil() {
				vals = append(vals, v)
			}
		}
		return traceql.NewMulti(vals)
	}
	return traceql.Nil
}

// spanAttr follows ToOTLP's order: generic, then dedicated, then vParquet4
// well-known columns; later ones win.
func (s *span) spanAttr(name string) traceql.Static {
	if v := lookup(s.s.WellKnown, name); !v.IsNil() {
		return v
	}
	if v := dedicated(&s.s.DedicatedAttributes, s.t.a.Span, name); !v.IsNil() {
		return v
	}
	return lookup(s.s.Attrs, name)
}

func (s *span) resourceAttr(name string) traceql.Static {
	r := &s.rs.Resource
	if v := lookup(r.WellKnown, name); !v.IsNil() {
		return v
	}
	if name == "service.name" && r.ServiceName != "" {
		return traceql.NewString(r.ServiceName)
	}
	if v := dedicated(&r.DedicatedAttributes, s.t.a.Resource, name); !v.IsNil() {
		return v
	}
	return lookup(r.Attrs, name)
}

func (s *span) intrinsic(in traceql.Intrinsic) traceql.Static {
	sp := s.s
	row := s.t.row
	switch in {
	case traceql.IntrinsicName:
		return traceql.NewString(sp.Name)
	case traceql.IntrinsicStatus:
		return traceql.NewStatus(sp.StatusCode)
	case traceql.IntrinsicStatusMessage:
		return traceql.NewString(sp.StatusMessage)
	case traceql.IntrinsicKind:
		return traceql.NewKind(sp.Kind)
	case traceql.IntrinsicDuration:
		return traceql.Static{Type: traceql.TypeDuration, N: int64(sp.DurationNano)}
	case traceql.IntrinsicSpanID:
		return traceql.NewString(hex.EncodeToString(sp.SpanID))
	case traceql.IntrinsicParentID:
		if len(sp.ParentSpanID) == 0 || allZero(sp.ParentSpanID) {
			return traceql.Nil
		}
		return traceql.NewString(hex.EncodeToString(sp.ParentSpanID))
	case traceql.IntrinsicChildCount:
		if s.t.needsCount {
			s.t.childCounts()
		}
		return traceql.NewInt(int64(sp.ChildCount))
	case traceql.IntrinsicTraceDuration:
		return traceql.Static{Type: traceql.TypeDuration, N: int64(row.DurationNano)}
	case traceql.IntrinsicTraceRootSpan:
		if !s.t.hasRoot {
			return traceql.Nil
		}
		return traceql.NewString(row.RootSpanName)
	case traceql.IntrinsicTraceRootService:
		if !s.t.hasRoot {
			return traceql.Nil
		}
		return traceql.NewString(row.RootServiceName)
	case traceql.IntrinsicTraceID:
		return traceql.NewString(model.TraceIDFromBytes(row.TraceID).String())
	case traceql.IntrinsicEventName, traceql.IntrinsicEventTimeSinceStart:
		vals := make([]traceql.Static, 0, len(sp.Events))
		for i := range sp.Events {
			if in == traceql.IntrinsicEventName {
				vals = append(vals, traceql.NewString(sp.Events[i].Name))
			} else {
				vals = append(vals, traceql.Static{Type: traceql.TypeDuration, N: int64(sp.Events[i].TimeSinceStartNano)})
			}
		}
		return traceql.NewMulti(vals)
	case traceql.IntrinsicLinkTraceID, traceql.IntrinsicLinkSpanID:
		vals := make([]traceql.Static, 0, len(sp.Links))
		for i := range sp.Links {
			id := sp.Links[i].SpanID
			if in == traceql.IntrinsicLinkTraceID {
				id = sp.Links[i].TraceID
			}
			vals = append(vals, traceql.NewString(hex.EncodeToString(id)))
		}
		return traceql.NewMulti(vals)
	case traceql.IntrinsicInstrumentationName:
		return traceql.NewString(s.ss.Scope.Name)
	case traceql.IntrinsicInstrumentationVersion:
		return traceql.NewString(s.ss.Scope.Version)
	case traceql.IntrinsicNestedSetLeft:
		return traceql.NewInt(int64(sp.NestedSetLeft))
	case traceql.IntrinsicNestedSetRight:
		return traceql.NewInt(int64(sp.NestedSetRight))
	case traceql.IntrinsicNestedSetParent:
		return traceql.NewInt(int64(sp.ParentID))
	}
	return traceql.Nil
}

// lookup finds a generic attribute; with duplicate keys the last one wins,
// as when the row is turned into an OTLP map.
func lookup(attrs []vparquet.Attribute, name string) traceql.Static {
	for i := len(attrs) - 1; i >= 0; i-- {
		if attrs[i].Key == name {
			v, ok := attrValue(&attrs[i])
			if ok {
				return v
			}
		}
	}
	return traceql.Nil
}

// dedicated reads an attribute's slot: one value is a scalar, several an
// array, none absent (block-format §8.3).
func dedicated(d *vparquet.DedicatedAttributes, slots vparquet.ScopeSlots, name string) traceql.Static {
	sl, ok := slots.Find(name)
	if !ok {
		return traceql.Nil
	}
	if sl.Int {
		vs := *d.Int(sl.Index)
		switch len(vs) {
		case 0:
			return traceql.Nil
		case 1:
			return traceql.NewInt(vs[0])
		}
		out := make([]traceql.Static, len(vs))
		for i, x := range vs {
			out[i] = traceql.NewInt(x)
		}
		return traceql.NewArray(out)
	}
	vs := *d.Str(sl.Index)
	switch len(vs) {
	case 0:
		return traceql.Nil
	case 1:
		return traceql.NewString(vs[0])
	}
	out := make([]traceql.Static, len(vs))
	for i, x := range vs {
		out[i] = traceql.NewString(x)
	}
	return traceql.NewArray(out)
}

// attrValue converts a generic attribute as the OTLP read-back would, then
// as the engine sees OTLP values. ok is false when the attribute holds
// nothing and is dropped on read-back.
func attrValue(a *vparquet.Attribute) (traceql.Static, bool) {
	if a.IsArray {
		out := []traceql.Static{}
		switch {
		case len(a.Value) > 0:
			for _, x := range a.Value {
				out = append(out, traceql.NewString(x))
			}
		case len(a.ValueInt) > 0:
			for _, x := range a.ValueInt {
				out = append(out, traceql.NewInt(x))
			}
		case len(a.ValueDouble) > 0:
			for _, x := range a.ValueDouble {
				out = append(out, traceql.NewFloat(x))
			}
		case len(a.ValueBool) > 0:
			for _, x := range a.ValueBool {
				out = append(out, traceql.NewBool(x))
			}
		}
		return traceql.NewArray(out), true
	}
	switch {
	case len(a.Value) > 0:
		return traceql.NewString(a.Value[0]), true
	case len(a.ValueInt) > 0:
		return traceql.NewInt(a.ValueInt[0]), true
	case len(a.ValueDouble) > 0:
		return traceql.NewFloat(a.ValueDouble[0]), true
	case len(a.ValueBool) > 0:
		return traceql.NewBool(a.ValueBool[0]), true
	case a.ValueUnsupported != nil:
		var av commonpb.AnyValue
		if err := protojson.Unmarshal([]byte(*a.ValueUnsupported), &av); err != nil {
			return traceql.Nil, false
		}
		return anyValue(&av), true
	}
	return traceql.Nil, false
}

func anyValue(av *commonpb.AnyValue) traceql.Static {
	switch x := av.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return traceql.NewString(x.StringValue)
	case *commonpb.AnyValue_IntValue:
		return traceql.NewInt(x.IntValue)
	case *commonpb.AnyValue_DoubleValue:
		return traceql.NewFloat(x.DoubleValue)
	case *commonpb.AnyValue_BoolValue:
		return traceql.NewBool(x.BoolValue)
	case *commonpb.AnyValue_ArrayValue:
		out := []traceql.Static{}
		for _, e := range x.ArrayValue.GetValues() {
			if v := anyValue(e); !v.IsNil() && v.Type != traceql.TypeArray {
				out = append(out, v)
			}
		}
		return traceql.NewArray(out)
	}
	return traceql.Nil
}
