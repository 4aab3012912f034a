package receiver

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/tempoctl/tempoctl/server/distributor"
	"github.com/tempoctl/tempoctl/server/overrides"
	"github.com/tempoctl/tempoctl/server/pusher"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// TestOTLPExporters sends SDK spans with the OpenTelemetry Go exporters in
// each of their modes and checks every span arrives intact.
func TestOTLPExporters(t *testing.T) {
	r, p := startReceivers(t, allReceivers(), Options{MultitenancyEnabled: true})
	headers := map[string]string{"X-Scope-OrgID": "team-a"}
	noRetry := otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false})
	noRetryHTTP := otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false})

	tests := []struct {
		name string
		exp  func(ctx context.Context) (sdktrace.SpanExporter, error)
	}{
		{"grpc", func(ctx context.Context) (sdktrace.SpanExporter, error) {
			return otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(r.Addr(OTLPGRPC)), otlptracegrpc.WithInsecure(), otlptracegrpc.WithHeaders(headers), noRetry)
		}},
		{"grpc gzip", func(ctx context.Context) (sdktrace.SpanExporter, error) {
			return otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(r.Addr(OTLPGRPC)), otlptracegrpc.WithInsecure(), otlptracegrpc.WithHeaders(headers), otlptracegrpc.WithCompressor("gzip"), noRetry)
		}},
		{"http protobuf", func(ctx context.Context) (sdktrace.SpanExporter, error) {
			return otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(r.Addr(OTLPHTTP)), otlptracehttp.WithInsecure(), otlptracehttp.WithHeaders(headers), noRetryHTTP)
		}},
		{"http protobuf gzip", func(ctx context.Context) (sdktrace.SpanExporter, error) {
			return otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(r.Addr(OTLPHTTP)), otlptracehttp.WithInsecure(), otlptracehttp.WithHeaders(headers), otlptracehttp.WithCompression(otlptracehttp.GzipCompression), noRetryHTTP)
		}},
		{"http json", func(ctx context.Context) (sdktrace.SpanExporter, error) {
			return otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(r.Addr(OTLPHTTP)), otlptracehttp.WithInsecure(), otlptracehttp.WithHeaders(headers), otlptracehttp.WithEncoding(otlptracehttp.EncodingJSON), noRetryHTTP)
		}},
		{"http json gzip", func(ctx context.Context) (sdktrace.SpanExporter, error) {
			return otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(r.Addr(OTLPHTTP)), otlptracehttp.WithInsecure(), otlptracehttp.WithHeaders(headers), otlptracehttp.WithEncoding(otlptracehttp.EncodingJSON), otlptracehttp.WithCompression(otlptracehttp.GzipCompression), noRetryHTTP)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			exp, err := tt.exp(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = exp.Shutdown(ctx) }()
			spans := makeSDKSpans(t)
			p.reset()
			if err := exp.ExportSpans(ctx, spans); err != nil {
				t.Fatalf("export: %v", err)
			}
			checkAllArrived(t, spans, p.reset(), "team-a", checkOTLPSpan)
		})
	}
}

