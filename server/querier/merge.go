package querier

import (
	"reflect"
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
// first real root names, per-service maximum of the stats, spansets unioned
// (of two with the same attributes, the one with more matches stays).
func mergeTrace(dst, src *traceql.TraceSearchMetadata) {
	if dst.StartTimeUnixNano == 0 || (src.StartTimeUnixNano != 0 && src.StartTimeUnixNano < dst.StartTimeUnixNano) {
		dst.StartTimeUnixNano = src.StartTimeUnixNano
	}
	if src.DurationMs > dst.DurationMs {
		dst.DurationMs = src.DurationMs
	}
	if !hasRoot(dst) && hasRoot(src) {
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
		case ss.Matched > dst.SpanSets[i].Matched:
			dst.SpanSets[i] = ss
		}
	}
	if len(dst.SpanSets) > 0 {
		dst.SpanSet = dst.SpanSets[0]
	}
}

func hasRoot(t *traceql.TraceSearchMetadata) bool {
	return t.RootServiceName != "" && t.RootServiceName != traceql.RootSpanNotYetReceived
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
