package querier

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/tempoctl/tempoctl/traceql"
)

func mspan(id string, start uint64) *traceql.SpanResult {
	return &traceql.SpanResult{SpanID: id, StartTimeUnixNano: start, DurationNanos: 10}
}

func mset(matched uint32, attrs []traceql.KeyValue, spans ...*traceql.SpanResult) *traceql.SpanSet {
	return &traceql.SpanSet{Matched: matched, Attributes: attrs, Spans: spans}
}

// byAttr is the spanset attribute by(span.x) adds.
func byAttr(v string) []traceql.KeyValue {
	return []traceql.KeyValue{{Key: "by(span.x)", Value: traceql.AnyValue{StringValue: &v}}}
}

// mtrace is one part of trace id as a job returns it.
func mtrace(id string, start uint64, durMs uint32, root, rootName string, stats map[string]traceql.ServiceStats, sets ...*traceql.SpanSet) *traceql.TraceSearchMetadata {
	t := &traceql.TraceSearchMetadata{TraceID: id, StartTimeUnixNano: start, DurationMs: durMs,
		RootServiceName: root, RootTraceName: rootName, ServiceStats: stats, SpanSets: sets}
	if len(sets) > 0 {
		t.SpanSet = sets[0]
	}
	return t
}

// permutations calls f with every order of 0..n-1.
func permutations(n int, f func([]int)) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var rec func(k int)
	rec = func(k int) {
		if k == n {
			f(append([]int(nil), p...))
			return
		}
		for i := k; i < n; i++ {
			p[k], p[i] = p[i], p[k]
			rec(k + 1)
			p[k], p[i] = p[i], p[k]
		}
	}
	rec(0)
}

// mergeInOrder merges fresh copies of the parts (merging changes the
// first part of a trace in place) in the given order, one job each.
func mergeInOrder(parts func() []*traceql.TraceSearchMetadata, order []int) []*traceql.TraceSearchMetadata {
	ps := parts()
	m := NewMerger()
	for _, i := range order {
		m.Add([]*traceql.TraceSearchMetadata{ps[i]})
	}
	return m.Traces(0)
}

func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestMergeOrderIndependent: the parts of a trace found by several jobs
// merge into the same result in every order, and that result keeps the
// spec's rules (spec/traceql.md §9).
func TestMergeOrderIndependent(t *testing.T) {
	stats := func(spans, errs uint32) map[string]traceql.ServiceStats {
		return map[string]traceql.ServiceStats{"svc": {SpanCount: spans, ErrorCount: errs}}
	}
	none := traceql.RootSpanNotYetReceived
	cases := []struct {
		name  string
		parts func() []*traceql.TraceSearchMetadata
		want  *traceql.TraceSearchMetadata
	}{{
		name: "equal matches: the spanset whose spans start first",
		parts: func() []*traceql.TraceSearchMetadata {
			return []*traceql.TraceSearchMetadata{
				mtrace("a", 300, 5, "svc", "GET", stats(2, 0), mset(2, nil, mspan("0000000000000003", 300), mspan("0000000000000004", 400))),
				mtrace("a", 100, 5, none, "", stats(2, 0), mset(2, nil, mspan("0000000000000001", 100), mspan("0000000000000002", 200))),
				mtrace("a", 50, 5, none, "", stats(1, 0), mset(1, nil, mspan("0000000000000005", 50))),
			}
		},
		want: mtrace("a", 50, 5, "svc", "GET", stats(2, 0), mset(2, nil, mspan("0000000000000001", 100), mspan("0000000000000002", 200))),
	}, {
		name: "equal matches and start: the lower span ID",
		parts: func() []*traceql.TraceSearchMetadata {
			return []*traceql.TraceSearchMetadata{
				mtrace("a", 100, 1, none, "", nil, mset(1, nil, mspan("00000000000000bb", 100))),
				mtrace("a", 100, 1, none, "", nil, mset(1, nil, mspan("00000000000000aa", 100))),
				mtrace("a", 100, 1, none, "", nil, mset(1, nil, mspan("00000000000000cc", 100))),
			}
		},
		want: mtrace("a", 100, 1, none, "", nil, mset(1, nil, mspan("00000000000000aa", 100))),
	}, {
		name: "more matches win over earlier spans",
		parts: func() []*traceql.TraceSearchMetadata {
			return []*traceql.TraceSearchMetadata{
				mtrace("a", 100, 1, none, "", nil, mset(2, nil, mspan("0000000000000001", 100))),
				mtrace("a", 900, 1, none, "", nil, mset(5, nil, mspan("0000000000000009", 900))),
			}
		},
		want: mtrace("a", 100, 1, none, "", nil, mset(5, nil, mspan("0000000000000009", 900))),
	}, {
		name: "by() groups: unioned, ties decided per group, ordered by attributes",
		parts: func() []*traceql.TraceSearchMetadata {
			return []*traceql.TraceSearchMetadata{
				mtrace("a", 10, 1, none, "", nil, mset(1, byAttr("y"), mspan("00000000000000y1", 10)), mset(2, byAttr("x"), mspan("00000000000000x2", 20))),
				mtrace("a", 5, 1, none, "", nil, mset(1, byAttr("z"), mspan("00000000000000z1", 30)), mset(1, byAttr("y"), mspan("00000000000000y0", 5))),
				mtrace("a", 1, 1, none, "", nil, mset(2, byAttr("x"), mspan("00000000000000x0", 1))),
			}
		},
		want: mtrace("a", 1, 1, none, "", nil,
			mset(2, byAttr("x"), mspan("00000000000000x0", 1)),
			mset(1, byAttr("y"), mspan("00000000000000y0", 5)),
			mset(1, byAttr("z"), mspan("00000000000000z1", 30))),
	}, {
		name: "root names: a real root over the placeholder; of two roots the smaller names",
		parts: func() []*traceql.TraceSearchMetadata {
			return []*traceql.TraceSearchMetadata{
				mtrace("a", 10, 1, none, "", nil),
				mtrace("a", 10, 1, "b-svc", "GET", nil),
				mtrace("a", 10, 1, "a-svc", "POST", nil),
				mtrace("a", 10, 1, "", "", nil),
			}
		},
		want: mtrace("a", 10, 1, "a-svc", "POST", nil),
	}, {
		name: "trace fields: earliest known start, longest duration, stats maximum per service",
		parts: func() []*traceql.TraceSearchMetadata {
			return []*traceql.TraceSearchMetadata{
				mtrace("a", 0, 9, none, "", map[string]traceql.ServiceStats{"x": {SpanCount: 3}}),
				mtrace("a", 200, 4, none, "", map[string]traceql.ServiceStats{"x": {SpanCount: 1, ErrorCount: 1}, "y": {SpanCount: 2}}),
				mtrace("a", 150, 7, none, "", nil),
			}
		},
		want: mtrace("a", 150, 9, none, "", map[string]traceql.ServiceStats{"x": {SpanCount: 3, ErrorCount: 1}, "y": {SpanCount: 2}}),
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := jsonText(t, []*traceql.TraceSearchMetadata{c.want})
			permutations(len(c.parts()), func(order []int) {
				got := mergeInOrder(c.parts, order)
				if len(got) != 1 || got[0].SpanSet != firstSet(got[0]) {
					t.Fatalf("order %v: %d traces, spanSet not spanSets[0]", order, len(got))
				}
				if g := jsonText(t, got); g != want {
					t.Fatalf("order %v:\n%s\nwant\n%s", order, g, want)
				}
			})
		})
	}
}