// otlpBody is a small valid ExportTraceServiceRequest.
func otlpBody(t testing.TB, json bool) []byte {
	t.Helper()
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "svc")
	s := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	s.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	s.SetSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
	s.SetName("op")
	s.SetKind(ptrace.SpanKindServer)
	s.SetStartTimestamp(pcommon.NewTimestampFromTime(testStart))
	s.SetEndTimestamp(pcommon.NewTimestampFromTime(testStart.Add(time.Second)))
	req := ptraceotlp.NewExportRequestFromTraces(td)
	var (
		b   []byte
		err error
	)
	if json {
		b, err = req.MarshalJSON()
	} else {
		b, err = req.MarshalProto()
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestOTLPHTTPResponses pins status codes, headers and bodies of the
// OTLP/HTTP endpoint, errors included.
func TestOTLPHTTPResponses(t *testing.T) {
	cfg := Config{OTLP: &OTLPConfig{Protocols: OTLPProtocols{HTTP: &OTLPHTTPConfig{
		HTTPServerConfig: HTTPServerConfig{Endpoint: "127.0.0.1:0", MaxRequestBodySize: 64 << 10},
	}}}}
	r, p := startReceivers(t, cfg, Options{MultitenancyEnabled: true})
	url := "http://" + r.Addr(OTLPHTTP) + "/v1/traces"
	const (
		ctJSON  = "application/json"
		ctProto = "application/x-protobuf"
	)
	jsonBody, protoBody := otlpBody(t, true), otlpBody(t, false)
	bomb := gzipped(t, make([]byte, 1<<20))

	tests := []struct {
		name       string
		method     string
		path       string
		header     map[string]string
		body       []byte
		chunked    bool // no Content-Length: the body is read to its end
		pushErr    error
		wantStatus int
		wantPushes int
		wantHeader map[string]string
		// wantStatusMsg checks the google.rpc.Status body, decoded per
		// the response content type; "" means a non-Status body.
		wantStatusMsg string
		wantRetry     time.Duration
	}{
		{name: "json ok", header: map[string]string{"Content-Type": ctJSON}, body: jsonBody,
			wantStatus: 200, wantPushes: 1, wantHeader: map[string]string{"Content-Type": ctJSON}},
		{name: "json with charset ok", header: map[string]string{"Content-Type": "application/json; charset=utf-8"}, body: jsonBody,
			wantStatus: 200, wantPushes: 1},
		{name: "protobuf ok", header: map[string]string{"Content-Type": ctProto}, body: protoBody,
			wantStatus: 200, wantPushes: 1, wantHeader: map[string]string{"Content-Type": ctProto}},
		{name: "protobuf chunked ok", header: map[string]string{"Content-Type": ctProto}, body: protoBody, chunked: true,
			wantStatus: 200, wantPushes: 1},
		{name: "gzip ok", header: map[string]string{"Content-Type": ctProto, "Content-Encoding": "gzip"}, body: gzipped(t, protoBody),
			wantStatus: 200, wantPushes: 1},
		{name: "no spans is ok and pushes nothing", header: map[string]string{"Content-Type": ctJSON}, body: []byte(`{}`),
			wantStatus: 200, wantPushes: 0},
		{name: "bad json", header: map[string]string{"Content-Type": ctJSON}, body: []byte(`{"resourceSpans":[{`),
			wantStatus: 400, wantStatusMsg: "decode OTLP JSON"},
		{name: "bad protobuf", header: map[string]string{"Content-Type": ctProto}, body: []byte{0x0a, 0xff, 0xff, 0xff},
			wantStatus: 400, wantStatusMsg: "decode OTLP protobuf"},
		{name: "bad gzip", header: map[string]string{"Content-Type": ctProto, "Content-Encoding": "gzip"}, body: protoBody,
			wantStatus: 400, wantStatusMsg: "read gzip"},
		{name: "unknown encoding", header: map[string]string{"Content-Type": ctProto, "Content-Encoding": "br"}, body: protoBody,
			wantStatus: 415},
		{name: "wrong content type", header: map[string]string{"Content-Type": "text/plain"}, body: jsonBody,
			wantStatus: 415},
		{name: "no content type", body: jsonBody, wantStatus: 415},
		{name: "GET", method: http.MethodGet, wantStatus: 405, wantHeader: map[string]string{"Allow": "POST"}},
		{name: "other path", path: "/v1/metrics", header: map[string]string{"Content-Type": ctJSON}, body: jsonBody, wantStatus: 404},
		{name: "body over limit", header: map[string]string{"Content-Type": ctProto}, body: make([]byte, 65<<10),
			wantStatus: 413, wantStatusMsg: "request body too large"},
		{name: "gzip bomb over limit", header: map[string]string{"Content-Type": ctProto, "Content-Encoding": "gzip"}, body: bomb,
			wantStatus: 413, wantStatusMsg: "request body too large"},
		{name: "missing tenant", header: map[string]string{"Content-Type": ctJSON, "X-Scope-OrgID": "-"}, body: jsonBody,
			wantStatus: 401, wantStatusMsg: "no org id"},
		{name: "two tenants", header: map[string]string{"Content-Type": ctJSON, "X-Scope-OrgID": "a|b"}, body: jsonBody,
			wantStatus: 401, wantStatusMsg: "multiple org IDs present"},
		{name: "invalid tenant", header: map[string]string{"Content-Type": ctJSON, "X-Scope-OrgID": "a/b"}, body: jsonBody,
			wantStatus: 401, wantStatusMsg: "unsupported character"},
		{name: "limit", header: map[string]string{"Content-Type": ctJSON}, body: jsonBody,
			pushErr:    &pusher.LimitError{Tenant: "team-a", Limit: "ingestion_rate_limit_bytes", Detail: "rate 10 MB/s exceeded"},
			wantStatus: 429, wantHeader: map[string]string{"Retry-After": "5"}, wantStatusMsg: "ingestion_rate_limit_bytes reached", wantRetry: 5 * time.Second},
		{name: "limit protobuf", header: map[string]string{"Content-Type": ctProto}, body: protoBody,
			pushErr:    &pusher.LimitError{Tenant: "team-a", Limit: "max_traces_per_user", Detail: "live traces 10000"},
			wantStatus: 429, wantHeader: map[string]string{"Retry-After": "5"}, wantStatusMsg: "max_traces_per_user reached", wantRetry: 5 * time.Second},
		{name: "downstream unavailable", header: map[string]string{"Content-Type": ctJSON}, body: jsonBody,
			pushErr:    status.Error(codes.Unavailable, "no healthy ingesters"),
			wantStatus: 503, wantHeader: map[string]string{"Retry-After": "5"}, wantStatusMsg: "no healthy ingesters", wantRetry: 5 * time.Second},
		{name: "downstream invalid", header: map[string]string{"Content-Type": ctJSON}, body: jsonBody,
			pushErr:    status.Error(codes.InvalidArgument, "trace ids must be 128 bit, received 64 bits"),
			wantStatus: 400, wantStatusMsg: "trace ids must be 128 bit"},
		{name: "internal", header: map[string]string{"Content-Type": ctJSON}, body: jsonBody,
			pushErr: errBoom, wantStatus: 500, wantStatusMsg: "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.reset()
			p.setErr(tt.pushErr)
			defer p.setErr(nil)
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			u := url
			if tt.path != "" {
				u = "http://" + r.Addr(OTLPHTTP) + tt.path
			}
			var reqBody io.Reader = bytes.NewReader(tt.body)
			if tt.chunked {
				reqBody = io.MultiReader(reqBody) // hides the length from net/http
			}
			req, err := http.NewRequest(method, u, reqBody)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Scope-OrgID", "team-a")
			for k, v := range tt.header {
				if v == "-" {
					req.Header.Del(k)
					continue
				}
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tt.wantStatus)
			}
			for k, v := range tt.wantHeader {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			pushes := p.reset()
			if got := len(pushes); got != tt.wantPushes {
				t.Errorf("%d pushes, want %d", got, tt.wantPushes)
			}
			if len(pushes) == 1 && tt.header["Content-Type"] == ctProto {
				if got := spanNames(pushes[0].td); got != "op" {
					t.Errorf("pushed spans %q, want the body's one span %q", got, "op")
				}
			}
			if tt.wantStatus == 200 {
				checkExportResponse(t, resp.Header.Get("Content-Type"), body)
			}
			if tt.wantStatusMsg != "" {
				checkStatusBody(t, resp.Header.Get("Content-Type"), body, tt.wantStatusMsg, tt.wantRetry)
			}
		})
	}
}

