package querier

import (
	"slices"
	"strconv"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/traceql"
)

// Tag scopes as the API names them.
const (
	ScopeResource        = "resource"
	ScopeSpan            = "span"
	ScopeEvent           = "event"
	ScopeLink            = "link"
	ScopeInstrumentation = "instrumentation"
	ScopeIntrinsic       = "intrinsic"
)

// AttributeScopes are the scopes holding attributes, in answer order.
var AttributeScopes = []string{ScopeLink, ScopeEvent, ScopeResource, ScopeSpan, ScopeInstrumentation}

// Intrinsics is the static intrinsic list of /api/v2/search/tags
// (spec/http-api.md §4.2; span:childCount is deliberately not listed).
var Intrinsics = []string{"duration", "event:name", "event:timeSinceStart", "instrumentation:name", "instrumentation:version",
	"kind", "link:spanID", "link:traceID", "name", "rootName", "rootServiceName", "span:duration", "span:id", "span:kind", "span:name",
	"span:parentID", "span:status", "span:statusMessage", "status", "statusMessage", "trace:duration", "trace:id", "trace:rootName",
	"trace:rootService", "traceDuration"}

// TagValue is one typed value of /api/v2/search/tag/{name}/values.
type TagValue struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// collector gathers distinct names or values under the response limits.
// Sources add concurrently.
type collector struct {
	mu       sync.Mutex
	maxBytes int
	limit    int // entries (per scope for names); 0 = unlimited
	stale    int // stop after this many repeats in a row; 0 = never
	bytes    int
	repeats  int
	full     bool
	// inspected is the bytes read so far (for TagProgress).
	inspected uint64

	names  map[string]map[string]struct{}
	values map[TagValue]struct{}
}

func newCollector(maxBytes, limit, stale int) *collector {
	return &collector{maxBytes: maxBytes, limit: limit, stale: stale,
		names: map[string]map[string]struct{}{}, values: map[TagValue]struct{}{}}
}

func (c *collector) addInspected(n uint64) {
	c.mu.Lock()
	c.inspected += n
	c.mu.Unlock()
}

func (c *collector) inspectedBytes() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inspected
}

// done reports whether collecting should stop (a limit was reached).
func (c *collector) done() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.full
}

func (c *collector) seen() {
	c.repeats++
	if c.stale > 0 && c.repeats >= c.stale {
		c.full = true
	}
}

func (c *collector) addName(scope, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.full || name == "" {
		return
	}
	set := c.names[scope]
	if set == nil {
		set = map[string]struct{}{}
		c.names[scope] = set
	}
	if _, ok := set[name]; ok {
		c.seen()
		return
	}
	if c.limit > 0 && len(set) >= c.limit {
		return // this scope is full; others may not be
	}
	if c.bytes+len(name) > c.maxBytes {
		c.full = true
		return
	}
	c.repeats = 0
	c.bytes += len(name)
	set[name] = struct{}{}
}

func (c *collector) addValue(v TagValue) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.full {
		return
	}
	if _, ok := c.values[v]; ok {
		c.seen()
		return
	}
	if (c.limit > 0 && len(c.values) >= c.limit) || c.bytes+len(v.Value) > c.maxBytes {
		c.full = true
		return
	}
	c.repeats = 0
	c.bytes += len(v.Value)
	c.values[v] = struct{}{}
}

func (c *collector) sortedNames() map[string][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]string{}
	for scope, set := range c.names {
		if len(set) == 0 {
			continue
		}
		l := make([]string, 0, len(set))
		for n := range set {
			l = append(l, n)
		}
		slices.Sort(l)
		out[scope] = l
	}
	return out
}

func (c *collector) sortedValues() []TagValue {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]TagValue, 0, len(c.values))
	for v := range c.values {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b TagValue) int {
		if a.Value != b.Value {
			if a.Value < b.Value {
				return -1
			}
			return 1
		}
		if a.Type < b.Type {
			return -1
		}
		if a.Type > b.Type {
			return 1
		}
		return 0
	})
	return out
}

// spanFilter is the set of matching span IDs of one trace; nil keeps all.
type spanFilter map[pcommon.SpanID]struct{}

func (f spanFilter) keeps(id pcommon.SpanID) bool {
	if f == nil {
		return true
	}
	_, ok := f[id]
	return ok
}

// namesOf adds the attribute names of td's kept spans (and of their
// resources and scopes) for the wanted scopes.
func namesOf(td ptrace.Traces, keep spanFilter, want map[string]bool, c *collector) {
	addKeys := func(scope string, m pcommon.Map) {
		if !want[scope] {
			return
		}
		for k := range m.All() {
			c.addName(scope, k)
		}
	}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		resKept := false
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			scopeKept := false
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				if !keep.keeps(sp.SpanID()) {
					continue
				}
				scopeKept = true
				addKeys(ScopeSpan, sp.Attributes())
				for e := 0; e < sp.Events().Len(); e++ {
					addKeys(ScopeEvent, sp.Events().At(e).Attributes())
				}
				for l := 0; l < sp.Links().Len(); l++ {
					addKeys(ScopeLink, sp.Links().At(l).Attributes())
				}
			}
			if scopeKept {
				resKept = true
				addKeys(ScopeInstrumentation, ss.Scope().Attributes())
			}
		}
		if resKept {
			addKeys(ScopeResource, rs.Resource().Attributes())
		}
	}
}

