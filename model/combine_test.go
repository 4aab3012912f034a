package model

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// part builds a one-resource trace part with the given span IDs (last byte).
func part(service string, kind ptrace.SpanKind, spanIDs ...byte) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", service)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("lib")
	for _, id := range spanIDs {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(pcommon.TraceID{15: 1})
		sp.SetSpanID(pcommon.SpanID{7: id})
		sp.SetKind(kind)
		sp.SetName(service)
	}
	return td
}

func spanIDs(td ptrace.Traces) map[byte]int {
	out := map[byte]int{}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			sp := sss.At(j).Spans()
			for k := 0; k < sp.Len(); k++ {
				out[sp.At(k).SpanID()[7]]++
			}
		}
	}
	return out
}

func TestCombine(t *testing.T) {
	tests := []struct {
		name      string
		parts     []ptrace.Traces
		wantSpans int
		wantRS    int
	}{
		{"disjoint parts", []ptrace.Traces{part("a", ptrace.SpanKindServer, 1, 2), part("b", ptrace.SpanKindServer, 3)}, 3, 2},
		{"exact duplicate dropped, empty resource dropped", []ptrace.Traces{part("a", ptrace.SpanKindServer, 1, 2), part("a", ptrace.SpanKindServer, 1, 2)}, 2, 1},
		{"same ID other kind kept", []ptrace.Traces{part("a", ptrace.SpanKindServer, 1), part("b", ptrace.SpanKindClient, 1)}, 2, 2},
		{"partial overlap", []ptrace.Traces{part("a", ptrace.SpanKindServer, 1, 2), part("b", ptrace.SpanKindServer, 2, 3)}, 3, 2},
		{"nothing", nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Combine(tt.parts...)
			if got.SpanCount() != tt.wantSpans {
				t.Errorf("spans = %d, want %d", got.SpanCount(), tt.wantSpans)
			}
			if got.ResourceSpans().Len() != tt.wantRS {
				t.Errorf("resource spans = %d, want %d", got.ResourceSpans().Len(), tt.wantRS)
			}
			// Dedupe of the parts laid end to end drops the same spans.
			all := ptrace.NewTraces()
			for _, p := range tt.parts {
				cp := ptrace.NewTraces()
				p.CopyTo(cp)
				cp.ResourceSpans().MoveAndAppendTo(all.ResourceSpans())
			}
			d := Dedupe(all)
			if d.SpanCount() != tt.wantSpans || d.ResourceSpans().Len() != tt.wantRS {
				t.Errorf("Dedupe: %d spans in %d resources, want %d in %d", d.SpanCount(), d.ResourceSpans().Len(), tt.wantSpans, tt.wantRS)
			}
			if want, got := spanIDs(got), spanIDs(d); len(want) != len(got) {
				t.Errorf("Dedupe kept %v, Combine %v", got, want)
			}
		})
	}
}

func TestCombineDoesNotModifyInputs(t *testing.T) {
	a, b := part("a", ptrace.SpanKindServer, 1), part("a", ptrace.SpanKindServer, 1, 2)
	Combine(a, b)
	if a.SpanCount() != 1 || b.SpanCount() != 2 {
		t.Fatalf("inputs changed: %d %d", a.SpanCount(), b.SpanCount())
	}
}

func TestSplitByTraceID(t *testing.T) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "svc")
	ss := rs.ScopeSpans().AppendEmpty()
	for i, tid := range []byte{2, 1, 2, 3, 1} {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(pcommon.TraceID{15: tid})
		sp.SetSpanID(pcommon.SpanID{7: byte(i + 1)})
	}
	ids, traces := SplitByTraceID(td)
	if len(ids) != 3 || ids[0][15] != 2 || ids[1][15] != 1 || ids[2][15] != 3 {
		t.Fatalf("ids = %v, want first-appearance order 2,1,3", ids)
	}
	want := map[byte]int{1: 2, 2: 2, 3: 1}
	for id, n := range want {
		tr := traces[TraceID{15: id}]
		if tr.SpanCount() != n {
			t.Errorf("trace %d: %d spans, want %d", id, tr.SpanCount(), n)
		}
		svc, _ := tr.ResourceSpans().At(0).Resource().Attributes().Get("service.name")
		if svc.Str() != "svc" {
			t.Errorf("trace %d lost its resource", id)
		}
	}
	if got := spanIDs(traces[TraceID{15: 2}]); got[1] != 1 || got[3] != 1 {
		t.Errorf("trace 2 spans = %v, want span ids 1 and 3", got)
	}
}

func TestTimeRange(t *testing.T) {
	td := part("a", ptrace.SpanKindServer, 1, 2)
	sp := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	sp.At(0).SetStartTimestamp(100)
	sp.At(0).SetEndTimestamp(150)
	sp.At(1).SetStartTimestamp(120)
	sp.At(1).SetEndTimestamp(300)
	s, e, ok := TimeRange(td)
	if !ok || s != 100 || e != 300 {
		t.Fatalf("TimeRange = %d %d %v, want 100 300 true", s, e, ok)
	}
	if _, _, ok := TimeRange(ptrace.NewTraces()); ok {
		t.Fatal("empty trace reported a range")
	}
}
