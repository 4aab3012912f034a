// Package tracecmp compares traces for tests: as sets of spans keyed by
// (trace ID, span ID), each span with its resource and scope, attributes as
// maps. Order of spans, resources and attributes is not part of the contract.
package tracecmp

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Span is a span flattened with its context.
type Span struct {
	TraceID, SpanID, ParentSpanID string
	Name                          string
	Kind                          string
	Start, End                    uint64
	StatusCode                    string
	StatusMessage                 string
	TraceState                    string
	Attrs                         map[string]any
	Resource                      map[string]any
	Scope                         string
	ScopeAttrs                    map[string]any
	Events                        []Event
	Links                         []Link
	Dropped                       [3]uint32
}

// Event is a span event.
type Event struct {
	Time  uint64
	Name  string
	Attrs map[string]any
}

// Link is a span link.
type Link struct {
	TraceID, SpanID, TraceState string
	Attrs                       map[string]any
}

// Options relax the comparison where a format is lossy by design.
type Options struct {
	// IgnoreSchemaURL and flags are never stored; they are always ignored.
	// Normalize, when set, rewrites attribute maps (e.g. 1-element arrays of
	// dedicated columns read back as scalars).
	Normalize func(key string, v any) (any, bool)
}

// Flatten returns the spans of td keyed by trace ID + span ID.
func Flatten(td ptrace.Traces, o Options) map[string]Span {
	out := map[string]Span{}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := attrs(rs.Resource().Attributes().AsRaw(), o)
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			scope := ss.Scope().Name() + "@" + ss.Scope().Version()
			sattrs := attrs(ss.Scope().Attributes().AsRaw(), o)
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				s := spans.At(k)
				v := Span{
					TraceID: s.TraceID().String(), SpanID: s.SpanID().String(), ParentSpanID: s.ParentSpanID().String(),
					Name: s.Name(), Kind: s.Kind().String(),
					Start: uint64(s.StartTimestamp()), End: uint64(s.EndTimestamp()),
					StatusCode: s.Status().Code().String(), StatusMessage: s.Status().Message(),
					TraceState: s.TraceState().AsRaw(),
					Attrs:      attrs(s.Attributes().AsRaw(), o),
					Resource:   res, Scope: scope, ScopeAttrs: sattrs,
					Dropped: [3]uint32{s.DroppedAttributesCount(), s.DroppedEventsCount(), s.DroppedLinksCount()},
				}
				for e := 0; e < s.Events().Len(); e++ {
					ev := s.Events().At(e)
					v.Events = append(v.Events, Event{Time: uint64(ev.Timestamp()), Name: ev.Name(), Attrs: attrs(ev.Attributes().AsRaw(), o)})
				}
				for l := 0; l < s.Links().Len(); l++ {
					lk := s.Links().At(l)
					v.Links = append(v.Links, Link{TraceID: lk.TraceID().String(), SpanID: lk.SpanID().String(), TraceState: lk.TraceState().AsRaw(), Attrs: attrs(lk.Attributes().AsRaw(), o)})
				}
				out[v.TraceID+"/"+v.SpanID+"/"+v.Kind] = v
			}
		}
	}
	return out
}

func attrs(m map[string]any, o Options) map[string]any {
	if len(m) == 0 {
		return nil
	}
	if o.Normalize == nil {
		return m
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if nv, keep := o.Normalize(k, v); keep {
			out[k] = nv
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Diff lists differences between want and got (empty when equal), at most
// max entries.
func Diff(want, got ptrace.Traces, o Options, max int) []string {
	w, g := Flatten(want, o), Flatten(got, o)
	var out []string
	for _, k := range slices.Sorted(maps.Keys(w)) {
		if len(out) >= max {
			break
		}
		gs, ok := g[k]
		if !ok {
			out = append(out, "missing span "+k)
			continue
		}
		if d := diffSpan(w[k], gs); d != "" {
			out = append(out, k+": "+d)
		}
	}
	for k := range g {
		if _, ok := w[k]; !ok && len(out) < max {
			out = append(out, "unexpected span "+k)
		}
	}
	return out
}

func diffSpan(a, b Span) string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var ds []string
	for i := 0; i < va.NumField(); i++ {
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			ds = append(ds, fmt.Sprintf("%s: want %v, got %v", va.Type().Field(i).Name, va.Field(i).Interface(), vb.Field(i).Interface()))
		}
	}
	return strings.Join(ds, "; ")
}
