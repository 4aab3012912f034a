package otlpwire

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestTraceParts: facts, bounds, sizes and contents read from the bytes
// agree with pdata's view of the same spans.
func TestTraceParts(t *testing.T) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "checkout")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	type want struct {
		kind       ptrace.SpanKind
		code       ptrace.StatusCode
		start, end uint64
	}
	cases := []want{
		{ptrace.SpanKindServer, ptrace.StatusCodeError, 1_000, 5_000},
		{ptrace.SpanKindUnspecified, ptrace.StatusCodeUnset, 2_000, 2_000},
		{ptrace.SpanKindConsumer, ptrace.StatusCodeOk, 1 << 62, 1<<62 + 7},
	}
	for i, c := range cases {
		sp := spans.AppendEmpty()
		sp.SetTraceID(pcommon.TraceID{1})
		sp.SetSpanID(pcommon.SpanID{byte(i + 1)})
		sp.SetName("op")
		sp.SetKind(c.kind)
		sp.Status().SetCode(c.code)
		sp.SetStartTimestamp(pcommon.Timestamp(c.start))
		sp.SetEndTimestamp(pcommon.Timestamp(c.end))
		sp.Attributes().PutStr("needle", "haystack-value")
	}
	parts, err := PartsOf(td)
	if err != nil || len(parts) != 1 {
		t.Fatalf("%d traces, %v", len(parts), err)
	}
	tp := parts[0]
	var got []SpanFacts
	tp.AnySpan(func(f SpanFacts) bool { got = append(got, f); return false })
	if len(got) != len(cases) {
		t.Fatalf("%d spans seen", len(got))
	}
	for i, c := range cases {
		w := SpanFacts{Kind: int32(c.kind), StatusCode: int32(c.code), Start: c.start, End: c.end}
		if got[i] != w {
			t.Errorf("span %d: %+v, want %+v", i, got[i], w)
		}
	}
	if s, e := tp.Bounds(); s != 1_000 || e != 1<<62+7 {
		t.Errorf("bounds %d..%d", s, e)
	}
	if !tp.AnySpan(func(f SpanFacts) bool { return f.Kind == int32(ptrace.SpanKindConsumer) }) {
		t.Error("AnySpan missed the consumer span")
	}
	for lit, ok := range map[string]bool{"haystack-value": true, "checkout": true, "needle": true, "absent-string": false} {
		if tp.Contains([]byte(lit)) != ok {
			t.Errorf("Contains(%q) = %v", lit, !ok)
		}
	}
	if tp.Size() <= 0 || tp.Size() > len(tp.Parts[0].B.Raw) {
		t.Errorf("size %d of a %d-byte batch", tp.Size(), len(tp.Parts[0].B.Raw))
	}
	back, err := tp.Decode()
	if err != nil || back.SpanCount() != len(cases) {
		t.Errorf("decode: %d spans, %v", back.SpanCount(), err)
	}
}