// A body that ends before its Content-Length is a 400 naming the cause,
// and nothing is pushed.
func TestOTLPHTTPShortBody(t *testing.T) {
	cfg := Config{OTLP: &OTLPConfig{Protocols: OTLPProtocols{HTTP: &OTLPHTTPConfig{
		HTTPServerConfig: HTTPServerConfig{Endpoint: "127.0.0.1:0"},
	}}}}
	r, p := startReceivers(t, cfg, Options{})
	body := otlpBody(t, false)
	conn, err := net.Dial("tcp", r.Addr(OTLPHTTP))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: %d\r\n\r\n", len(body)+100)
	conn.Write(body)
	conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d (%s), want 400", resp.StatusCode, msg)
	}
	checkStatusBody(t, resp.Header.Get("Content-Type"), msg, "unexpected EOF", 0)
	if n := len(p.reset()); n != 0 {
		t.Errorf("%d pushes of a truncated body, want 0", n)
	}
}

func spanNames(td ptrace.Traces) string {
	var names []string
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				names = append(names, s.Name())
			}
		}
	}
	return strings.Join(names, ",")
}

func checkExportResponse(t *testing.T, contentType string, body []byte) {
	t.Helper()
	resp := ptraceotlp.NewExportResponse()
	switch contentType {
	case "application/json":
		// What Tempo (the collector's receiver) answers, byte for byte.
		if want := `{"partialSuccess":{}}`; string(body) != want {
			t.Errorf("body %s, want %s", body, want)
		}
		if err := resp.UnmarshalJSON(body); err != nil {
			t.Errorf("response is not an ExportTraceServiceResponse: %v", err)
		}
	case "application/x-protobuf":
		if err := resp.UnmarshalProto(body); err != nil {
			t.Errorf("response is not an ExportTraceServiceResponse: %v", err)
		}
	default:
		t.Errorf("response Content-Type %q", contentType)
	}
}

