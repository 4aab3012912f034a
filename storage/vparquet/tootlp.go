package vparquet

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// ToOTLP turns a row back into OTLP (spec §10).
func ToOTLP(tr *Trace, a *Assignment) ptrace.Traces {
	td := ptrace.NewTraces()
	AppendOTLP(td, tr, a)
	return td
}

// AppendOTLP appends the row's resource spans to td.
func AppendOTLP(td ptrace.Traces, tr *Trace, a *Assignment) {
	var tid pcommon.TraceID
	copy(tid[:], tr.TraceID)
	rss := td.ResourceSpans()
	rss.EnsureCapacity(rss.Len() + len(tr.ResourceSpans))
	for i := range tr.ResourceSpans {
		rs := &tr.ResourceSpans[i]
		ors := rss.AppendEmpty()
		res := ors.Resource()
		res.SetDroppedAttributesCount(uint32(rs.Resource.DroppedAttributesCount))
		m := res.Attributes()
		m.EnsureCapacity(len(rs.Resource.Attrs) + len(a.Resource) + 1 + len(rs.Resource.WellKnown))
		for j := range rs.Resource.Attrs {
			decodeAttr(&rs.Resource.Attrs[j], m)
		}
		readBack(&rs.Resource.DedicatedAttributes, a.Resource, m)
		if rs.Resource.ServiceName != "" {
			m.PutStr(serviceNameKey, rs.Resource.ServiceName)
		}
		for j := range rs.Resource.WellKnown {
			decodeAttr(&rs.Resource.WellKnown[j], m)
		}
		oss := ors.ScopeSpans()
		oss.EnsureCapacity(len(rs.ScopeSpans))
		for j := range rs.ScopeSpans {
			ss := &rs.ScopeSpans[j]
			os := oss.AppendEmpty()
			sc := os.Scope()
			sc.SetName(ss.Scope.Name)
			sc.SetVersion(ss.Scope.Version)
			sc.SetDroppedAttributesCount(uint32(ss.Scope.DroppedAttributesCount))
			for k := range ss.Scope.Attrs {
				decodeAttr(&ss.Scope.Attrs[k], sc.Attributes())
			}
			ospans := os.Spans()
			ospans.EnsureCapacity(len(ss.Spans))
			for k := range ss.Spans {
				spanToOTLP(&ss.Spans[k], tid, a, ospans.AppendEmpty())
			}
		}
	}
}

func spanToOTLP(s *Span, tid pcommon.TraceID, a *Assignment, o ptrace.Span) {
	o.SetTraceID(tid)
	var sid, pid pcommon.SpanID
	copy(sid[:], s.SpanID)
	o.SetSpanID(sid)
	if len(s.ParentSpanID) > 0 {
		copy(pid[:], s.ParentSpanID)
		o.SetParentSpanID(pid)
	}
	o.SetName(s.Name)
	o.SetKind(ptrace.SpanKind(s.Kind))
	o.TraceState().FromRaw(s.TraceState)
	o.SetStartTimestamp(pcommon.Timestamp(s.StartTimeUnixNano))
	o.SetEndTimestamp(pcommon.Timestamp(s.StartTimeUnixNano + s.DurationNano))
	o.Status().SetCode(ptrace.StatusCode(s.StatusCode))
	o.Status().SetMessage(s.StatusMessage)
	o.SetDroppedAttributesCount(uint32(s.DroppedAttributesCount))
	o.SetDroppedEventsCount(uint32(s.DroppedEventsCount))
	o.SetDroppedLinksCount(uint32(s.DroppedLinksCount))
	m := o.Attributes()
	m.EnsureCapacity(len(s.Attrs) + len(a.Span) + len(s.WellKnown))
	for i := range s.Attrs {
		decodeAttr(&s.Attrs[i], m)
	}
	readBack(&s.DedicatedAttributes, a.Span, m)
	for i := range s.WellKnown {
		decodeAttr(&s.WellKnown[i], m)
	}
	if len(s.Events) > 0 {
		evs := o.Events()
		evs.EnsureCapacity(len(s.Events))
		for i := range s.Events {
			e := &s.Events[i]
			oe := evs.AppendEmpty()
			oe.SetTimestamp(pcommon.Timestamp(s.StartTimeUnixNano + e.TimeSinceStartNano))
			oe.SetName(e.Name)
			oe.SetDroppedAttributesCount(uint32(e.DroppedAttributesCount))
			for j := range e.Attrs {
				decodeAttr(&e.Attrs[j], oe.Attributes())
			}
			readBack(&e.DedicatedAttributes, a.Event, oe.Attributes())
		}
	}
	if len(s.Links) > 0 {
		ls := o.Links()
		ls.EnsureCapacity(len(s.Links))
		for i := range s.Links {
			l := &s.Links[i]
			ol := ls.AppendEmpty()
			var ltid pcommon.TraceID
			var lsid pcommon.SpanID
			copy(ltid[:], l.TraceID)
			copy(lsid[:], l.SpanID)
			ol.SetTraceID(ltid)
			ol.SetSpanID(lsid)
			ol.TraceState().FromRaw(l.TraceState)
			ol.SetDroppedAttributesCount(uint32(l.DroppedAttributesCount))
			for j := range l.Attrs {
				decodeAttr(&l.Attrs[j], ol.Attributes())
			}
		}
	}
}