func firstSet(t *traceql.TraceSearchMetadata) *traceql.SpanSet {
	if len(t.SpanSets) == 0 {
		return nil
	}
	return t.SpanSets[0]
}

// TestMergeOrderIndependentRandom: random parts of a few traces, with
// many ties (few span IDs, start times and groups), merge to the same
// result in every shuffled order.
func TestMergeOrderIndependentRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	roots := [][2]string{{traceql.RootSpanNotYetReceived, ""}, {"a", "x"}, {"b", "y"}, {"", ""}}
	for round := range 200 {
		seed := rng.Uint64()
		n := 2 + rng.IntN(5)
		parts := func() []*traceql.TraceSearchMetadata {
			r := rand.New(rand.NewPCG(seed, 0))
			out := make([]*traceql.TraceSearchMetadata, n)
			for i := range out {
				root := roots[r.IntN(len(roots))]
				var sets []*traceql.SpanSet
				for _, g := range []string{"", "p", "q"} {
					if r.IntN(2) == 0 {
						continue
					}
					var attrs []traceql.KeyValue
					if g != "" {
						attrs = byAttr(g)
					}
					var spans []*traceql.SpanResult
					for range 1 + r.IntN(2) {
						spans = append(spans, mspan(fmt.Sprintf("%016x", r.IntN(3)), uint64(r.IntN(2))))
					}
					sets = append(sets, mset(uint32(1+r.IntN(2)), attrs, spans...))
				}
				stats := map[string]traceql.ServiceStats{"svc": {SpanCount: uint32(r.IntN(4)), ErrorCount: uint32(r.IntN(2))}}
				out[i] = mtrace(fmt.Sprintf("%x", r.IntN(2)), uint64(r.IntN(3)), uint32(r.IntN(3)), root[0], root[1], stats, sets...)
			}
			return out
		}
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		want := jsonText(t, mergeInOrder(parts, order))
		for range 10 {
			rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
			got := mergeInOrder(parts, order)
			if g := jsonText(t, got); g != want {
				t.Fatalf("round %d order %v:\n%s\nwant\n%s", round, order, g, want)
			}
			for _, tr := range got {
				if tr.SpanSet != firstSet(tr) && !reflect.DeepEqual(tr.SpanSet, firstSet(tr)) {
					t.Fatalf("round %d: spanSet is not spanSets[0]", round)
				}
			}
		}
	}
}
