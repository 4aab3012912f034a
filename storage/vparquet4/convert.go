package vparquet4

import (
	"slices"
	"strings"

	"github.com/tempoctl/tempoctl/storage/vparquet"
)

// Well-known resource columns in read-back order (spec §14).
var resourceWellKnown = []struct {
	key string
	get func(*Resource) **string
}{
	{"cluster", func(r *Resource) **string { return &r.Cluster }},
	{"namespace", func(r *Resource) **string { return &r.Namespace }},
	{"pod", func(r *Resource) **string { return &r.Pod }},
	{"container", func(r *Resource) **string { return &r.Container }},
	{"k8s.cluster.name", func(r *Resource) **string { return &r.K8sClusterName }},
	{"k8s.namespace.name", func(r *Resource) **string { return &r.K8sNamespaceName }},
	{"k8s.pod.name", func(r *Resource) **string { return &r.K8sPodName }},
	{"k8s.container.name", func(r *Resource) **string { return &r.K8sContainerName }},
}

// scalarString returns the value of a non-array single-string attribute.
func scalarString(a *vparquet.Attribute) (string, bool) {
	if a.IsArray || len(a.Value) != 1 || len(a.ValueInt)+len(a.ValueDouble)+len(a.ValueBool) > 0 || a.ValueUnsupported != nil {
		return "", false
	}
	return a.Value[0], true
}

func scalarInt(a *vparquet.Attribute) (int64, bool) {
	if a.IsArray || len(a.ValueInt) != 1 || len(a.Value)+len(a.ValueDouble)+len(a.ValueBool) > 0 || a.ValueUnsupported != nil {
		return 0, false
	}
	return a.ValueInt[0], true
}

// fromRow maps the row model to a vParquet4 row.
func fromRow(in *vparquet.Trace, out *Trace) {
	*out = Trace{
		TraceID: in.TraceID, TraceIDText: in.TraceIDText,
		StartTimeUnixNano: in.StartTimeUnixNano, EndTimeUnixNano: in.EndTimeUnixNano, DurationNano: in.DurationNano,
		RootServiceName: in.RootServiceName, RootSpanName: in.RootSpanName,
		ServiceStats:  make(map[string]ServiceStats, len(in.ServiceStats)),
		ResourceSpans: make([]ResourceSpans, len(in.ResourceSpans)),
	}
	for _, s := range in.ServiceStats {
		out.ServiceStats[s.ServiceName] = ServiceStats{SpanCount: s.SpanCount, ErrorCount: s.ErrorCount}
	}
	for i := range in.ResourceSpans {
		irs, ors := &in.ResourceSpans[i], &out.ResourceSpans[i]
		ors.Resource = Resource{ServiceName: irs.Resource.ServiceName, DroppedAttributesCount: irs.Resource.DroppedAttributesCount}
		for j := range irs.Resource.Attrs {
			a := &irs.Resource.Attrs[j]
			if v, ok := scalarString(a); ok {
				if k := slices.IndexFunc(resourceWellKnown, func(w struct {
					key string
					get func(*Resource) **string
				}) bool {
					return w.key == a.Key
				}); k >= 0 && *resourceWellKnown[k].get(&ors.Resource) == nil {
					*resourceWellKnown[k].get(&ors.Resource) = &v
					continue
				}
			}
			ors.Resource.Attrs = append(ors.Resource.Attrs, fromAttr(a))
		}
		fromDedicated(&irs.Resource.DedicatedAttributes, &ors.Resource.DedicatedAttributes)
		ors.ScopeSpans = make([]ScopeSpans, len(irs.ScopeSpans))
		for j := range irs.ScopeSpans {
			iss, oss := &irs.ScopeSpans[j], &ors.ScopeSpans[j]
			oss.Scope = Scope{Name: iss.Scope.Name, Version: iss.Scope.Version, DroppedAttributesCount: iss.Scope.DroppedAttributesCount, Attrs: fromAttrs(iss.Scope.Attrs)}
			oss.Spans = make([]Span, len(iss.Spans))
			for k := range iss.Spans {
				fromSpan(&iss.Spans[k], &oss.Spans[k])
			}
		}
	}
}

