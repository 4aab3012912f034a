package tui

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Limits that keep a tag index small whatever the data: completion needs a
// sample of names and values, not all of them.
const (
	maxTagNames     = 2000
	maxValuesPerTag = 200
	maxValueLen     = 120
)

// intrinsicTags are offered for completion next to the attributes found.
var intrinsicTags = []string{
	"duration", "event:name", "instrumentation:name", "instrumentation:version", "kind", "name",
	"rootName", "rootServiceName", "span:id", "status", "statusMessage", "trace:duration", "trace:id",
	"traceDuration",
}

// staticValues are the keyword values of intrinsics (unquoted in TraceQL).
var staticValues = map[string][]string{
	"status":      {"error", "ok", "unset"},
	"span:status": {"error", "ok", "unset"},
	"kind":        {"client", "consumer", "internal", "producer", "server", "unspecified"},
	"span:kind":   {"client", "consumer", "internal", "producer", "server", "unspecified"},
}

// tagIndex collects scoped attribute names and their values from traces,
// for sources that have no tags API (files). Values are kept as
// TraceQL literals (strings quoted, numbers and booleans bare) so completion
// inserts them as they are.
type tagIndex struct {
	values map[string]map[string]struct{}
}

func newTagIndex() *tagIndex { return &tagIndex{values: map[string]map[string]struct{}{}} }

func (ix *tagIndex) add(tag, value string) {
	vs, ok := ix.values[tag]
	if !ok {
		if len(ix.values) >= maxTagNames {
			return
		}
		vs = map[string]struct{}{}
		ix.values[tag] = vs
	}
	if value != "" && len(vs) < maxValuesPerTag && len(value) <= maxValueLen {
		vs[value] = struct{}{}
	}
}

func (ix *tagIndex) addString(tag, s string) {
	if s != "" {
		ix.add(tag, strconv.Quote(s))
	}
}

func (ix *tagIndex) addMap(scope string, m pcommon.Map) {
	m.Range(func(k string, v pcommon.Value) bool {
		val := ""
		switch v.Type() {
		case pcommon.ValueTypeStr:
			val = strconv.Quote(v.Str())
		case pcommon.ValueTypeInt, pcommon.ValueTypeDouble, pcommon.ValueTypeBool:
			val = v.AsString()
		}
		ix.add(scope+"."+k, val)
		return true
	})
}

// addTrace records every attribute of td under its TraceQL scope.
func (ix *tagIndex) addTrace(td ptrace.Traces) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		ix.addMap("resource", rs.Resource().Attributes())
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			ss := rs.ScopeSpans().At(j)
			ix.addMap("instrumentation", ss.Scope().Attributes())
			ix.addString("instrumentation:name", ss.Scope().Name())
			for k := 0; k < ss.Spans().Len(); k++ {
				sp := ss.Spans().At(k)
				ix.addString("name", sp.Name())
				ix.addMap("span", sp.Attributes())
				for e := 0; e < sp.Events().Len(); e++ {
					ix.addString("event:name", sp.Events().At(e).Name())
					ix.addMap("event", sp.Events().At(e).Attributes())
				}
				for l := 0; l < sp.Links().Len(); l++ {
					ix.addMap("link", sp.Links().At(l).Attributes())
				}
			}
		}
	}
}

// names returns the attribute names found plus the intrinsics, sorted.
func (ix *tagIndex) names() []string {
	seen := map[string]bool{}
	var out []string
	for k := range ix.values {
		if strings.Contains(k, ".") {
			out = append(out, k)
			seen[k] = true
		}
	}
	for _, k := range intrinsicTags {
		if !seen[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// valuesOf returns the values seen for tag. An unscoped ".x" merges every
// scope's "x".
func (ix *tagIndex) valuesOf(tag string) []string {
	if vs, ok := staticValues[tag]; ok {
		return slices.Clone(vs)
	}
	set := map[string]struct{}{}
	if strings.HasPrefix(tag, ".") {
		for k, vs := range ix.values {
			if strings.HasSuffix(k, tag) && strings.Count(k[:len(k)-len(tag)], ".") == 0 {
				for v := range vs {
					set[v] = struct{}{}
				}
			}
		}
	} else {
		set = ix.values[strings.TrimPrefix(tag, "span:")]
	}
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}
