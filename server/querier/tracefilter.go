package querier

import (
	"context"
	"encoding/hex"
	"errors"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/traceql"
)

// errNotSingleFilter is the v2 trace-by-ID `q` rule (spec/http-api.md §2.2).
var errNotSingleFilter = errors.New("only a single TraceQL filter is supported: got a structural or aggregate query")

// TraceFilter is the `q` of /api/v2/traces/{id} with its hierarchy options.
type TraceFilter struct {
	Query string
	// KeepHierarchy also keeps the ancestors of matches, up to AncestorDepth
	// levels (-1 = all).
	KeepHierarchy bool
	AncestorDepth int
	// MatchDepth keeps descendants of matches this many levels down (-1 = all).
	MatchDepth int
}

// ParseTraceFilter checks that q is one spanset filter over span-level
// fields; the error reads like Tempo's (without its "invalid TraceQL
// filter: " prefix, which the API adds).
func ParseTraceFilter(q string) (*traceql.RootExpr, error) {
	root, err := traceql.Parse(q)
	if err != nil {
		return nil, err
	}
	if root.IsMetrics() || len(root.Pipeline.Stages) != 1 {
		return nil, errNotSingleFilter
	}
	f, ok := root.Pipeline.Stages[0].(*traceql.SpansetFilter)
	if !ok {
		return nil, errNotSingleFilter
	}
	if f.Expr != nil && traceLevelRef(f.Expr) {
		return nil, errNotSingleFilter
	}
	return root, nil
}

func traceLevelRef(e traceql.FieldExpr) bool {
	switch x := e.(type) {
	case *traceql.AttrRef:
		switch x.Intrinsic {
		case traceql.IntrinsicTraceDuration, traceql.IntrinsicTraceRootSpan, traceql.IntrinsicTraceRootService, traceql.IntrinsicTraceID:
			return true
		}
		return x.Scope == traceql.ScopeTrace
	case *traceql.BinaryOp:
		return traceLevelRef(x.LHS) || traceLevelRef(x.RHS)
	case *traceql.UnaryOp:
		return traceLevelRef(x.Expr)
	}
	return false
}

// FilterTrace keeps the spans of td matching the filter (plus the
// requested ancestors and descendants). filtered reports whether spans were
// left out.
func FilterTrace(ctx context.Context, td ptrace.Traces, root *traceql.RootExpr, f TraceFilter) (out ptrace.Traces, filtered bool, err error) {
	resp, err := traceql.NewEngine().ExecuteSearchExpr(ctx, root, traceql.NewMemoryFetcher(td), traceql.SearchOptions{Limit: 1})
	if err != nil {
		return ptrace.Traces{}, false, err
	}
	keep := map[pcommon.SpanID]bool{}
	for _, t := range resp.Traces {
		for _, ss := range t.SpanSets {
			for _, sp := range ss.Spans {
				var id pcommon.SpanID
				if b, err := hex.DecodeString(sp.SpanID); err == nil && len(b) == len(id) {
					copy(id[:], b)
					keep[id] = true
				}
			}
		}
	}
	parent := map[pcommon.SpanID]pcommon.SpanID{}
	children := map[pcommon.SpanID][]pcommon.SpanID{}
	eachSpan(td, func(sp ptrace.Span) {
		if p := sp.ParentSpanID(); !p.IsEmpty() {
			parent[sp.SpanID()] = p
			children[p] = append(children[p], sp.SpanID())
		}
	})
	matched := make([]pcommon.SpanID, 0, len(keep))
	for id := range keep {
		matched = append(matched, id)
	}
	if f.MatchDepth != 0 {
		for _, id := range matched {
			addDescendants(id, f.MatchDepth, children, keep)
		}
	}
	if f.KeepHierarchy {
		for _, id := range matched {
			p, ok := parent[id]
			for depth := 0; ok && (f.AncestorDepth < 0 || depth < f.AncestorDepth); depth++ {
				keep[p] = true
				p, ok = parent[p]
			}
		}
	}
	out = ptrace.NewTraces()
	total := 0
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		var ors ptrace.ResourceSpans
		haveRS := false
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			ss := rs.ScopeSpans().At(j)
			var oss ptrace.ScopeSpans
			haveSS := false
			for k := 0; k < ss.Spans().Len(); k++ {
				sp := ss.Spans().At(k)
				total++
				if !keep[sp.SpanID()] {
					continue
				}
				if !haveRS {
					ors = out.ResourceSpans().AppendEmpty()
					rs.Resource().CopyTo(ors.Resource())
					haveRS = true
				}
				if !haveSS {
					oss = ors.ScopeSpans().AppendEmpty()
					ss.Scope().CopyTo(oss.Scope())
					haveSS = true
				}
				sp.CopyTo(oss.Spans().AppendEmpty())
			}
		}
	}
	return out, out.SpanCount() < total, nil
}

func addDescendants(id pcommon.SpanID, depth int, children map[pcommon.SpanID][]pcommon.SpanID, keep map[pcommon.SpanID]bool) {
	if depth == 0 {
		return
	}
	for _, c := range children[id] {
		if keep[c] && depth < 0 {
			continue // already expanded (cycles in broken traces end here)
		}
		keep[c] = true
		addDescendants(c, depth-1, children, keep)
	}
}

func eachSpan(td ptrace.Traces, fn func(ptrace.Span)) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				fn(spans.At(k))
			}
		}
	}
}