func fromSpan(s *vparquet.Span, o *Span) {
	*o = Span{
		SpanID: s.SpanID, ParentSpanID: s.ParentSpanID, ParentID: s.ParentID,
		NestedSetLeft: s.NestedSetLeft, NestedSetRight: s.NestedSetRight,
		Name: s.Name, Kind: s.Kind, TraceState: s.TraceState,
		StartTimeUnixNano: s.StartTimeUnixNano, DurationNano: s.DurationNano,
		StatusCode: s.StatusCode, StatusMessage: s.StatusMessage,
		DroppedAttributesCount: s.DroppedAttributesCount,
		DroppedEventsCount:     s.DroppedEventsCount,
		DroppedLinksCount:      s.DroppedLinksCount,
	}
	for i := range s.Attrs {
		a := &s.Attrs[i]
		switch a.Key {
		case "http.method", "http.url":
			dst := &o.HttpMethod
			if a.Key == "http.url" {
				dst = &o.HttpUrl
			}
			if v, ok := scalarString(a); ok && *dst == nil {
				*dst = &v
				continue
			}
		case "http.status_code":
			if v, ok := scalarInt(a); ok && o.HttpStatusCode == nil {
				o.HttpStatusCode = &v
				continue
			}
		}
		o.Attrs = append(o.Attrs, fromAttr(a))
	}
	fromDedicated(&s.DedicatedAttributes, &o.DedicatedAttributes)
	if len(s.Events) > 0 {
		o.Events = make([]Event, len(s.Events))
		for i, e := range s.Events {
			o.Events[i] = Event{TimeSinceStartNano: e.TimeSinceStartNano, Name: e.Name, DroppedAttributesCount: e.DroppedAttributesCount, Attrs: fromAttrs(e.Attrs)}
		}
	}
	if len(s.Links) > 0 {
		o.Links = make([]Link, len(s.Links))
		for i, l := range s.Links {
			o.Links[i] = Link{TraceID: l.TraceID, SpanID: l.SpanID, TraceState: l.TraceState, DroppedAttributesCount: l.DroppedAttributesCount, Attrs: fromAttrs(l.Attrs)}
		}
	}
}

func fromDedicated(in *vparquet.DedicatedAttributes, out *Dedicated) {
	for i := 0; i < dedicatedSlots; i++ {
		if v := *in.Str(i); len(v) > 0 {
			*out.slot(i) = &v[0]
		}
	}
}

func fromAttr(a *vparquet.Attribute) Attribute {
	return Attribute{Key: a.Key, IsArray: a.IsArray, Value: a.Value, ValueInt: a.ValueInt, ValueDouble: a.ValueDouble, ValueBool: a.ValueBool, ValueUnsupported: a.ValueUnsupported}
}

func fromAttrs(as []vparquet.Attribute) []Attribute {
	if len(as) == 0 {
		return nil
	}
	out := make([]Attribute, len(as))
	for i := range as {
		out[i] = fromAttr(&as[i])
	}
	return out
}

func toAttrs(as []Attribute) []vparquet.Attribute {
	if len(as) == 0 {
		return nil
	}
	out := make([]vparquet.Attribute, len(as))
	for i, a := range as {
		out[i] = vparquet.Attribute{Key: a.Key, IsArray: a.IsArray, Value: a.Value, ValueInt: a.ValueInt, ValueDouble: a.ValueDouble, ValueBool: a.ValueBool, ValueUnsupported: a.ValueUnsupported}
	}
	return out
}

func strAttr(k, v string) vparquet.Attribute { return vparquet.Attribute{Key: k, Value: []string{v}} }

