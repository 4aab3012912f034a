package receiver

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apache/thrift/lib/go/thrift"
	"github.com/jaegertracing/jaeger-idl/thrift-gen/zipkincore"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/proto/zipkin_proto3"
	"github.com/tempoctl/tempoctl/server/pusher"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/zipkin"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// TestZipkinExporter sends SDK spans with the OpenTelemetry Zipkin
// exporter (v2 JSON) and checks what Zipkin can carry arrived intact.
func TestZipkinExporter(t *testing.T) {
	r, p := startReceivers(t, allReceivers(), Options{MultitenancyEnabled: true})
	exp, err := zipkin.New("http://"+r.Addr(Zipkin)+"/api/v2/spans", zipkin.WithHeaders(map[string]string{"X-Scope-OrgID": "team-z"}))
	if err != nil {
		t.Fatal(err)
	}
	spans := makeSDKSpans(t)
	if err := exp.ExportSpans(context.Background(), spans); err != nil {
		t.Fatalf("export: %v", err)
	}
	checkAllArrived(t, spans, p.reset(), "team-z", checkZipkinSpan)
}

// checkZipkinSpan compares an SDK span with what comes back through
// Zipkin v2, which is lossy by design: attributes travel as strings, the
// internal kind and links are dropped, events keep only a name (the
// exporter writes "name: {attrs}") and an error description becomes the
// "error" tag.
func checkZipkinSpan(t *testing.T, want sdktrace.ReadOnlySpan, got receivedSpan) {
	t.Helper()
	name := want.Name()
	s := got.span
	if s.TraceID() != pcommon.TraceID(want.SpanContext().TraceID()) || s.ParentSpanID() != pcommon.SpanID(want.Parent().SpanID()) {
		t.Errorf("%s: trace %s parent %s, want %s parent %s", name, s.TraceID(), s.ParentSpanID(), want.SpanContext().TraceID(), want.Parent().SpanID())
	}
	// zipkin-go's JSON encoding lower-cases span names.
	if s.Name() != strings.ToLower(name) {
		t.Errorf("name %q, want %q", s.Name(), strings.ToLower(name))
	}
	wantKind := ptrace.SpanKind(want.SpanKind())
	if want.SpanKind() == trace.SpanKindInternal {
		wantKind = ptrace.SpanKindUnspecified
	}
	if s.Kind() != wantKind {
		t.Errorf("%s: kind %v, want %v", name, s.Kind(), wantKind)
	}
	if !s.StartTimestamp().AsTime().Equal(want.StartTime()) || !s.EndTimestamp().AsTime().Equal(want.EndTime()) {
		t.Errorf("%s: time %v..%v, want %v..%v", name, s.StartTimestamp().AsTime(), s.EndTimestamp().AsTime(), want.StartTime(), want.EndTime())
	}
	if svc := got.resource.Attributes().AsRaw()["service.name"]; svc != "checkout" {
		t.Errorf("%s: service %v", name, svc)
	}
	checkScope(t, name, got.scope, want.InstrumentationScope())
	for _, kv := range append(want.Attributes(), want.Resource().Attributes()...) {
		if kv.Key == "service.name" {
			continue
		}
		// Tags the translator knows as resource conventions
		// (deployment.environment, ...) move to the resource.
		v, ok := s.Attributes().Get(string(kv.Key))
		if !ok {
			v, ok = got.resource.Attributes().Get(string(kv.Key))
		}
		if !ok {
			t.Errorf("%s: attribute %s missing", name, kv.Key)
		} else if wantStr := zipkinTagValue(kv); v.Str() != wantStr {
			t.Errorf("%s: attribute %s = %q, want %q", name, kv.Key, v.AsString(), wantStr)
		}
	}
	if got, want := s.Status().Code(), otlpStatusCode(want.Status().Code); got != want {
		t.Errorf("%s: status %v, want %v", name, got, want)
	}
	if want.Status().Code == codes.Error {
		if v, ok := s.Attributes().Get("error"); !ok || v.Str() != want.Status().Description {
			t.Errorf("%s: error tag %v, want %q", name, s.Attributes().AsRaw()["error"], want.Status().Description)
		}
	}
	if s.Events().Len() != len(want.Events()) {
		t.Fatalf("%s: %d events, want %d", name, s.Events().Len(), len(want.Events()))
	}
	for i, we := range want.Events() {
		ge := s.Events().At(i)
		if !strings.HasPrefix(ge.Name(), we.Name) || !ge.Timestamp().AsTime().Equal(we.Time) {
			t.Errorf("%s: event %d = %q@%v, want %q@%v", name, i, ge.Name(), ge.Timestamp().AsTime(), we.Name, we.Time)
		}
	}
}

