package querier

import (
	"cmp"
	"reflect"
	"slices"
	"sort"

	"github.com/tempoctl/tempoctl/traceql"
)

// resultSet merges search results from several sources (spec/traceql.md
// §9): the same trace found in live data and blocks, or in several blocks,
// becomes one result.
type resultSet struct {
	byID  map[string]*traceql.TraceSearchMetadata
	order []string
	// changed, when not nil, collects the IDs added or merged into since
	// SearchProgress last read them.
	changed map[string]struct{}
}

func newResultSet() *resultSet {
	return &resultSet{byID: map[string]*traceql.TraceSearchMetadata{}}
}

func (rs *resultSet) len() int { return len(rs.order) }

func (rs *resultSet) add(traces []*traceql.TraceSearchMetadata) {
	for _, t := range traces {
		if rs.changed != nil {
			rs.changed[t.TraceID] = struct{}{}
		}
		if have, ok := rs.byID[t.TraceID]; ok {
			mergeTrace(have, t)
			continue
		}
		rs.byID[t.TraceID] = t
		rs.order = append(rs.order, t.TraceID)
	}
}

// sorted returns at most limit traces, newest start first.
func (rs *resultSet) sorted(limit int) []*traceql.TraceSearchMetadata {
	out := make([]*traceql.TraceSearchMetadata, 0, len(rs.order))
	for _, id := range rs.order {
		out = append(out, rs.byID[id])
	}
	// Ties broken by ID: the order must not depend on which job ended first.
	sort.Slice(out, func(i, j int) bool {
		if out[i].StartTimeUnixNano != out[j].StartTimeUnixNano {
			return out[i].StartTimeUnixNano > out[j].StartTimeUnixNano
		}
		return out[i].TraceID < out[j].TraceID
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// mergeTrace folds src into dst: earliest start, longest duration, the
// root names of a part that holds the root span, per-service maximum of
// the stats, spansets unioned (of two with the same attributes, the one
// with more matches stays). Where the spec's rule would leave the choice
// to arrival order ("first" root names, equal matches, the order of the
// union), an order over the parts' content decides: parallel jobs must
// give the same answer whichever ends first, so the result is the same
// for every order of merging the same parts.
func mergeTrace(dst, src *traceql.TraceSearchMetadata) {
	if dst.StartTimeUnixNano == 0 || (src.StartTimeUnixNano != 0 && src.StartTimeUnixNano < dst.StartTimeUnixNano) {
		dst.StartTimeUnixNano = src.StartTimeUnixNano
	}
	if src.DurationMs > dst.DurationMs {
		dst.DurationMs = src.DurationMs
	}
	if compareRoots(src, dst) < 0 {
		dst.RootServiceName, dst.RootTraceName = src.RootServiceName, src.RootTraceName
	}
	if len(src.ServiceStats) > 0 {
		if dst.ServiceStats == nil {
			dst.ServiceStats = map[string]traceql.ServiceStats{}
		}
		for svc, s := range src.ServiceStats {
			d := dst.ServiceStats[svc]
			d.SpanCount = max(d.SpanCount, s.SpanCount)
			d.ErrorCount = max(d.ErrorCount, s.ErrorCount)
			dst.ServiceStats[svc] = d
		}
	}
	for _, ss := range src.SpanSets {
		i := sameAttributes(dst.SpanSets, ss)
		switch {
		case i < 0:
			dst.SpanSets = append(dst.SpanSets, ss)
		case compareSpanSets(ss, dst.SpanSets[i]) < 0:
			dst.SpanSets[i] = ss
		}
	}
	if len(dst.SpanSets) > 1 {
		// by() groups in order of their attributes, not of arrival.
		slices.SortStableFunc(dst.SpanSets, func(a, b *traceql.SpanSet) int {
			if c := slices.CompareFunc(a.Attributes, b.Attributes, compareKeyValues); c != 0 {
				return c
			}
			return compareSpanSets(a, b)
		})
	}
	if len(dst.SpanSets) > 0 {
		dst.SpanSet = dst.SpanSets[0]
	}
}

func hasRoot(t *traceql.TraceSearchMetadata) bool {
	return t.RootServiceName != "" && t.RootServiceName != traceql.RootSpanNotYetReceived
}

// compareRoots orders parts by the root names they offer, best first: a
// real root, then the "not yet received" placeholder, then none; between
// two real roots (a trace with several parentless spans) the smaller
// names.
func compareRoots(a, b *traceql.TraceSearchMetadata) int {
	rank := func(t *traceql.TraceSearchMetadata) int {
		switch {
		case hasRoot(t):
			return 0
		case t.RootServiceName != "":
			return 1
		}
		return 2
	}
	return cmp.Or(cmp.Compare(rank(a), rank(b)),
		cmp.Compare(a.RootServiceName, b.RootServiceName),
		cmp.Compare(a.RootTraceName, b.RootTraceName))
}

// compareSpanSets orders two spansets of a trace with the same attributes,
// the one to keep first: more matches (the spec's rule), then the spans
// listed, earliest start first, then by span ID, then the rest of their
// content, so that only identical spansets compare equal.
func compareSpanSets(a, b *traceql.SpanSet) int {
	if c := cmp.Compare(b.Matched, a.Matched); c != 0 {
		return c
	}
	if c := slices.CompareFunc(a.Spans, b.Spans, compareSpans); c != 0 {
		return c
	}
	return slices.CompareFunc(a.Attributes, b.Attributes, compareKeyValues)
}

func compareSpans(a, b *traceql.SpanResult) int {
	return cmp.Or(cmp.Compare(a.StartTimeUnixNano, b.StartTimeUnixNano),
		cmp.Compare(a.SpanID, b.SpanID),
		cmp.Compare(a.DurationNanos, b.DurationNanos),
		cmp.Compare(a.Name, b.Name),
		slices.CompareFunc(a.Attributes, b.Attributes, compareKeyValues))
}

func compareKeyValues(a, b traceql.KeyValue) int {
	if c := cmp.Compare(a.Key, b.Key); c != 0 {
		return c
	}
	return compareAnyValues(a.Value, b.Value)
}

// compareAnyValues orders values by kind (unset, string, int, double,
// bool), then by value.
func compareAnyValues(a, b traceql.AnyValue) int {
	kind := func(v traceql.AnyValue) int {
		switch {
		case v.StringValue != nil:
			return 1
		case v.IntValue != nil:
			return 2
		case v.DoubleValue != nil:
			return 3
		case v.BoolValue != nil:
			return 4
		}
		return 0
	}
	if c := cmp.Compare(kind(a), kind(b)); c != 0 {
		return c
	}
	switch kind(a) {
	case 1:
		return cmp.Compare(*a.StringValue, *b.StringValue)
	case 2:
		return cmp.Compare(*a.IntValue, *b.IntValue)
	case 3:
		return cmp.Compare(*a.DoubleValue, *b.DoubleValue)
	case 4:
		return cmp.Compare(boolInt(*a.BoolValue), boolInt(*b.BoolValue))
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func sameAttributes(sets []*traceql.SpanSet, ss *traceql.SpanSet) int {
	for i, s := range sets {
		if len(s.Attributes) == len(ss.Attributes) && (len(s.Attributes) == 0 || reflect.DeepEqual(s.Attributes, ss.Attributes)) {
			return i
		}
	}
	return -1
}

// MergeSearchResponses merges the answers of several tenants (a
// multi-tenant read) into one, at most limit traces.
func MergeSearchResponses(limit int, resps ...*traceql.SearchResponse) *traceql.SearchResponse {
	rs := newResultSet()
	m := &traceql.SearchMetrics{}
	for _, r := range resps {
		rs.add(r.Traces)
		addMetrics(m, r.Metrics)
	}
	if limit <= 0 {
		limit = DefaultSearchLimit
	}
	return &traceql.SearchResponse{Traces: rs.sorted(limit), Metrics: m}
}