// toRow maps a vParquet4 row to the row model.
func toRow(in *Trace, out *vparquet.Trace) {
	*out = vparquet.Trace{
		TraceID: in.TraceID, TraceIDText: in.TraceIDText,
		StartTimeUnixNano: in.StartTimeUnixNano, EndTimeUnixNano: in.EndTimeUnixNano, DurationNano: in.DurationNano,
		RootServiceName: in.RootServiceName, RootSpanName: in.RootSpanName,
		ResourceSpans: make([]vparquet.ResourceSpans, len(in.ResourceSpans)),
	}
	for name, s := range in.ServiceStats {
		out.ServiceStats = append(out.ServiceStats, vparquet.ServiceStats{ServiceName: name, SpanCount: s.SpanCount, ErrorCount: s.ErrorCount})
	}
	slices.SortFunc(out.ServiceStats, func(a, b vparquet.ServiceStats) int { return strings.Compare(a.ServiceName, b.ServiceName) })
	for i := range in.ResourceSpans {
		irs, ors := &in.ResourceSpans[i], &out.ResourceSpans[i]
		ors.Resource = vparquet.Resource{ServiceName: irs.Resource.ServiceName, DroppedAttributesCount: irs.Resource.DroppedAttributesCount, Attrs: toAttrs(irs.Resource.Attrs)}
		for _, w := range resourceWellKnown {
			if v := *w.get(&irs.Resource); v != nil {
				ors.Resource.WellKnown = append(ors.Resource.WellKnown, strAttr(w.key, *v))
			}
		}
		toDedicated(&irs.Resource.DedicatedAttributes, &ors.Resource.DedicatedAttributes)
		ors.ScopeSpans = make([]vparquet.ScopeSpans, len(irs.ScopeSpans))
		for j := range irs.ScopeSpans {
			iss, oss := &irs.ScopeSpans[j], &ors.ScopeSpans[j]
			oss.Scope = vparquet.Scope{Name: iss.Scope.Name, Version: iss.Scope.Version, DroppedAttributesCount: iss.Scope.DroppedAttributesCount, Attrs: toAttrs(iss.Scope.Attrs)}
			oss.Spans = make([]vparquet.Span, len(iss.Spans))
			oss.SpanCount = int32(len(iss.Spans))
			for k := range iss.Spans {
				toSpan(&iss.Spans[k], &oss.Spans[k])
			}
		}
	}
}

func toSpan(s *Span, o *vparquet.Span) {
	*o = vparquet.Span{
		SpanID: s.SpanID, ParentSpanID: s.ParentSpanID, ParentID: s.ParentID,
		NestedSetLeft: s.NestedSetLeft, NestedSetRight: s.NestedSetRight,
		Name: s.Name, Kind: s.Kind, TraceState: s.TraceState,
		StartTimeUnixNano: s.StartTimeUnixNano, DurationNano: s.DurationNano,
		StatusCode: s.StatusCode, StatusMessage: s.StatusMessage,
		Attrs:                  toAttrs(s.Attrs),
		DroppedAttributesCount: s.DroppedAttributesCount,
		DroppedEventsCount:     s.DroppedEventsCount,
		DroppedLinksCount:      s.DroppedLinksCount,
	}
	if s.HttpMethod != nil {
		o.WellKnown = append(o.WellKnown, strAttr("http.method", *s.HttpMethod))
	}
	if s.HttpUrl != nil {
		o.WellKnown = append(o.WellKnown, strAttr("http.url", *s.HttpUrl))
	}
	if s.HttpStatusCode != nil {
		o.WellKnown = append(o.WellKnown, vparquet.Attribute{Key: "http.status_code", ValueInt: []int64{*s.HttpStatusCode}})
	}
	toDedicated(&s.DedicatedAttributes, &o.DedicatedAttributes)
	if len(s.Events) > 0 {
		o.Events = make([]vparquet.Event, len(s.Events))
		for i, e := range s.Events {
			o.Events[i] = vparquet.Event{TimeSinceStartNano: e.TimeSinceStartNano, Name: e.Name, DroppedAttributesCount: e.DroppedAttributesCount, Attrs: toAttrs(e.Attrs)}
		}
	}
	if len(s.Links) > 0 {
		o.Links = make([]vparquet.Link, len(s.Links))
		for i, l := range s.Links {
			o.Links[i] = vparquet.Link{TraceID: l.TraceID, SpanID: l.SpanID, TraceState: l.TraceState, DroppedAttributesCount: l.DroppedAttributesCount, Attrs: toAttrs(l.Attrs)}
		}
	}
}

func toDedicated(in *Dedicated, out *vparquet.DedicatedAttributes) {
	for i := 0; i < dedicatedSlots; i++ {
		if v := *in.slot(i); v != nil {
			*out.Str(i) = []string{*v}
		}
	}
}