// zipkinTagValue is how the exporter writes an attribute as a tag.
func zipkinTagValue(kv attribute.KeyValue) string {
	if kv.Value.Type() == attribute.STRINGSLICE {
		b, _ := json.Marshal(kv.Value.AsStringSlice())
		return string(b)
	}
	return kv.Value.Emit()
}

const sampleZipkinV2JSON = `[{
  "traceId": "463ac35c9f6413ad", "id": "a2fb4a1d1a96d312", "parentId": "0020000000000001",
  "name": "get /api", "kind": "SERVER", "timestamp": 1741064767000000, "duration": 1500,
  "localEndpoint": {"serviceName": "frontend", "ipv4": "192.168.99.1", "port": 3306},
  "tags": {"http.path": "/api", "error": "true"},
  "annotations": [{"timestamp": 1741064767000500, "value": "ws"}]
}, {
  "traceId": "5af7183fb1d4cf5f463ac35c9f6413ad", "id": "b2fb4a1d1a96d312",
  "name": "call db", "kind": "CLIENT", "timestamp": 1741064767000100, "duration": 100,
  "localEndpoint": {"serviceName": "frontend"},
  "remoteEndpoint": {"serviceName": "postgres"}
}]`

const sampleZipkinV1JSON = `[{
  "traceId": "463ac35c9f6413ad", "id": "c2fb4a1d1a96d312", "name": "get",
  "timestamp": 1741064767000000, "duration": 2000,
  "annotations": [
    {"timestamp": 1741064767000000, "value": "sr", "endpoint": {"serviceName": "backend", "ipv4": "10.0.0.1", "port": 8080}},
    {"timestamp": 1741064767002000, "value": "ss", "endpoint": {"serviceName": "backend", "ipv4": "10.0.0.1", "port": 8080}}
  ],
  "binaryAnnotations": [{"key": "http.path", "value": "/v1", "endpoint": {"serviceName": "backend", "ipv4": "10.0.0.1", "port": 8080}}]
}]`

var zipkinT0 = time.UnixMicro(1741064767000000).UTC()

