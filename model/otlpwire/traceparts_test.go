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
		name, msg  string
	}
	cases := []want{
		{ptrace.SpanKindServer, ptrace.StatusCodeError, 1_000, 5_000, "op", "boom"},
		{ptrace.SpanKindUnspecified, ptrace.StatusCodeUnset, 2_000, 2_000, "", ""},
		{ptrace.SpanKindConsumer, ptrace.StatusCodeOk, 1 << 62, 1<<62 + 7, "żółw", ""},
	}
	for i, c := range cases {
		sp := spans.AppendEmpty()
		sp.SetTraceID(pcommon.TraceID{1})
		sp.SetSpanID(pcommon.SpanID{byte(i + 1)})
		sp.SetName(c.name)
		sp.SetKind(c.kind)
		sp.Status().SetCode(c.code)
		sp.Status().SetMessage(c.msg)
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
		g := got[i]
		if g.Kind != int32(c.kind) || g.StatusCode != int32(c.code) || g.Start != c.start || g.End != c.end || g.Name() != c.name || g.StatusMessage() != c.msg {
			t.Errorf("span %d: %+v, want %+v", i, g, c)
		}
		if v, ok := g.SpanAttr("needle"); !ok {
			t.Errorf("span %d: attribute needle not found", i)
		} else if k, str, _, _, _ := Scalar(v); k != ScalarString || str != "haystack-value" {
			t.Errorf("span %d: needle = %d %q", i, k, str)
		}
		if v, ok := g.ResourceAttr("service.name"); !ok {
			t.Errorf("span %d: resource service.name not found", i)
		} else if _, str, _, _, _ := Scalar(v); str != "checkout" {
			t.Errorf("span %d: service.name = %q", i, str)
		}
		if _, ok := g.SpanAttr("absent"); ok {
			t.Errorf("span %d: an absent attribute found", i)
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

// TestScalar: AnyValue scalars decode from their bytes as pdata encodes them.
func TestScalar(t *testing.T) {
	for _, tc := range []struct {
		set  func(pcommon.Value)
		kind int
		s    string
		b    bool
		i    int64
		d    float64
	}{
		{func(v pcommon.Value) { v.SetStr("x") }, ScalarString, "x", false, 0, 0},
		{func(v pcommon.Value) { v.SetStr("") }, ScalarString, "", false, 0, 0},
		{func(v pcommon.Value) { v.SetBool(true) }, ScalarBool, "", true, 0, 0},
		{func(v pcommon.Value) { v.SetBool(false) }, ScalarBool, "", false, 0, 0},
		{func(v pcommon.Value) { v.SetInt(-7) }, ScalarInt, "", false, -7, 0},
		{func(v pcommon.Value) { v.SetInt(0) }, ScalarInt, "", false, 0, 0},
		{func(v pcommon.Value) { v.SetDouble(2.5) }, ScalarDouble, "", false, 0, 2.5},
		{func(v pcommon.Value) { v.SetEmptySlice().AppendEmpty().SetInt(1) }, ScalarNone, "", false, 0, 0},
		{func(v pcommon.Value) { v.SetEmptyMap().PutStr("a", "b") }, ScalarNone, "", false, 0, 0},
		{func(v pcommon.Value) { v.SetEmptyBytes().FromRaw([]byte{1}) }, ScalarNone, "", false, 0, 0},
	} {
		td := ptrace.NewTraces()
		sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		sp.SetTraceID(pcommon.TraceID{1})
		sp.SetSpanID(pcommon.SpanID{1})
		tc.set(sp.Attributes().PutEmpty("k"))
		parts, err := PartsOf(td)
		if err != nil {
			t.Fatal(err)
		}
		parts[0].AnySpan(func(f SpanFacts) bool {
			v, ok := f.SpanAttr("k")
			if !ok {
				t.Errorf("%v: not found", tc)
				return true
			}
			k, s, b, i, d := Scalar(v)
			if k != tc.kind || s != tc.s || b != tc.b || i != tc.i || d != tc.d {
				t.Errorf("got %d %q %v %d %v, want %+v", k, s, b, i, d, tc)
			}
			return true
		})
	}
}
