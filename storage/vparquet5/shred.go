package vparquet5

import (
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"

	"github.com/tempoctl/tempoctl/storage/colwriter"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

// shredWriter writes rows of the row model into the pruned vParquet5
// schema: it walks each row once, appending every value with its levels to
// its column (parquet-go's row writer walks the row once per column and
// list element, its largest cost when building blocks).
//
// Levels: a repeated group's elements are at (rep, def) = the levels of a
// required leaf under it; the first element of a list takes its parent's
// repetition level, the next ones the list's own; an empty list writes a
// null at its parent's levels to every leaf under it.
type shredWriter struct {
	w *colwriter.Writer

	traceID, traceIDText, start, end, duration, rootService, rootSpan *colwriter.Column

	statsName, statsSpans, statsErrors *colwriter.Column

	resName, resDropped *colwriter.Column
	resAttrs            attrCols
	resDed              dedCols

	scopeName, scopeVersion, scopeDropped, spanCount *colwriter.Column
	scopeAttrs                                       attrCols

	spanID, parentSpanID, parentID, left, right, childCount, name, kind, traceState,
	spanStart, spanDuration, statusCode, statusMessage, spanDropped, droppedEvents,
	droppedLinks, round15, round60, round300, round3600 *colwriter.Column
	spanAttrs attrCols
	spanDed   dedCols

	evTime, evName, evDropped *colwriter.Column
	evAttrs                   attrCols
	evDed                     dedCols

	linkTraceID, linkSpanID, linkState, linkDropped *colwriter.Column
	linkAttrs                                       attrCols

	// Element levels of the repeated groups.
	statsRep, rsRep, ssRep, spanRep, evRep, linkRep byte
	rsDef, ssDef, spanDef, evDef, linkDef           byte
}

type attrCols struct {
	key, isArray, value, valueInt, valueDouble, valueBool, unsupported *colwriter.Column
	rep, def                                                           byte
}

// dedCols are a scope's dedicated columns the schema kept (pruned slots
// are skipped without a look).
type dedCols struct {
	str []dedSlot
	num []dedSlot
}

type dedSlot struct {
	slot int
	col  *colwriter.Column
}

func newShredWriter(out io.Writer, schema *parquet.Schema, opts colwriter.Options) (*shredWriter, error) {
	w, err := colwriter.New(out, schema, opts)
	if err != nil {
		return nil, err
	}
	s := &shredWriter{w: w}
	col := w.Column
	// required reports a leaf the shredder needs: its absence means the
	// schema is not vParquet5's.
	var missing []string
	required := func(path string) *colwriter.Column {
		c := col(path)
		if c == nil {
			missing = append(missing, path)
		}
		return c
	}
	attrs := func(prefix string) attrCols {
		a := attrCols{
			key: required(prefix + ".Key"), isArray: required(prefix + ".IsArray"),
			value: required(prefix + ".Value"), valueInt: required(prefix + ".ValueInt"),
			valueDouble: required(prefix + ".ValueDouble"), valueBool: required(prefix + ".ValueBool"),
			unsupported: required(prefix + ".ValueUnsupported"),
		}
		if a.key != nil {
			a.rep, a.def = a.key.MaxRep(), a.key.MaxDef()
		}
		return a
	}
	ded := func(prefix string) dedCols {
		var d dedCols
		for i := range vparquet.StringSlots {
			if c := col(fmt.Sprintf("%s.DedicatedAttributes.String%02d", prefix, i+1)); c != nil {
				d.str = append(d.str, dedSlot{i, c})
			}
		}
		for i := range vparquet.IntSlots {
			if c := col(fmt.Sprintf("%s.DedicatedAttributes.Int%02d", prefix, i+1)); c != nil {
				d.num = append(d.num, dedSlot{i, c})
			}
		}
		return d
	}

	s.traceID, s.traceIDText = required("TraceID"), required("TraceIDText")
	s.start, s.end, s.duration = required("StartTimeUnixNano"), required("EndTimeUnixNano"), required("DurationNano")
	s.rootService, s.rootSpan = required("RootServiceName"), required("RootSpanName")
	s.statsName, s.statsSpans, s.statsErrors = required("ServiceStats.ServiceName"), required("ServiceStats.SpanCount"), required("ServiceStats.ErrorCount")

	s.resName, s.resDropped = required("rs.Resource.ServiceName"), required("rs.Resource.DroppedAttributesCount")
	s.resAttrs, s.resDed = attrs("rs.Resource.Attrs"), ded("rs.Resource")

	s.scopeName, s.scopeVersion = required("rs.ss.Scope.Name"), required("rs.ss.Scope.Version")
	s.scopeDropped, s.spanCount = required("rs.ss.Scope.DroppedAttributesCount"), required("rs.ss.SpanCount")
	s.scopeAttrs = attrs("rs.ss.Scope.Attrs")

	const sp = "rs.ss.Spans."
	s.spanID, s.parentSpanID, s.parentID = required(sp+"SpanID"), required(sp+"ParentSpanID"), required(sp+"ParentID")
	s.left, s.right, s.childCount = required(sp+"NestedSetLeft"), required(sp+"NestedSetRight"), required(sp+"ChildCount")
	s.name, s.kind, s.traceState = required(sp+"Name"), required(sp+"Kind"), required(sp+"TraceState")
	s.spanStart, s.spanDuration = required(sp+"StartTimeUnixNano"), required(sp+"DurationNano")
	s.statusCode, s.statusMessage = required(sp+"StatusCode"), required(sp+"StatusMessage")
	s.spanDropped, s.droppedEvents, s.droppedLinks = required(sp+"DroppedAttributesCount"), required(sp+"DroppedEventsCount"), required(sp+"DroppedLinksCount")
	s.round15, s.round60 = required(sp+"StartTimeRounded15"), required(sp+"StartTimeRounded60")
	s.round300, s.round3600 = required(sp+"StartTimeRounded300"), required(sp+"StartTimeRounded3600")
	s.spanAttrs, s.spanDed = attrs(sp+"Attrs"), ded("rs.ss.Spans")

	s.evTime, s.evName, s.evDropped = required(sp+"Events.TimeSinceStartNano"), required(sp+"Events.Name"), required(sp+"Events.DroppedAttributesCount")
	s.evAttrs, s.evDed = attrs(sp+"Events.Attrs"), ded("rs.ss.Spans.Events")

	s.linkTraceID, s.linkSpanID = required(sp+"Links.TraceID"), required(sp+"Links.SpanID")
	s.linkState, s.linkDropped = required(sp+"Links.TraceState"), required(sp+"Links.DroppedAttributesCount")
	s.linkAttrs = attrs(sp + "Links.Attrs")
	if len(missing) > 0 {
		return nil, fmt.Errorf("vparquet5 writer: schema lacks %v", missing)
	}

	s.statsRep = s.statsName.MaxRep()
	s.rsRep, s.rsDef = s.resName.MaxRep(), s.resName.MaxDef()
	s.ssRep, s.ssDef = s.scopeName.MaxRep(), s.scopeName.MaxDef()
	s.spanRep, s.spanDef = s.spanID.MaxRep(), s.spanID.MaxDef()
	s.evRep, s.evDef = s.evTime.MaxRep(), s.evTime.MaxDef()
	s.linkRep, s.linkDef = s.linkTraceID.MaxRep(), s.linkTraceID.MaxDef()
	return s, nil
}

func (s *shredWriter) Write(rows []vparquet.Trace) error {
	for i := range rows {
		s.trace(&rows[i])
		if err := s.w.EndRow(); err != nil {
			return err
		}
	}
	return nil
}

func (s *shredWriter) Flush() error { return s.w.FlushRowGroup() }
func (s *shredWriter) Close() error { return s.w.Close() }

func (s *shredWriter) trace(t *vparquet.Trace) {
	s.traceID.Bytes(0, t.TraceID)
	s.traceIDText.String(0, t.TraceIDText)
	s.start.Uint64(0, t.StartTimeUnixNano)
	s.end.Uint64(0, t.EndTimeUnixNano)
	s.duration.Uint64(0, t.DurationNano)
	s.rootService.String(0, t.RootServiceName)
	s.rootSpan.String(0, t.RootSpanName)

	if len(t.ServiceStats) == 0 {
		nulls(0, 0, s.statsName, s.statsSpans, s.statsErrors)
	}
	for i := range t.ServiceStats {
		r := rep(i, 0, s.statsRep)
		st := &t.ServiceStats[i]
		s.statsName.String(r, st.ServiceName)
		s.statsSpans.Uint32(r, st.SpanCount)
		s.statsErrors.Uint32(r, st.ErrorCount)
	}

	if len(t.ResourceSpans) == 0 {
		s.rsNulls(0, 0)
	}
	for i := range t.ResourceSpans {
		s.resourceSpans(&t.ResourceSpans[i], rep(i, 0, s.rsRep))
	}
}

func (s *shredWriter) resourceSpans(rs *vparquet.ResourceSpans, r byte) {
	res := &rs.Resource
	s.resName.String(r, res.ServiceName)
	s.resAttrs.write(res.Attrs, r, s.rsDef)
	s.resDropped.Int32(r, res.DroppedAttributesCount)
	s.resDed.write(&res.DedicatedAttributes, r, s.rsDef)

	if len(rs.ScopeSpans) == 0 {
		s.ssNulls(r, s.rsDef)
	}
	for i := range rs.ScopeSpans {
		ss := &rs.ScopeSpans[i]
		r := rep(i, r, s.ssRep)
		s.scopeName.String(r, ss.Scope.Name)
		s.scopeVersion.String(r, ss.Scope.Version)
		s.scopeAttrs.write(ss.Scope.Attrs, r, s.ssDef)
		s.scopeDropped.Int32(r, ss.Scope.DroppedAttributesCount)
		if len(ss.Spans) == 0 {
			s.spanNulls(r, s.ssDef)
		}
		for j := range ss.Spans {
			s.span(&ss.Spans[j], rep(j, r, s.spanRep))
		}
		s.spanCount.Int32(r, ss.SpanCount)
	}
}

func (s *shredWriter) span(sp *vparquet.Span, r byte) {
	s.spanID.Bytes(r, sp.SpanID)
	s.parentSpanID.Bytes(r, sp.ParentSpanID)
	s.parentID.Int32(r, sp.ParentID)
	s.left.Int32(r, sp.NestedSetLeft)
	s.right.Int32(r, sp.NestedSetRight)
	s.childCount.Int32(r, sp.ChildCount)
	s.name.String(r, sp.Name)
	s.kind.Int64(r, sp.Kind)
	s.traceState.String(r, sp.TraceState)
	s.spanStart.Uint64(r, sp.StartTimeUnixNano)
	s.spanDuration.Uint64(r, sp.DurationNano)
	s.statusCode.Int64(r, sp.StatusCode)
	s.statusMessage.String(r, sp.StatusMessage)
	s.spanAttrs.write(sp.Attrs, r, s.spanDef)
	s.spanDropped.Int32(r, sp.DroppedAttributesCount)

	if len(sp.Events) == 0 {
		s.eventNulls(r, s.spanDef)
	}
	for i := range sp.Events {
		ev := &sp.Events[i]
		r := rep(i, r, s.evRep)
		s.evTime.Uint64(r, ev.TimeSinceStartNano)
		s.evName.String(r, ev.Name)
		s.evAttrs.write(ev.Attrs, r, s.evDef)
		s.evDropped.Int32(r, ev.DroppedAttributesCount)
		s.evDed.write(&ev.DedicatedAttributes, r, s.evDef)
	}
	s.droppedEvents.Int32(r, sp.DroppedEventsCount)

	if len(sp.Links) == 0 {
		s.linkNulls(r, s.spanDef)
	}
	for i := range sp.Links {
		l := &sp.Links[i]
		r := rep(i, r, s.linkRep)
		s.linkTraceID.Bytes(r, l.TraceID)
		s.linkSpanID.Bytes(r, l.SpanID)
		s.linkState.String(r, l.TraceState)
		s.linkAttrs.write(l.Attrs, r, s.linkDef)
		s.linkDropped.Int32(r, l.DroppedAttributesCount)
	}
	s.droppedLinks.Int32(r, sp.DroppedLinksCount)
	s.spanDed.write(&sp.DedicatedAttributes, r, s.spanDef)
	s.round15.Uint32(r, sp.StartTimeRounded15)
	s.round60.Uint32(r, sp.StartTimeRounded60)
	s.round300.Uint32(r, sp.StartTimeRounded300)
	s.round3600.Uint32(r, sp.StartTimeRounded3600)
}

// rep is the repetition level of element i of a list whose parent is at
// level parent and whose own level is own.
func rep(i int, parent, own byte) byte {
	if i == 0 {
		return parent
	}
	return own
}

func nulls(r, d byte, cols ...*colwriter.Column) {
	for _, c := range cols {
		c.Null(r, d)
	}
}

// The nulls of an empty list: every leaf under it at the parent's levels.

func (s *shredWriter) rsNulls(r, d byte) {
	nulls(r, d, s.resName, s.resDropped)
	s.resAttrs.nulls(r, d)
	s.resDed.nulls(r, d)
	s.ssNulls(r, d)
}

func (s *shredWriter) ssNulls(r, d byte) {
	nulls(r, d, s.scopeName, s.scopeVersion, s.scopeDropped, s.spanCount)
	s.scopeAttrs.nulls(r, d)
	s.spanNulls(r, d)
}

func (s *shredWriter) spanNulls(r, d byte) {
	nulls(r, d, s.spanID, s.parentSpanID, s.parentID, s.left, s.right, s.childCount, s.name, s.kind,
		s.traceState, s.spanStart, s.spanDuration, s.statusCode, s.statusMessage, s.spanDropped,
		s.droppedEvents, s.droppedLinks, s.round15, s.round60, s.round300, s.round3600)
	s.spanAttrs.nulls(r, d)
	s.spanDed.nulls(r, d)
	s.eventNulls(r, d)
	s.linkNulls(r, d)
}

func (s *shredWriter) eventNulls(r, d byte) {
	nulls(r, d, s.evTime, s.evName, s.evDropped)
	s.evAttrs.nulls(r, d)
	s.evDed.nulls(r, d)
}

func (s *shredWriter) linkNulls(r, d byte) {
	nulls(r, d, s.linkTraceID, s.linkSpanID, s.linkState, s.linkDropped)
	s.linkAttrs.nulls(r, d)
}

// write writes a list of attributes under a parent element at (r, d).
func (a *attrCols) write(attrs []vparquet.Attribute, r, d byte) {
	if len(attrs) == 0 {
		a.nulls(r, d)
		return
	}
	for i := range attrs {
		at := &attrs[i]
		r := rep(i, r, a.rep)
		a.key.String(r, at.Key)
		a.isArray.Bool(r, at.IsArray)
		if len(at.Value) == 0 {
			a.value.Null(r, a.def)
		}
		for j, v := range at.Value {
			a.value.String(rep(j, r, a.rep+1), v)
		}
		if len(at.ValueInt) == 0 {
			a.valueInt.Null(r, a.def)
		}
		for j, v := range at.ValueInt {
			a.valueInt.Int64(rep(j, r, a.rep+1), v)
		}
		if len(at.ValueDouble) == 0 {
			a.valueDouble.Null(r, a.def)
		}
		for j, v := range at.ValueDouble {
			a.valueDouble.Double(rep(j, r, a.rep+1), v)
		}
		if len(at.ValueBool) == 0 {
			a.valueBool.Null(r, a.def)
		}
		for j, v := range at.ValueBool {
			a.valueBool.Bool(rep(j, r, a.rep+1), v)
		}
		if at.ValueUnsupported != nil {
			a.unsupported.String(r, *at.ValueUnsupported)
		} else {
			a.unsupported.Null(r, a.def)
		}
	}
}

func (a *attrCols) nulls(r, d byte) {
	nulls(r, d, a.key, a.isArray, a.value, a.valueInt, a.valueDouble, a.valueBool, a.unsupported)
}

// write writes a scope's dedicated columns (each a list) under a parent
// element at (r, d); pruned slots are nil columns.
func (dc *dedCols) write(v *vparquet.DedicatedAttributes, r, d byte) {
	for _, s := range dc.str {
		c, vs := s.col, *v.Str(s.slot)
		if len(vs) == 0 {
			c.Null(r, d)
		}
		for j, x := range vs {
			c.String(rep(j, r, c.MaxRep()), x)
		}
	}
	for _, s := range dc.num {
		c, vs := s.col, *v.Int(s.slot)
		if len(vs) == 0 {
			c.Null(r, d)
		}
		for j, x := range vs {
			c.Int64(rep(j, r, c.MaxRep()), x)
		}
	}
}

func (dc *dedCols) nulls(r, d byte) {
	for _, s := range dc.str {
		s.col.Null(r, d)
	}
	for _, s := range dc.num {
		s.col.Null(r, d)
	}
}