// checkStatusBody decodes a google.rpc.Status body as an OTLP client would.
func checkStatusBody(t *testing.T, contentType string, body []byte, wantMsg string, wantRetry time.Duration) {
	t.Helper()
	var st spb.Status
	var err error
	switch contentType {
	case "application/json":
		err = protojson.Unmarshal(body, &st)
	case "application/x-protobuf":
		err = proto.Unmarshal(body, &st)
	default:
		t.Fatalf("error Content-Type %q, body %q", contentType, body)
	}
	if err != nil {
		t.Fatalf("error body %q is not a google.rpc.Status: %v", body, err)
	}
	if !strings.Contains(st.GetMessage(), wantMsg) {
		t.Errorf("status message %q, want it to contain %q", st.GetMessage(), wantMsg)
	}
	checkRetryInfo(t, status.FromProto(&st), wantRetry)
}

func checkRetryInfo(t *testing.T, st *status.Status, want time.Duration) {
	t.Helper()
	var got time.Duration
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			got = ri.GetRetryDelay().AsDuration()
		}
	}
	if got != want {
		t.Errorf("RetryInfo delay %v, want %v", got, want)
	}
}

// TestOTLPGRPCErrors checks the gRPC status codes a real OTLP gRPC client
// sees.
func TestOTLPGRPCErrors(t *testing.T) {
	r, p := startReceivers(t, allReceivers(), Options{MultitenancyEnabled: true})
	conn, err := grpc.NewClient(r.Addr(OTLPGRPC), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	client := ptraceotlp.NewGRPCClient(conn)

	req := ptraceotlp.NewExportRequest()
	if err := req.UnmarshalProto(otlpBody(t, false)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		tenant    []string
		pushErr   error
		wantCode  codes.Code
		wantMsg   string
		wantRetry time.Duration
	}{
		{name: "ok", tenant: []string{"team-a"}, wantCode: codes.OK},
		{name: "missing tenant", wantCode: codes.Unauthenticated, wantMsg: "no org id"},
		{name: "two tenant values", tenant: []string{"a", "b"}, wantCode: codes.Unauthenticated, wantMsg: "multiple org IDs present"},
		{name: "limit", tenant: []string{"team-a"}, pushErr: &pusher.LimitError{Tenant: "team-a", Limit: "max_bytes_per_trace", Detail: "trace too large"},
			wantCode: codes.ResourceExhausted, wantMsg: "max_bytes_per_trace reached", wantRetry: 5 * time.Second},
		{name: "downstream status kept", tenant: []string{"team-a"}, pushErr: status.Error(codes.InvalidArgument, "span ids must be 64 bit"),
			wantCode: codes.InvalidArgument, wantMsg: "span ids must be 64 bit"},
		{name: "internal", tenant: []string{"team-a"}, pushErr: errBoom, wantCode: codes.Internal, wantMsg: "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.reset()
			p.setErr(tt.pushErr)
			defer p.setErr(nil)
			ctx := context.Background()
			for _, v := range tt.tenant {
				ctx = metadata.AppendToOutgoingContext(ctx, "x-scope-orgid", v)
			}
			_, err := client.Export(ctx, req)
			st := status.Convert(err)
			if st.Code() != tt.wantCode || !strings.Contains(st.Message(), tt.wantMsg) {
				t.Fatalf("got %v %q, want %v containing %q", st.Code(), st.Message(), tt.wantCode, tt.wantMsg)
			}
			checkRetryInfo(t, st, tt.wantRetry)
			if want := map[bool]int{true: 1, false: 0}[tt.wantCode == codes.OK]; len(p.reset()) != want {
				t.Errorf("pushes, want %d", want)
			}
		})
	}
}

// TestInvalidRequestSpansCountedAsDiscarded: a request refused for a bad ID
// is answered 400, and the distributor counts all its spans, valid ones
// included (nothing of it is kept), in tempo_discarded_spans_total.
func TestInvalidRequestSpansCountedAsDiscarded(t *testing.T) {
	td := benchTraces()
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	spans.At(3).SetTraceID(pcommon.TraceID{})
	body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	o, err := overrides.New(overrides.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	d := distributor.New(nopPusher{}, o, reg, nil)
	m, _ := newMetrics(nil)
	h := &otlpHTTP{base: &base{pusher: d, tenants: newTenants(true, ""), retryAfter: DefaultRetryAfter, metrics: m}, maxBody: DefaultMaxRequestBodySize}
	req := httptest.NewRequest(http.MethodPost, "/v1/traces", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("X-Scope-OrgID", "acme")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "trace ids must be 128 bit") {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	want := fmt.Sprintf(`
# HELP tempo_discarded_spans_total Spans refused, by reason and tenant.
# TYPE tempo_discarded_spans_total counter
tempo_discarded_spans_total{reason="invalid_trace_id",tenant="acme"} %d
`, spans.Len())
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "tempo_discarded_spans_total"); err != nil {
		t.Fatal(err)
	}
}
