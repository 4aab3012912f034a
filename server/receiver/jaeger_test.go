package receiver

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apache/thrift/lib/go/thrift"
	"github.com/jaegertracing/jaeger-idl/model/v1"
	"github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	"github.com/jaegertracing/jaeger-idl/thrift-gen/jaeger"
	"github.com/tempoctl/tempoctl/server/pusher"
	"github.com/tempoctl/tempoctl/server/rawgrpc"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

var jaegerT0 = time.UnixMicro(1741064767000000).UTC()

// Span IDs of the Jaeger fixtures; the trace IDs are 0x463ac35c9f6413ad
// (64-bit) and 0x5af7183fb1d4cf5f_463ac35c9f6413ad (128-bit).
const (
	jaegerTraceLow  = 0x463ac35c9f6413ad
	jaegerTraceHigh = 0x5af7183fb1d4cf5f
	jaegerRootID    = 0x1000000000000001
	jaegerChildID   = 0x1000000000000002
	jaegerOtherID   = 0x1000000000000003
)

func thriftStr(k, v string) *jaeger.Tag {
	return &jaeger.Tag{Key: k, VType: jaeger.TagType_STRING, VStr: &v}
}
func thriftLong(k string, v int64) *jaeger.Tag {
	return &jaeger.Tag{Key: k, VType: jaeger.TagType_LONG, VLong: &v}
}
func thriftBool(k string, v bool) *jaeger.Tag {
	return &jaeger.Tag{Key: k, VType: jaeger.TagType_BOOL, VBool: &v}
}
func thriftDouble(k string, v float64) *jaeger.Tag {
	return &jaeger.Tag{Key: k, VType: jaeger.TagType_DOUBLE, VDouble: &v}
}

// jaegerThriftBatch is what a Jaeger client's HTTP sender posts: one
// process, a 64-bit-ID trace with a parent and child, and a span of a
// 128-bit trace that follows from the root.
func jaegerThriftBatch() *jaeger.Batch {
	t0 := jaegerT0.UnixMicro()
	return &jaeger.Batch{
		Process: &jaeger.Process{ServiceName: "billing", Tags: []*jaeger.Tag{thriftStr("hostname", "host-1"), thriftStr("jaeger.version", "Go-2.30.0")}},
		Spans: []*jaeger.Span{{
			TraceIdLow: jaegerTraceLow, SpanId: jaegerRootID, OperationName: "charge", Flags: 1,
			StartTime: t0, Duration: 5000,
			Tags: []*jaeger.Tag{
				thriftStr("span.kind", "server"), thriftStr("http.method", "POST"), thriftLong("retries", 2),
				thriftBool("cached", true), thriftDouble("ratio", 0.25),
			},
		}, {
			TraceIdLow: jaegerTraceLow, SpanId: jaegerChildID, ParentSpanId: jaegerRootID, OperationName: "card api", Flags: 1,
			StartTime: t0 + 1000, Duration: 2000,
			Tags: []*jaeger.Tag{thriftStr("span.kind", "client"), thriftBool("error", true), thriftStr("otel.status_description", "card declined")},
			Logs: []*jaeger.Log{{Timestamp: t0 + 1500, Fields: []*jaeger.Tag{thriftStr("event", "retry"), thriftLong("attempt", 1)}}},
		}, {
			TraceIdHigh: jaegerTraceHigh, TraceIdLow: jaegerTraceLow, SpanId: jaegerOtherID, OperationName: "audit", Flags: 1,
			StartTime: t0 + 6000, Duration: 1000,
			Tags:       []*jaeger.Tag{thriftStr("span.kind", "consumer"), thriftStr("otel.status_code", "OK")},
			References: []*jaeger.SpanRef{{RefType: jaeger.SpanRefType_FOLLOWS_FROM, TraceIdLow: jaegerTraceLow, SpanId: jaegerRootID}},
		}},
	}
}

// jaegerWant is what both Jaeger receivers should push for the fixtures.
func jaegerWant() []wantSpan {
	id := func(v uint64) pcommon.SpanID {
		var s pcommon.SpanID
		for i := range 8 {
			s[7-i] = byte(v >> (8 * i))
		}
		return s
	}
	short := pcommon.TraceID{8: 0x46, 9: 0x3a, 10: 0xc3, 11: 0x5c, 12: 0x9f, 13: 0x64, 14: 0x13, 15: 0xad}
	long := pcommon.TraceID{0x5a, 0xf7, 0x18, 0x3f, 0xb1, 0xd4, 0xcf, 0x5f, 0x46, 0x3a, 0xc3, 0x5c, 0x9f, 0x64, 0x13, 0xad}
	return []wantSpan{{
		traceID: short, spanID: id(jaegerRootID), name: "charge", kind: ptrace.SpanKindServer, service: "billing",
		start: jaegerT0, end: jaegerT0.Add(5 * time.Millisecond),
		attrs: map[string]any{"http.method": "POST", "retries": int64(2), "cached": true, "ratio": 0.25},
	}, {
		traceID: short, spanID: id(jaegerChildID), parent: id(jaegerRootID), name: "card api", kind: ptrace.SpanKindClient, service: "billing",
		start: jaegerT0.Add(time.Millisecond), end: jaegerT0.Add(3 * time.Millisecond),
		status: ptrace.StatusCodeError, statusMsg: "card declined", events: []string{"retry"},
	}, {
		traceID: long, spanID: id(jaegerOtherID), name: "audit", kind: ptrace.SpanKindConsumer, service: "billing",
		start: jaegerT0.Add(6 * time.Millisecond), end: jaegerT0.Add(7 * time.Millisecond),
		status: ptrace.StatusCodeOk, links: []pcommon.SpanID{id(jaegerRootID)},
	}}
}

