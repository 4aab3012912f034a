package receiver

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jaegertracing/jaeger-idl/model/v1"
	"github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	"github.com/jaegertracing/jaeger-idl/thrift-gen/jaeger"
	zipkinmodel "github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/proto/zipkin_proto3"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/tempoctl/tempoctl/model/otlpwire"
)

// BenchmarkDecode measures the decode stage of every protocol the receivers
// take, on the same 100 spans (benchTraces): from a request body to the
// OTLP batch handed to the distributor. OTLP protobuf is only parsed (the
// batch keeps the bytes as received); the others are decoded, translated
// and encoded once. spans/s is per core.
func BenchmarkDecode(b *testing.B) {
	otlpProto, err := ptraceotlp.NewExportRequestFromTraces(benchTraces()).MarshalProto()
	if err != nil {
		b.Fatal(err)
	}
	otlpJSONBody, err := ptraceotlp.NewExportRequestFromTraces(benchTraces()).MarshalJSON()
	if err != nil {
		b.Fatal(err)
	}
	zspans := benchZipkinSpans()
	zptrs := make([]*zipkinmodel.SpanModel, len(zspans))
	for i := range zspans {
		zptrs[i] = &zspans[i]
	}
	zipkinProto, err := zipkin_proto3.SpanSerializer{}.Serialize(zptrs)
	if err != nil {
		b.Fatal(err)
	}
	thriftBody := encodeThriftBatch(b, benchJaegerThrift())
	jreq := api_v2.PostSpansRequest{Batch: benchJaegerProto()}
	jaegerProto, err := jreq.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	zdec := newZipkinDecoder(false)
	encode := func(td ptrace.Traces, err error) (*otlpwire.Batch, error) {
		if err != nil {
			return nil, err
		}
		return otlpwire.FromTraces(td)
	}
	for _, tc := range []struct {
		name   string
		body   []byte
		decode func(body []byte) (*otlpwire.Batch, error)
	}{
		{"otlp-proto", otlpProto, otlpwire.Parse},
		{"otlp-json", otlpJSONBody, func(body []byte) (*otlpwire.Batch, error) { return encode(decodeOTLP(otlpJSON, body)) }},
		{"zipkin-v2-json", mustJSON(b, zspans), func(body []byte) (*otlpwire.Batch, error) {
			return encode(zdec.decode(zipkinV2JSON, false, body))
		}},
		{"zipkin-v2-proto", zipkinProto, func(body []byte) (*otlpwire.Batch, error) {
			return encode(zdec.decode(zipkinV2Proto, false, body))
		}},
		{"jaeger-thrift", thriftBody, func(body []byte) (*otlpwire.Batch, error) { return encode(decodeJaegerThrift(body)) }},
		{"jaeger-grpc", jaegerProto, func(body []byte) (*otlpwire.Batch, error) {
			// As gRPC hands it to PostSpans: unmarshalled, then translated.
			var req api_v2.PostSpansRequest
			if err := req.Unmarshal(body); err != nil {
				return nil, err
			}
			return encode(decodeJaegerProto(&req.Batch))
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.body)))
			b.ReportAllocs()
			for b.Loop() {
				batch, err := tc.decode(tc.body)
				if err != nil {
					b.Fatal(err)
				}
				if batch.SpanCount != benchSpans {
					b.Fatalf("%d spans, want %d", batch.SpanCount, benchSpans)
				}
			}
			b.ReportMetric(float64(benchSpans*b.N)/b.Elapsed().Seconds(), "spans/s")
		})
	}
}

func mustJSON(b *testing.B, spans []zipkinmodel.SpanModel) []byte {
	body, err := json.Marshal(spans)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// benchJaegerThrift is benchTraces' request as a Jaeger thrift batch.
func benchJaegerThrift() *jaeger.Batch {
	t0 := testStart.UnixMicro()
	batch := &jaeger.Batch{Process: &jaeger.Process{ServiceName: "frontend", Tags: []*jaeger.Tag{thriftStr("k8s.pod.name", "frontend-7d9c8b7f6-abcde")}}}
	for i := range benchSpans {
		batch.Spans = append(batch.Spans, &jaeger.Span{
			TraceIdHigh: int64(i), TraceIdLow: 42, SpanId: int64(i + 1), ParentSpanId: 99,
			OperationName: fmt.Sprintf("GET /api/v1/items/%d", i%10), Flags: 1,
			StartTime: t0, Duration: int64(i) * 1000,
			Tags: []*jaeger.Tag{
				thriftStr("span.kind", "server"), thriftStr("http.request.method", "GET"), thriftStr("url.path", "/api/v1/items"),
				thriftLong("http.response.status_code", 200), thriftStr("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64)"),
				thriftStr("server.address", "frontend.default.svc.cluster.local"),
			},
			Logs: []*jaeger.Log{{Timestamp: t0, Fields: []*jaeger.Tag{thriftStr("event", "cache miss"), thriftStr("cache.key", "items:42")}}},
		})
	}
	return batch
}

// benchJaegerProto is benchTraces' request as a jaeger.api_v2 batch.
func benchJaegerProto() model.Batch {
	batch := model.Batch{Process: &model.Process{ServiceName: "frontend", Tags: []model.KeyValue{model.String("k8s.pod.name", "frontend-7d9c8b7f6-abcde")}}}
	for i := range benchSpans {
		id := model.NewTraceID(uint64(i), 42)
		batch.Spans = append(batch.Spans, &model.Span{
			TraceID: id, SpanID: model.SpanID(i + 1), OperationName: fmt.Sprintf("GET /api/v1/items/%d", i%10), Flags: 1,
			References: []model.SpanRef{model.NewChildOfRef(id, 99)},
			StartTime:  testStart, Duration: time.Duration(i) * time.Millisecond,
			Tags: []model.KeyValue{
				model.String("span.kind", "server"), model.String("http.request.method", "GET"), model.String("url.path", "/api/v1/items"),
				model.Int64("http.response.status_code", 200), model.String("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64)"),
				model.String("server.address", "frontend.default.svc.cluster.local"),
			},
			Logs: []model.Log{{Timestamp: testStart, Fields: []model.KeyValue{model.String("event", "cache miss"), model.String("cache.key", "items:42")}}},
		})
	}
	return batch
}
