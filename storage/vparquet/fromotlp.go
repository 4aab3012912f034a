package vparquet

import (
	"cmp"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
)

const serviceNameKey = "service.name"

// FromOTLP fills tr (reset first) with one trace's row (spec §7.4): all spans
// of td must share the trace ID id.
func FromOTLP(id model.TraceID, td ptrace.Traces, a *Assignment, tr *Trace) {
	*tr = Trace{TraceID: append([]byte(nil), id[:]...), TraceIDText: id.Text()}
	traceLevel(id, td, tr)

	rss := td.ResourceSpans()
	tr.ResourceSpans = make([]ResourceSpans, 0, rss.Len())
	for i := 0; i < rss.Len(); i++ {
		tr.ResourceSpans = append(tr.ResourceSpans, resourceSpans(rss.At(i), a))
	}
	rebatch(tr)
	serviceStats(tr)
	AssignNestedSets(tr)
	for i := range tr.ResourceSpans {
		for j := range tr.ResourceSpans[i].ScopeSpans {
			ss := &tr.ResourceSpans[i].ScopeSpans[j]
			ss.SpanCount = int32(len(ss.Spans))
		}
	}
}

func traceLevel(id model.TraceID, td ptrace.Traces, tr *Trace) {
	var start, end uint64
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		svc := ""
		if v, ok := rs.Resource().Attributes().Get(serviceNameKey); ok && v.Type() == pcommon.ValueTypeStr {
			svc = v.Str()
		}
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				s := spans.At(k)
				st := uint64(s.StartTimestamp())
				if start == 0 || st < start {
					start = st
				}
				end = max(end, uint64(s.EndTimestamp()))
				if isRoot(id, s) {
					tr.RootSpanName, tr.RootServiceName = s.Name(), svc
				}
			}
		}
	}
	tr.StartTimeUnixNano, tr.EndTimeUnixNano, tr.DurationNano = start, end, end-start
}

// isRoot: no parent, and no child_of link into the same trace (OpenTracing
// bridges record the real parent as such a link).
func isRoot(id model.TraceID, s ptrace.Span) bool {
	if !s.ParentSpanID().IsEmpty() {
		return false
	}
	links := s.Links()
	for i := 0; i < links.Len(); i++ {
		l := links.At(i)
		if model.TraceID(l.TraceID()) != id {
			continue
		}
		if v, ok := l.Attributes().Get("opentracing.ref_type"); ok && v.Type() == pcommon.ValueTypeStr && v.Str() == "child_of" {
			return false
		}
	}
	return true
}

func resourceSpans(rs ptrace.ResourceSpans, a *Assignment) ResourceSpans {
	res := rs.Resource()
	out := ResourceSpans{Resource: Resource{DroppedAttributesCount: int32(res.DroppedAttributesCount())}}
	for k, v := range res.Attributes().All() {
		if k == serviceNameKey && v.Type() == pcommon.ValueTypeStr {
			out.Resource.ServiceName = v.Str()
			continue
		}
		if s, ok := a.Resource.Find(k); ok && a.put(&out.Resource.DedicatedAttributes, s, v) {
			continue
		}
		out.Resource.Attrs = append(out.Resource.Attrs, encodeAttr(k, v))
	}
	sss := rs.ScopeSpans()
	out.ScopeSpans = make([]ScopeSpans, 0, sss.Len())
	for i := 0; i < sss.Len(); i++ {
		out.ScopeSpans = append(out.ScopeSpans, scopeSpans(sss.At(i), a))
	}
	return out
}

func scopeSpans(ss ptrace.ScopeSpans, a *Assignment) ScopeSpans {
	sc := ss.Scope()
	out := ScopeSpans{Scope: Scope{Name: sc.Name(), Version: sc.Version(), DroppedAttributesCount: int32(sc.DroppedAttributesCount())}}
	for k, v := range sc.Attributes().All() {
		out.Scope.Attrs = append(out.Scope.Attrs, encodeAttr(k, v))
	}
	spans := ss.Spans()
	out.Spans = make([]Span, spans.Len())
	for i := range out.Spans {
		fillSpan(&out.Spans[i], spans.At(i), a)
	}
	return out
}