// sampleZipkinV2Proto is the zipkin_proto3 ListOfSpans a zipkin-go reporter sends.
func sampleZipkinV2Proto(t testing.TB) []byte {
	t.Helper()
	parent := model.ID(0x0020000000000001)
	b, err := zipkin_proto3.SpanSerializer{}.Serialize([]*model.SpanModel{{
		SpanContext: model.SpanContext{
			TraceID:  model.TraceID{High: 0x5af7183fb1d4cf5f, Low: 0x463ac35c9f6413ad},
			ID:       model.ID(0xd2fb4a1d1a96d312),
			ParentID: &parent,
		},
		Name:          "send",
		Kind:          model.Producer,
		Timestamp:     zipkinT0,
		Duration:      3 * time.Millisecond,
		LocalEndpoint: &model.Endpoint{ServiceName: "queue", IPv4: net.IPv4(10, 0, 0, 2)},
		Tags:          map[string]string{"messaging.system": "kafka"},
		Annotations:   []model.Annotation{{Timestamp: zipkinT0.Add(time.Millisecond), Value: "enqueued"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sampleZipkinV1Thrift is a thrift list of zipkincore spans, as old Zipkin
// clients post to /api/v1/spans.
func sampleZipkinV1Thrift(t testing.TB) []byte {
	t.Helper()
	ep := &zipkincore.Endpoint{ServiceName: "legacy", Ipv4: 0x0a000003, Port: 9000}
	ts, dur := zipkinT0.UnixMicro(), int64(4000)
	span := &zipkincore.Span{
		TraceID: 0x463ac35c9f6413ad, ID: int64(0x7fb4a1d1a96d312), Name: "rpc",
		Timestamp: &ts, Duration: &dur,
		Annotations: []*zipkincore.Annotation{
			{Timestamp: ts, Value: "cs", Host: ep},
			{Timestamp: ts + dur, Value: "cr", Host: ep},
		},
		BinaryAnnotations: []*zipkincore.BinaryAnnotation{
			{Key: "rpc.method", Value: []byte("Get"), AnnotationType: zipkincore.AnnotationType_STRING, Host: ep},
		},
	}
	ctx := context.Background()
	buf := thrift.NewTMemoryBuffer()
	proto := thrift.NewTBinaryProtocolConf(buf, nil)
	if err := proto.WriteListBegin(ctx, thrift.STRUCT, 1); err != nil {
		t.Fatal(err)
	}
	if err := span.Write(ctx, proto); err != nil {
		t.Fatal(err)
	}
	if err := proto.WriteListEnd(ctx); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestZipkinFormats posts each body format Zipkin clients use and checks
// the spans, including 64-bit trace IDs widened with leading zeros.
func TestZipkinFormats(t *testing.T) {
	r, p := startReceivers(t, allReceivers(), Options{})
	base := "http://" + r.Addr(Zipkin)
	tests := []struct {
		name   string
		path   string
		header map[string]string
		body   []byte
		want   []wantSpan
	}{
		{name: "v2 json", path: "/api/v2/spans", header: map[string]string{"Content-Type": "application/json"}, body: []byte(sampleZipkinV2JSON),
			want: []wantSpan{{
				traceID: traceIDHex(t, "463ac35c9f6413ad"), spanID: spanIDHex(t, "a2fb4a1d1a96d312"), parent: spanIDHex(t, "0020000000000001"),
				name: "get /api", kind: ptrace.SpanKindServer, service: "frontend",
				start: zipkinT0, end: zipkinT0.Add(1500 * time.Microsecond),
				attrs:  map[string]any{"http.path": "/api", "network.local.address": "192.168.99.1", "net.host.port": int64(3306)},
				status: ptrace.StatusCodeError, events: []string{"ws"},
			}, {
				traceID: traceIDHex(t, "5af7183fb1d4cf5f463ac35c9f6413ad"), spanID: spanIDHex(t, "b2fb4a1d1a96d312"),
				name: "call db", kind: ptrace.SpanKindClient, service: "frontend",
				start: zipkinT0.Add(100 * time.Microsecond), end: zipkinT0.Add(200 * time.Microsecond),
				attrs: map[string]any{"service.peer.name": "postgres"},
			}}},
		{name: "v2 json without content type", path: "/api/v2/spans", body: []byte(sampleZipkinV2JSON[:strings.Index(sampleZipkinV2JSON, "}, {")+1] + "]"),
			want: []wantSpan{{
				traceID: traceIDHex(t, "463ac35c9f6413ad"), spanID: spanIDHex(t, "a2fb4a1d1a96d312"), parent: spanIDHex(t, "0020000000000001"),
				name: "get /api", kind: ptrace.SpanKindServer, service: "frontend",
				start: zipkinT0, end: zipkinT0.Add(1500 * time.Microsecond),
				attrs: map[string]any{"http.path": "/api"}, status: ptrace.StatusCodeError, events: []string{"ws"},
			}}},
		{name: "v2 protobuf", path: "/api/v2/spans", header: map[string]string{"Content-Type": "application/x-protobuf"}, body: sampleZipkinV2Proto(t),
			want: []wantSpan{{
				traceID: traceIDHex(t, "5af7183fb1d4cf5f463ac35c9f6413ad"), spanID: spanIDHex(t, "d2fb4a1d1a96d312"), parent: spanIDHex(t, "0020000000000001"),
				name: "send", kind: ptrace.SpanKindProducer, service: "queue",
				start: zipkinT0, end: zipkinT0.Add(3 * time.Millisecond),
				attrs: map[string]any{"messaging.system": "kafka"}, events: []string{"enqueued"},
			}}},
		{name: "v1 json", path: "/api/v1/spans", header: map[string]string{"Content-Type": "application/json"}, body: []byte(sampleZipkinV1JSON),
			want: []wantSpan{{
				traceID: traceIDHex(t, "463ac35c9f6413ad"), spanID: spanIDHex(t, "c2fb4a1d1a96d312"),
				name: "get", kind: ptrace.SpanKindServer, service: "backend",
				start: zipkinT0, end: zipkinT0.Add(2 * time.Millisecond),
				attrs: map[string]any{"http.path": "/v1"},
			}}},
		{name: "v1 thrift", path: "/api/v1/spans", header: map[string]string{"Content-Type": "application/x-thrift"}, body: sampleZipkinV1Thrift(t),
			want: []wantSpan{{
				traceID: traceIDHex(t, "463ac35c9f6413ad"), spanID: spanIDHex(t, "07fb4a1d1a96d312"),
				name: "rpc", kind: ptrace.SpanKindClient, service: "legacy",
				start: zipkinT0, end: zipkinT0.Add(4 * time.Millisecond),
				attrs: map[string]any{"rpc.method": "Get"},
			}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := postRaw(t, base+tt.path, tt.header, tt.body)
			if code != 202 {
				t.Fatalf("status %d (%s), want 202", code, body)
			}
			if body != "" {
				t.Errorf("body %q, want empty", body)
			}
			pushes := p.reset()
			for _, push := range pushes {
				if push.tenant != SingleTenant {
					t.Errorf("tenant %q, want %q", push.tenant, SingleTenant)
				}
			}
			checkOnlySpans(t, pushes, tt.want...)
		})
	}
}

// TestZipkinErrors pins the status codes of the Zipkin endpoint.
func TestZipkinErrors(t *testing.T) {
	r, p := startReceivers(t, allReceivers(), Options{MultitenancyEnabled: true})
	base := "http://" + r.Addr(Zipkin)
	tenant := map[string]string{"X-Scope-OrgID": "team-z", "Content-Type": "application/json"}
	tests := []struct {
		name       string
		path       string
		header     map[string]string
		body       string
		pushErr    error
		wantStatus int
		wantBody   string
		wantRetry  string
	}{
		{name: "bad v2 json", path: "/api/v2/spans", header: tenant, body: `[{"traceId": 12}]`, wantStatus: 400, wantBody: "decode zipkin v2 JSON"},
		{name: "bad v2 trace id", path: "/api/v2/spans", header: tenant, body: `[{"traceId": "xyz", "id": "a2fb4a1d1a96d312"}]`, wantStatus: 400, wantBody: "decode zipkin v2 JSON"},
		{name: "bad v1 json", path: "/api/v1/spans", header: tenant, body: `{`, wantStatus: 400, wantBody: "decode zipkin v1 JSON"},
		{name: "bad v2 protobuf", path: "/api/v2/spans", header: map[string]string{"X-Scope-OrgID": "team-z", "Content-Type": "application/x-protobuf"}, body: "\x0a\x05\x0a\x01", wantStatus: 400, wantBody: "decode zipkin v2 protobuf"},
		{name: "bad v1 thrift", path: "/api/v1/spans", header: map[string]string{"X-Scope-OrgID": "team-z", "Content-Type": "application/x-thrift"}, body: "\x0c\x00\x00\x00\x05", wantStatus: 400, wantBody: "decode zipkin v1 thrift"},
		{name: "missing tenant", path: "/api/v2/spans", header: map[string]string{"Content-Type": "application/json"}, body: sampleZipkinV2JSON, wantStatus: 401, wantBody: "no org id"},
		{name: "limit", path: "/api/v2/spans", header: tenant, body: sampleZipkinV2JSON,
			pushErr: &pusher.LimitError{Tenant: "team-z", Limit: "ingestion_rate_limit_bytes", Detail: "over"}, wantStatus: 429, wantBody: "ingestion_rate_limit_bytes reached", wantRetry: "5"},
		{name: "internal", path: "/api/v2/spans", header: tenant, body: sampleZipkinV2JSON, pushErr: errBoom, wantStatus: 500, wantBody: "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.setErr(tt.pushErr)
			defer p.setErr(nil)
			code, h, body := postRaw(t, base+tt.path, tt.header, []byte(tt.body))
			if code != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Fatalf("got %d %q, want %d containing %q", code, body, tt.wantStatus, tt.wantBody)
			}
			if got := h.Get("Retry-After"); got != tt.wantRetry {
				t.Errorf("Retry-After %q, want %q", got, tt.wantRetry)
			}
			if n := len(p.reset()); n != 0 {
				t.Errorf("%d pushes recorded, want none", n)
			}
		})
	}
	t.Run("GET", func(t *testing.T) {
		resp, err := http.Get(base + "/api/v2/spans")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
			t.Errorf("got %d Allow %q, want 405 Allow POST", resp.StatusCode, resp.Header.Get("Allow"))
		}
	})
}
