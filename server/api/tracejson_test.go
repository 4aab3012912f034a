package api

import (
	"encoding/json"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func sampleTrace() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "shop-backend")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("my-lib")
	ss.Scope().SetVersion("1.2.3")
	sp := ss.Spans().AppendEmpty()
	sp.SetTraceID(pcommon.TraceID{0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f, 0xc6, 0x0c})
	sp.SetSpanID(pcommon.SpanID{0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74})
	sp.SetName("GET /api/orders")
	sp.SetKind(ptrace.SpanKindServer)
	sp.SetStartTimestamp(1795464296000000000)
	sp.SetEndTimestamp(1795464296500000000)
	sp.Attributes().PutInt("http.status_code", 500)
	sp.Attributes().PutDouble("ratio", 0.5)
	sp.Status().SetCode(ptrace.StatusCodeError)
	sp.Status().SetMessage("boom")
	child := ss.Spans().AppendEmpty()
	child.SetTraceID(sp.TraceID())
	child.SetSpanID(pcommon.SpanID{0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x75})
	child.SetParentSpanID(sp.SpanID())
	child.SetName("SELECT orders")
	child.SetKind(ptrace.SpanKindClient)
	return td
}

func TestMarshalTraceV1JSONShape(t *testing.T) {
	b, err := MarshalTraceV1JSON(sampleTrace())
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		`{"batches":[{"resource":`,
		`"traceId":"W47/95gDgQPSabYzgT/GDA=="`, // base64, as Tempo
		`"spanId":"7uGbfsPBsXQ="`,
		`"kind":"SPAN_KIND_SERVER"`,
		`"startTimeUnixNano":"1795464296000000000"`, // 64-bit as string
		`{"key":"http.status_code","value":{"intValue":"500"}}`,
		`{"key":"ratio","value":{"doubleValue":0.5}}`,
		`"status":{"message":"boom","code":"STATUS_CODE_ERROR"}`,
		`"status":{}`, // unset status still present
		`"scope":{"name":"my-lib","version":"1.2.3"}`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %s in\n%s", want, s)
		}
	}
	if strings.ContainsAny(s, "\n ") && strings.Contains(s, ": ") {
		t.Errorf("not compact: %s", s)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
}
