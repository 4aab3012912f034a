package receiver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	zipkinmodel "github.com/openzipkin/zipkin-go/model"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tempoctl/tempoctl/model/otlpwire"
)

const benchSpans = 100 // spans per request, a typical exporter batch

type nopPusher struct{}

func (nopPusher) Push(context.Context, string, *otlpwire.Batch) error { return nil }

// benchTraces is one request's worth of spans with attributes of the
// sizes HTTP services usually carry.
func benchTraces() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "frontend")
	rs.Resource().Attributes().PutStr("k8s.pod.name", "frontend-7d9c8b7f6-abcde")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")
	for i := range benchSpans {
		s := ss.Spans().AppendEmpty()
		s.SetTraceID(pcommon.TraceID{byte(i), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
		s.SetSpanID(pcommon.SpanID{byte(i), 1, 2, 3, 4, 5, 6, 7})
		s.SetParentSpanID(pcommon.SpanID{byte(i), 9, 9, 9, 9, 9, 9, 9})
		s.SetName(fmt.Sprintf("GET /api/v1/items/%d", i%10))
		s.SetKind(ptrace.SpanKindServer)
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(testStart))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(testStart.Add(time.Duration(i) * time.Millisecond)))
		a := s.Attributes()
		a.PutStr("http.request.method", "GET")
		a.PutStr("url.path", "/api/v1/items")
		a.PutInt("http.response.status_code", 200)
		a.PutStr("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64)")
		a.PutStr("server.address", "frontend.default.svc.cluster.local")
		e := s.Events().AppendEmpty()
		e.SetName("cache miss")
		e.Attributes().PutStr("cache.key", "items:42")
	}
	return td
}

// BenchmarkOTLPHTTPProto measures one OTLP/HTTP protobuf request through
// the handler: body read, decode, tenant, push, response.
func BenchmarkOTLPHTTPProto(b *testing.B) {
	body, err := ptraceotlp.NewExportRequestFromTraces(benchTraces()).MarshalProto()
	if err != nil {
		b.Fatal(err)
	}
	m, _ := newMetrics(nil)
	h := &otlpHTTP{base: &base{pusher: nopPusher{}, tenants: newTenants(true, ""), retryAfter: DefaultRetryAfter, metrics: m}, maxBody: DefaultMaxRequestBodySize}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/v1/traces", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-protobuf")
		req.Header.Set("X-Scope-OrgID", "bench")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	b.ReportMetric(float64(benchSpans*b.N)/b.Elapsed().Seconds(), "spans/s")
}

// benchZipkinSpans is benchTraces' request as Zipkin v2 spans.
func benchZipkinSpans() []zipkinmodel.SpanModel {
	spans := make([]zipkinmodel.SpanModel, benchSpans)
	parent := zipkinmodel.ID(99)
	for i := range spans {
		spans[i] = zipkinmodel.SpanModel{
			SpanContext: zipkinmodel.SpanContext{
				TraceID:  zipkinmodel.TraceID{High: uint64(i), Low: 42},
				ID:       zipkinmodel.ID(i + 1),
				ParentID: &parent,
			},
			Name:          fmt.Sprintf("get /api/v1/items/%d", i%10),
			Kind:          zipkinmodel.Server,
			Timestamp:     testStart,
			Duration:      time.Duration(i) * time.Millisecond,
			LocalEndpoint: &zipkinmodel.Endpoint{ServiceName: "frontend"},
			Tags: map[string]string{
				"http.method": "GET", "http.path": "/api/v1/items", "http.status_code": "200",
				"user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
			},
			Annotations: []zipkinmodel.Annotation{{Timestamp: testStart, Value: "cache miss"}},
		}
	}
	return spans
}

// BenchmarkZipkinJSONDecode measures decoding a Zipkin v2 JSON request.
func BenchmarkZipkinJSONDecode(b *testing.B) {
	body, err := json.Marshal(benchZipkinSpans())
	if err != nil {
		b.Fatal(err)
	}
	dec := newZipkinDecoder(false)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		td, err := dec.decode(zipkinV2JSON, false, body)
		if err != nil {
			b.Fatal(err)
		}
		if td.SpanCount() != benchSpans {
			b.Fatalf("%d spans", td.SpanCount())
		}
	}
	b.ReportMetric(float64(benchSpans*b.N)/b.Elapsed().Seconds(), "spans/s")
}

// BenchmarkOTLPGRPC measures OTLP gRPC export requests over a real loopback
// connection: transport, the raw codec, otlpwire parsing, tenant, push.
func BenchmarkOTLPGRPC(b *testing.B) {
	td := ptrace.NewTraces()
	for td.SpanCount() < 500 {
		benchTraces().ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	}
	req := ptraceotlp.NewExportRequestFromTraces(td)
	m, _ := newMetrics(nil)
	srv := newOTLPGRPCServer(&base{pusher: nopPusher{}, tenants: newTenants(false, ""), retryAfter: DefaultRetryAfter, metrics: m}, GRPCServerConfig{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Stop()
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	client := ptraceotlp.NewGRPCClient(conn)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.Export(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(td.SpanCount()*b.N)/b.Elapsed().Seconds(), "spans/s")
}