func encodeThriftBatch(t testing.TB, b *jaeger.Batch) []byte {
	t.Helper()
	buf := thrift.NewTMemoryBuffer()
	if err := b.Write(context.Background(), thrift.NewTBinaryProtocolConf(buf, nil)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestJaegerThriftHTTP posts a thrift batch as Jaeger clients do.
func TestJaegerThriftHTTP(t *testing.T) {
	r, p := startReceivers(t, allReceivers(), Options{MultitenancyEnabled: true})
	url := "http://" + r.Addr(JaegerThriftHTTP) + "/api/traces"
	body := encodeThriftBatch(t, jaegerThriftBatch())

	code, _, resp := postRaw(t, url, map[string]string{"Content-Type": "application/x-thrift", "X-Scope-OrgID": "team-j"}, body)
	if code != 202 {
		t.Fatalf("status %d (%s), want 202", code, resp)
	}
	pushes := p.reset()
	checkOnlySpans(t, pushes, jaegerWant()...)
	for _, push := range pushes {
		if push.tenant != "team-j" {
			t.Errorf("tenant %q, want team-j", push.tenant)
		}
		res := push.td.ResourceSpans().At(0).Resource().Attributes().AsRaw()
		if res["host.name"] != "host-1" {
			t.Errorf("resource %v: want host.name from the process's hostname tag", res)
		}
	}

	tenant := map[string]string{"Content-Type": "application/x-thrift", "X-Scope-OrgID": "team-j"}
	tests := []struct {
		name       string
		header     map[string]string
		body       []byte
		pushErr    error
		wantStatus int
		wantBody   string
		wantRetry  string
	}{
		{name: "alternative content type", header: map[string]string{"Content-Type": "application/vnd.apache.thrift.binary", "X-Scope-OrgID": "team-j"}, body: body, wantStatus: 202},
		{name: "wrong content type", header: map[string]string{"Content-Type": "application/json", "X-Scope-OrgID": "team-j"}, body: body, wantStatus: 415, wantBody: "unsupported Content-Type"},
		{name: "garbage", header: tenant, body: []byte("not thrift at all"), wantStatus: 400, wantBody: "decode jaeger thrift batch"},
		{name: "truncated", header: tenant, body: body[:len(body)/2], wantStatus: 400, wantBody: "decode jaeger thrift batch"},
		{name: "lying list length", header: tenant, body: []byte{0x0f, 0x00, 0x02, 0x0c, 0x7f, 0xff, 0xff, 0xff}, wantStatus: 400, wantBody: "decode jaeger thrift batch"},
		{name: "missing tenant", header: map[string]string{"Content-Type": "application/x-thrift"}, body: body, wantStatus: 401, wantBody: "no org id"},
		{name: "limit", header: tenant, body: body, pushErr: &pusher.LimitError{Tenant: "team-j", Limit: "max_traces_per_user", Detail: "too many"},
			wantStatus: 429, wantBody: "max_traces_per_user reached", wantRetry: "5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.reset()
			p.setErr(tt.pushErr)
			defer p.setErr(nil)
			code, h, resp := postRaw(t, url, tt.header, tt.body)
			if code != tt.wantStatus || !strings.Contains(resp, tt.wantBody) {
				t.Fatalf("got %d %q, want %d containing %q", code, resp, tt.wantStatus, tt.wantBody)
			}
			if got := h.Get("Retry-After"); got != tt.wantRetry {
				t.Errorf("Retry-After %q, want %q", got, tt.wantRetry)
			}
		})
	}
}

// jaegerProtoBatch is the fixture as jaeger.api_v2 protobuf, the form
// Jaeger agents and OTel Collector Jaeger exporters send over gRPC.
func jaegerProtoBatch() model.Batch {
	short := model.NewTraceID(0, jaegerTraceLow)
	long := model.NewTraceID(jaegerTraceHigh, jaegerTraceLow)
	return model.Batch{
		Process: &model.Process{ServiceName: "billing", Tags: []model.KeyValue{model.String("hostname", "host-1")}},
		Spans: []*model.Span{{
			TraceID: short, SpanID: jaegerRootID, OperationName: "charge", Flags: 1,
			StartTime: jaegerT0, Duration: 5 * time.Millisecond,
			Tags: []model.KeyValue{
				model.String("span.kind", "server"), model.String("http.method", "POST"), model.Int64("retries", 2),
				model.Bool("cached", true), model.Float64("ratio", 0.25),
			},
		}, {
			TraceID: short, SpanID: jaegerChildID, OperationName: "card api", Flags: 1,
			References: []model.SpanRef{model.NewChildOfRef(short, jaegerRootID)},
			StartTime:  jaegerT0.Add(time.Millisecond), Duration: 2 * time.Millisecond,
			Tags: []model.KeyValue{model.String("span.kind", "client"), model.Bool("error", true), model.String("otel.status_description", "card declined")},
			Logs: []model.Log{{Timestamp: jaegerT0.Add(1500 * time.Microsecond), Fields: []model.KeyValue{model.String("event", "retry"), model.Int64("attempt", 1)}}},
		}, {
			TraceID: long, SpanID: jaegerOtherID, OperationName: "audit", Flags: 1,
			References: []model.SpanRef{model.NewFollowsFromRef(short, jaegerRootID)},
			StartTime:  jaegerT0.Add(6 * time.Millisecond), Duration: time.Millisecond,
			Tags: []model.KeyValue{model.String("span.kind", "consumer"), model.String("otel.status_code", "OK")},
		}},
	}
}

// TestJaegerGRPC calls CollectorService/PostSpans over a real connection.
func TestJaegerGRPC(t *testing.T) {
	r, p := startReceivers(t, allReceivers(), Options{MultitenancyEnabled: true, TenantHeader: "X-Tenant"})
	conn, err := grpc.NewClient(r.Addr(JaegerGRPC), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	client := api_v2.NewCollectorServiceClient(conn)
	withTenant := metadata.AppendToOutgoingContext(context.Background(), "x-tenant", "team-g")

	if _, err := client.PostSpans(withTenant, &api_v2.PostSpansRequest{Batch: jaegerProtoBatch()}); err != nil {
		t.Fatalf("PostSpans: %v", err)
	}
	pushes := p.reset()
	checkOnlySpans(t, pushes, jaegerWant()...)
	for _, push := range pushes {
		if push.tenant != "team-g" {
			t.Errorf("tenant %q, want team-g", push.tenant)
		}
	}

	tests := []struct {
		name      string
		ctx       context.Context
		pushErr   error
		wantCode  codes.Code
		wantMsg   string
		wantRetry time.Duration
	}{
		{name: "default header is not the configured one", ctx: metadata.AppendToOutgoingContext(context.Background(), "x-scope-orgid", "team-g"),
			wantCode: codes.Unauthenticated, wantMsg: "no org id"},
		{name: "limit", ctx: withTenant, pushErr: &pusher.LimitError{Tenant: "team-g", Limit: "ingestion_burst_size_bytes", Detail: "burst"},
			wantCode: codes.ResourceExhausted, wantMsg: "ingestion_burst_size_bytes reached", wantRetry: 5 * time.Second},
		{name: "internal", ctx: withTenant, pushErr: errBoom, wantCode: codes.Internal, wantMsg: "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.setErr(tt.pushErr)
			defer p.setErr(nil)
			_, err := client.PostSpans(tt.ctx, &api_v2.PostSpansRequest{Batch: jaegerProtoBatch()})
			st := status.Convert(err)
			if st.Code() != tt.wantCode || !strings.Contains(st.Message(), tt.wantMsg) {
				t.Fatalf("got %v %q, want %v containing %q", st.Code(), st.Message(), tt.wantCode, tt.wantMsg)
			}
			checkRetryInfo(t, st, tt.wantRetry)
		})
	}
}

// TestJaegerGRPCMalformed: a PostSpans body that does not decode is the
// client's error, InvalidArgument with a message, and the server goes on.
func TestJaegerGRPCMalformed(t *testing.T) {
	r, p := startReceivers(t, allReceivers(), Options{MultitenancyEnabled: true})
	conn, err := grpc.NewClient(r.Addr(JaegerGRPC), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-scope-orgid", "team-g")
	good, err := (&api_v2.PostSpansRequest{Batch: jaegerProtoBatch()}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		body     []byte
		wantCode codes.Code
		wantMsg  string
	}{
		{"garbage", []byte("not protobuf at all"), codes.InvalidArgument, "decode jaeger PostSpans request"},
		{"truncated", good[:len(good)/2], codes.InvalidArgument, "decode jaeger PostSpans request"},
		{"trace ID of 3 bytes", []byte("\x0a\x09\x0a\x07\x0a\x03\x01\x02\x03\x12\x00"), codes.InvalidArgument, "decode jaeger PostSpans request"},
		{"valid", good, codes.OK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.reset()
			var resp rawgrpc.Message
			err := conn.Invoke(ctx, "/jaeger.api_v2.CollectorService/PostSpans", &rawgrpc.Message{B: tt.body}, &resp, grpc.ForceCodecV2(rawgrpc.NewCodec()))
			st := status.Convert(err)
			if st.Code() != tt.wantCode || !strings.Contains(st.Message(), tt.wantMsg) {
				t.Fatalf("got %v %q, want %v containing %q", st.Code(), st.Message(), tt.wantCode, tt.wantMsg)
			}
			want := 0
			if tt.wantCode == codes.OK {
				want = 1
			}
			if n := len(p.reset()); n != want {
				t.Errorf("%d pushes, want %d", n, want)
			}
		})
	}
}