// valueTarget says which values a tag-values request wants.
type valueTarget struct {
	attr       traceql.Attribute
	anyScope   bool // v1: the raw name in every attribute scope
	stringOnly bool // v1 answers strings only
}

// valuesOf adds the values of the target attribute found on td's kept spans.
func valuesOf(td ptrace.Traces, keep spanFilter, t valueTarget, c *collector) {
	a := t.attr
	add := func(v pcommon.Value) { addTyped(v, t.stringOnly, c) }
	lookup := func(m pcommon.Map) {
		if v, ok := m.Get(a.Name); ok {
			add(v)
		}
	}
	str := func(s string) {
		if s != "" {
			c.addValue(TagValue{Type: "string", Value: s})
		}
	}
	in := func(s traceql.Scope) bool {
		if a.Intrinsic != traceql.IntrinsicNone {
			return false
		}
		return t.anyScope || a.Scope == s || (a.Scope == traceql.ScopeNone && (s == traceql.ScopeSpan || s == traceql.ScopeResource))
	}
	rootDone, anyKept := false, false
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		resKept := false
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			scopeKept := false
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				isRoot := sp.ParentSpanID().IsEmpty()
				if isRoot && !rootDone && keep == nil {
					rootDone = true
					rootValues(a, rs, sp, str)
				}
				if !keep.keeps(sp.SpanID()) {
					continue
				}
				scopeKept, anyKept = true, true
				switch a.Intrinsic {
				case traceql.IntrinsicName:
					str(sp.Name())
				case traceql.IntrinsicStatusMessage:
					str(sp.Status().Message())
				case traceql.IntrinsicEventName:
					for e := 0; e < sp.Events().Len(); e++ {
						str(sp.Events().At(e).Name())
					}
				}
				if in(traceql.ScopeSpan) {
					lookup(sp.Attributes())
				}
				if in(traceql.ScopeEvent) {
					for e := 0; e < sp.Events().Len(); e++ {
						lookup(sp.Events().At(e).Attributes())
					}
				}
				if in(traceql.ScopeLink) {
					for l := 0; l < sp.Links().Len(); l++ {
						lookup(sp.Links().At(l).Attributes())
					}
				}
			}
			if !scopeKept {
				continue
			}
			resKept = true
			switch a.Intrinsic {
			case traceql.IntrinsicInstrumentationName:
				str(ss.Scope().Name())
			case traceql.IntrinsicInstrumentationVersion:
				str(ss.Scope().Version())
			}
			if in(traceql.ScopeInstrumentation) {
				lookup(ss.Scope().Attributes())
			}
		}
		if resKept && in(traceql.ScopeResource) {
			lookup(rs.Resource().Attributes())
		}
	}
	if keep != nil && anyKept && traceLevel(a) {
		// Trace-level values count when any span of the trace matched.
		for i := 0; i < rss.Len() && !rootDone; i++ {
			rs := rss.At(i)
			for j := 0; j < rs.ScopeSpans().Len() && !rootDone; j++ {
				spans := rs.ScopeSpans().At(j).Spans()
				for k := 0; k < spans.Len(); k++ {
					if spans.At(k).ParentSpanID().IsEmpty() {
						rootValues(a, rs, spans.At(k), str)
						rootDone = true
						break
					}
				}
			}
		}
	}
}

func traceLevel(a traceql.Attribute) bool {
	return a.Intrinsic == traceql.IntrinsicTraceRootSpan || a.Intrinsic == traceql.IntrinsicTraceRootService
}

func rootValues(a traceql.Attribute, rs ptrace.ResourceSpans, root ptrace.Span, str func(string)) {
	switch a.Intrinsic {
	case traceql.IntrinsicTraceRootSpan:
		str(root.Name())
	case traceql.IntrinsicTraceRootService:
		if v, ok := rs.Resource().Attributes().Get("service.name"); ok {
			str(v.AsString())
		}
	}
}

// addTyped adds an attribute value with its TraceQL type; arrays add each
// element. Maps and bytes have no TraceQL type and are left out.
func addTyped(v pcommon.Value, stringOnly bool, c *collector) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		c.addValue(TagValue{Type: "string", Value: v.Str()})
	case pcommon.ValueTypeInt:
		if !stringOnly {
			c.addValue(TagValue{Type: "int", Value: strconv.FormatInt(v.Int(), 10)})
		}
	case pcommon.ValueTypeDouble:
		if !stringOnly {
			c.addValue(TagValue{Type: "float", Value: strconv.FormatFloat(v.Double(), 'g', -1, 64)})
		}
	case pcommon.ValueTypeBool:
		if !stringOnly {
			c.addValue(TagValue{Type: "bool", Value: strconv.FormatBool(v.Bool())})
		}
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		for i := 0; i < s.Len(); i++ {
			addTyped(s.At(i), stringOnly, c)
		}
	}
}

// traceBounds is the trace's [start, end] in Unix nanoseconds.
func traceBounds(td ptrace.Traces) (start, end uint64) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				s, e := uint64(sp.StartTimestamp()), uint64(sp.EndTimestamp())
				if start == 0 || s < start {
					start = s
				}
				if e > end {
					end = e
				}
			}
		}
	}
	return start, end
}

// traceIDOf is the trace ID of td's first span.
func traceIDOf(td ptrace.Traces) (pcommon.TraceID, bool) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			if sss.At(j).Spans().Len() > 0 {
				return sss.At(j).Spans().At(0).TraceID(), true
			}
		}
	}
	return pcommon.TraceID{}, false
}
