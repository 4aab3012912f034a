package model

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// spanKey identifies a span for de-duplication: the same span ID may appear
// in several copies of a trace (replication, retries, split blocks).
type spanKey struct {
	id   pcommon.SpanID
	kind ptrace.SpanKind
}

// Combine merges the parts of one trace into a new ptrace.Traces. Spans are
// de-duplicated by span ID and kind (a client and a server span may share an
// ID in Zipkin-style traces); the first copy wins. Resource and scope groups
// of the parts are kept as they are, minus the duplicate spans; groups left
// empty are dropped. The inputs are not modified.
func Combine(parts ...ptrace.Traces) ptrace.Traces {
	out := ptrace.NewTraces()
	seen := make(map[spanKey]struct{})
	for _, p := range parts {
		rss := p.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			rs := rss.At(i)
			var outRS ptrace.ResourceSpans
			haveRS := false
			sss := rs.ScopeSpans()
			for j := 0; j < sss.Len(); j++ {
				ss := sss.At(j)
				var outSS ptrace.ScopeSpans
				haveSS := false
				spans := ss.Spans()
				for k := 0; k < spans.Len(); k++ {
					sp := spans.At(k)
					key := spanKey{sp.SpanID(), sp.Kind()}
					if _, dup := seen[key]; dup {
						continue
					}
					seen[key] = struct{}{}
					if !haveRS {
						outRS = out.ResourceSpans().AppendEmpty()
						rs.Resource().CopyTo(outRS.Resource())
						outRS.SetSchemaUrl(rs.SchemaUrl())
						haveRS = true
					}
					if !haveSS {
						outSS = outRS.ScopeSpans().AppendEmpty()
						ss.Scope().CopyTo(outSS.Scope())
						outSS.SetSchemaUrl(ss.SchemaUrl())
						haveSS = true
					}
					sp.CopyTo(outSS.Spans().AppendEmpty())
				}
			}
		}
	}
	return out
}

// SplitByTraceID groups the spans of a batch by trace ID, keeping each span's
// resource and scope. The order of trace IDs in the result is the order of
// first appearance, so callers get deterministic output.
func SplitByTraceID(td ptrace.Traces) (ids []TraceID, traces map[TraceID]ptrace.Traces) {
	traces = make(map[TraceID]ptrace.Traces)
	type group struct {
		rs ptrace.ResourceSpans
		ss ptrace.ScopeSpans
	}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			groups := make(map[TraceID]group)
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				id := TraceID(sp.TraceID())
				g, ok := groups[id]
				if !ok {
					t, known := traces[id]
					if !known {
						t = ptrace.NewTraces()
						traces[id] = t
						ids = append(ids, id)
					}
					g.rs = t.ResourceSpans().AppendEmpty()
					rs.Resource().CopyTo(g.rs.Resource())
					g.rs.SetSchemaUrl(rs.SchemaUrl())
					g.ss = g.rs.ScopeSpans().AppendEmpty()
					ss.Scope().CopyTo(g.ss.Scope())
					g.ss.SetSchemaUrl(ss.SchemaUrl())
					groups[id] = g
				}
				sp.CopyTo(g.ss.Spans().AppendEmpty())
			}
		}
	}
	return ids, traces
}

// SpanCount counts the spans of td.
func SpanCount(td ptrace.Traces) int { return td.SpanCount() }

// TimeRange returns the earliest span start and latest span end of td in Unix
// nanoseconds; ok is false when td has no spans.
func TimeRange(td ptrace.Traces) (start, end uint64, ok bool) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				s, e := uint64(sp.StartTimestamp()), uint64(sp.EndTimestamp())
				if e < s {
					e = s
				}
				if !ok || s < start {
					start = s
				}
				if !ok || e > end {
					end = e
				}
				ok = true
			}
		}
	}
	return start, end, ok
}

// Dedupe drops duplicate spans from td in place (same rule as Combine: the
// first copy wins; emptied groups are dropped) and returns it.
func Dedupe(td ptrace.Traces) ptrace.Traces {
	seen := make(map[spanKey]struct{}, td.SpanCount())
	dup := false
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len() && !dup; i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len() && !dup; j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				key := spanKey{sp.SpanID(), sp.Kind()}
				if _, ok := seen[key]; ok {
					dup = true
					break
				}
				seen[key] = struct{}{}
			}
		}
	}
	if !dup {
		return td
	}
	clear(seen)
	rss.RemoveIf(func(rs ptrace.ResourceSpans) bool {
		rs.ScopeSpans().RemoveIf(func(ss ptrace.ScopeSpans) bool {
			ss.Spans().RemoveIf(func(sp ptrace.Span) bool {
				key := spanKey{sp.SpanID(), sp.Kind()}
				if _, ok := seen[key]; ok {
					return true
				}
				seen[key] = struct{}{}
				return false
			})
			return ss.Spans().Len() == 0
		})
		return rs.ScopeSpans().Len() == 0
	})
	return td
}