func fillSpan(out *Span, s ptrace.Span, a *Assignment) {
	sid, pid := s.SpanID(), s.ParentSpanID()
	start := uint64(s.StartTimestamp())
	*out = Span{
		SpanID:                 append([]byte(nil), sid[:]...),
		Name:                   s.Name(),
		Kind:                   int64(s.Kind()),
		TraceState:             s.TraceState().AsRaw(),
		StartTimeUnixNano:      start,
		DurationNano:           uint64(s.EndTimestamp()) - start,
		StatusCode:             int64(s.Status().Code()),
		StatusMessage:          s.Status().Message(),
		DroppedAttributesCount: int32(s.DroppedAttributesCount()),
		DroppedEventsCount:     int32(s.DroppedEventsCount()),
		DroppedLinksCount:      int32(s.DroppedLinksCount()),
		StartTimeRounded15:     roundedStart(start, 15),
		StartTimeRounded60:     roundedStart(start, 60),
		StartTimeRounded300:    roundedStart(start, 300),
		StartTimeRounded3600:   roundedStart(start, 3600),
	}
	if sid.IsEmpty() {
		out.SpanID = []byte{}
	}
	if pid.IsEmpty() {
		out.ParentSpanID = []byte{}
	} else {
		out.ParentSpanID = append([]byte(nil), pid[:]...)
	}
	for k, v := range s.Attributes().All() {
		if sl, ok := a.Span.Find(k); ok && a.put(&out.DedicatedAttributes, sl, v) {
			continue
		}
		out.Attrs = append(out.Attrs, encodeAttr(k, v))
	}
	evs := s.Events()
	if evs.Len() > 0 {
		out.Events = make([]Event, evs.Len())
	}
	for i := 0; i < evs.Len(); i++ {
		e := evs.At(i)
		ev := &out.Events[i]
		ev.TimeSinceStartNano = uint64(e.Timestamp()) - start
		ev.Name = e.Name()
		ev.DroppedAttributesCount = int32(e.DroppedAttributesCount())
		for k, v := range e.Attributes().All() {
			if sl, ok := a.Event.Find(k); ok && a.put(&ev.DedicatedAttributes, sl, v) {
				continue
			}
			ev.Attrs = append(ev.Attrs, encodeAttr(k, v))
		}
	}
	links := s.Links()
	if links.Len() > 0 {
		out.Links = make([]Link, links.Len())
	}
	for i := 0; i < links.Len(); i++ {
		l := links.At(i)
		tid, lsid := l.TraceID(), l.SpanID()
		lk := &out.Links[i]
		lk.TraceID = append([]byte(nil), tid[:]...)
		lk.SpanID = append([]byte(nil), lsid[:]...)
		lk.TraceState = l.TraceState().AsRaw()
		lk.DroppedAttributesCount = int32(l.DroppedAttributesCount())
		for k, v := range l.Attributes().All() {
			lk.Attrs = append(lk.Attrs, encodeAttr(k, v))
		}
	}
}

// roundedStart is ceil(t/step)-1 in step units, 0 for t = 0 (spec §7.6).
func roundedStart(t uint64, stepSeconds uint64) uint32 {
	if t == 0 {
		return 0
	}
	step := stepSeconds * 1e9
	k := t / step
	if t%step == 0 {
		k--
	}
	return uint32(k)
}

// rebatch merges identical resources, then identical scopes in each (§7.4),
// in place: groups keep the order of their first appearance.
func rebatch(tr *Trace) {
	sortAttrs := func(as []Attribute) {
		if len(as) > 1 {
			slices.SortStableFunc(as, func(x, y Attribute) int { return strings.Compare(x.Key, y.Key) })
		}
	}
	rss := tr.ResourceSpans
	n := 0
	for i := range rss {
		sortAttrs(rss[i].Resource.Attrs)
		j := 0
		for j < n && !sameResource(&rss[j].Resource, &rss[i].Resource) {
			j++
		}
		if j == n {
			if n != i {
				rss[n] = rss[i]
			}
			n++
			continue
		}
		rss[j].ScopeSpans = append(rss[j].ScopeSpans, rss[i].ScopeSpans...)
	}
	clear(rss[n:])
	tr.ResourceSpans = rss[:n]
	for i := range tr.ResourceSpans {
		sss := tr.ResourceSpans[i].ScopeSpans
		m := 0
		for k := range sss {
			sortAttrs(sss[k].Scope.Attrs)
			j := 0
			for j < m && !sameScope(&sss[j].Scope, &sss[k].Scope) {
				j++
			}
			if j == m {
				if m != k {
					sss[m] = sss[k]
				}
				m++
				continue
			}
			sss[j].Spans = append(sss[j].Spans, sss[k].Spans...)
		}
		clear(sss[m:])
		tr.ResourceSpans[i].ScopeSpans = sss[:m]
	}
}

func sameScope(a, b *Scope) bool {
	return a.Name == b.Name && a.Version == b.Version && sameAttrs(a.Attrs, b.Attrs)
}

func sameResource(a, b *Resource) bool {
	if a.ServiceName != b.ServiceName || !sameAttrs(a.Attrs, b.Attrs) {
		return false
	}
	for i := 0; i < 10; i++ {
		if !slices.Equal(*a.DedicatedAttributes.Str(i), *b.DedicatedAttributes.Str(i)) {
			return false
		}
	}
	for i := 0; i < IntSlots; i++ {
		if !slices.Equal(*a.DedicatedAttributes.Int(i), *b.DedicatedAttributes.Int(i)) {
			return false
		}
	}
	return true
}

func sameAttrs(a, b []Attribute) bool {
	return slices.EqualFunc(a, b, func(x, y Attribute) bool {
		return x.Key == y.Key && x.IsArray == y.IsArray && slices.Equal(x.Value, y.Value) &&
			slices.Equal(x.ValueInt, y.ValueInt) && slices.Equal(x.ValueDouble, y.ValueDouble) &&
			slices.Equal(x.ValueBool, y.ValueBool) &&
			(x.ValueUnsupported == nil) == (y.ValueUnsupported == nil) &&
			(x.ValueUnsupported == nil || *x.ValueUnsupported == *y.ValueUnsupported)
	})
}

func serviceStats(tr *Trace) {
	tr.ServiceStats = tr.ServiceStats[:0]
	for _, rs := range tr.ResourceSpans {
		i := slices.IndexFunc(tr.ServiceStats, func(s ServiceStats) bool { return s.ServiceName == rs.Resource.ServiceName })
		if i < 0 {
			tr.ServiceStats = append(tr.ServiceStats, ServiceStats{ServiceName: rs.Resource.ServiceName})
			i = len(tr.ServiceStats) - 1
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				tr.ServiceStats[i].SpanCount++
				if s.StatusCode == int64(ptrace.StatusCodeError) {
					tr.ServiceStats[i].ErrorCount++
				}
			}
		}
	}
	slices.SortFunc(tr.ServiceStats, func(a, b ServiceStats) int { return cmp.Compare(a.ServiceName, b.ServiceName) })
}
