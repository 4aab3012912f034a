package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tempoctl/tempoctl/blocktools"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/server/config"
	"github.com/tempoctl/tempoctl/storage/backend"
)

// startApp runs serve in-process on loopback ports chosen by the kernel.
func startApp(t *testing.T, extra ...string) (*App, string) {
	t.Helper()
	dir := t.TempDir()
	args := append([]string{
		"-server.http_listen_address=127.0.0.1", "-server.http_listen_port=0",
		"-server.grpc_listen_address=127.0.0.1", "-server.grpc_listen_port=0",
		"-distributor.receivers.otlp.protocols.grpc.endpoint=127.0.0.1:0",
		"-distributor.receivers.otlp.protocols.http.endpoint=127.0.0.1:0",
		"-distributor.receivers.zipkin.endpoint=127.0.0.1:0",
		"-distributor.receivers.jaeger.protocols.grpc.endpoint=127.0.0.1:0",
		"-distributor.receivers.jaeger.protocols.thrift_http.endpoint=127.0.0.1:0",
		"-storage.trace.local.path=" + dir + "/traces", "-storage.trace.wal.path=" + dir + "/wal",
		"-ingester.max_block_duration=1s", "-ingester.flush_check_period=100ms",
	}, extra...)
	fs, opts := config.NewFlagSet(io.Discard)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	cfg, raw, err := config.Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, raw, slog.New(slog.NewTextHandler(io.Discard, nil)), BuildInfo{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, ready) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve failed to start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve not ready in 30s")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve stopped with %v", err)
		}
	})
	return a, dir + "/traces"
}

// sdkTracer is a real OTel SDK tracer provider exporting over OTLP gRPC to
// a's receiver, spans batched (sync false) or sent as they end; service ""
// leaves the SDK's default resource.
func sdkTracer(t *testing.T, a *App, service string, sync bool) *sdktrace.TracerProvider {
	t.Helper()
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(a.ReceiverAddr("otlp/grpc")), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithBatcher(exp)}
	if sync {
		opts = []sdktrace.TracerProviderOption{sdktrace.WithSyncer(exp)}
	}
	if service != "" {
		opts = append(opts, sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))))
	}
	return sdktrace.NewTracerProvider(opts...)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeIngestsOTLPIntoBlocks(t *testing.T) {
	a, bucket := startApp(t)
	base := "http://" + a.HTTPAddr()
	if code, body := get(t, base+"/ready"); code != 200 {
		t.Fatalf("/ready %d %s", code, body)
	}
	if code, body := get(t, base+"/api/echo"); code != 200 || body != "echo" {
		t.Fatalf("/api/echo %d %q", code, body)
	}

	// A real OTel SDK client over gRPC.
	ctx := context.Background()
	tp := sdkTracer(t, a, "checkout", false)
	tr := tp.Tracer("e2e")
	var ids []trace.TraceID
	for i := 0; i < 5; i++ {
		ctx, root := tr.Start(ctx, "POST /checkout", trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attribute.String("http.request.method", "POST"), attribute.Int("attempt", i)))
		_, child := tr.Start(ctx, "charge card")
		child.AddEvent("retry", trace.WithAttributes(attribute.Bool("final", true)))
		child.End()
		root.End()
		ids = append(ids, root.SpanContext().TraceID())
	}
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	// The ingester cuts after max_block_duration; wait for the block.
	be, err := backend.Open(ctx, backend.Config{Backend: "local", Local: backend.LocalConfig{Path: bucket}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, id := range ids {
		for {
			res, err := blocktools.FindTrace(ctx, be, "single-tenant", model.TraceID(id))
			if err != nil {
				t.Fatal(err)
			}
			if res.Found {
				if res.Trace.SpanCount() != 2 {
					t.Fatalf("trace %s has %d spans, want 2", id, res.Trace.SpanCount())
				}
				s := res.Trace.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
				names := s.At(0).Name() + "," + s.At(1).Name()
				if !strings.Contains(names, "POST /checkout") || !strings.Contains(names, "charge card") {
					t.Fatalf("span names %q", names)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("trace %s not in a block after 20s", id)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	// The query API answers from the same process.
	code, body := get(t, base+"/api/traces/"+ids[0].String())
	if code != 200 || !strings.Contains(body, `"batches"`) || !strings.Contains(body, "charge card") {
		t.Fatalf("/api/traces: %d %.300s", code, body)
	}
	if code, _ := get(t, base+"/api/traces/0123456789abcdef0123456789abcdef"); code != 404 {
		t.Fatalf("missing trace: %d, want 404", code)
	}
	code, body = get(t, base+`/api/search?q=%7Bresource.service.name%3D%22checkout%22%7D&limit=50`)
	if code != 200 {
		t.Fatalf("/api/search: %d %s", code, body)
	}
	for _, id := range ids {
		if !strings.Contains(body, strings.TrimLeft(id.String(), "0")) {
			t.Fatalf("search misses %s: %.500s", id, body)
		}
	}
	if code, body := get(t, base+`/api/search?q=%7B`); code != 400 {
		t.Fatalf("bad TraceQL: %d %s", code, body)
	}

	_, metrics := get(t, base+"/metrics")
	for _, want := range []string{
		`tempo_distributor_spans_received_total{tenant="single-tenant"} 10`,
		`tempo_distributor_bytes_received_total{tenant="single-tenant"}`,
		`tempo_ingester_bytes_received_total{tenant="single-tenant"}`,
		`tempo_ingester_blocks_flushed_total`,
		`tempo_ingester_blocks_total`,
		`tempo_request_duration_seconds_bucket{method="gRPC",route="/tempo.Pusher/PushSpans",status_code="200"`,
		`tempo_ingester_live_traces{tenant="single-tenant"}`,
		`tempo_request_duration_seconds_bucket{method="GET",route="/api/traces/{traceID}",status_code="200"`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if _, cfg := get(t, base+"/status/config"); !strings.Contains(cfg, "max_block_duration: 1s") {
		t.Errorf("/status/config does not show the effective config:\n%s", cfg)
	}
}

// A distributor process pushes to an ingester process over gRPC.
func TestDistributorAndIngesterTargets(t *testing.T) {
	ing, bucket := startApp(t, "-target=ingester")
	if ing.ReceiverAddr("otlp/grpc") != "" {
		t.Fatal("an ingester-only process must not run receivers")
	}
	dist, _ := startApp(t, "-target=distributor", "-ingester_client.address="+ing.GRPCAddr())

	ctx := context.Background()
	tp := sdkTracer(t, dist, "", true)
	_, span := tp.Tracer("e2e").Start(ctx, "across processes")
	span.End()
	id := span.SpanContext().TraceID()
	tp.Shutdown(ctx)

	be, err := backend.Open(ctx, backend.Config{Backend: "local", Local: backend.LocalConfig{Path: bucket}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := blocktools.FindTrace(ctx, be, "single-tenant", model.TraceID(id))
		if err != nil {
			t.Fatal(err)
		}
		if res.Found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("trace pushed to the distributor never reached the ingester's blocks")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, m := get(t, "http://"+dist.HTTPAddr()+"/metrics"); !strings.Contains(m, `tempo_distributor_spans_received_total{tenant="single-tenant"} 1`) {
		t.Error("distributor did not count the span")
	}
}

// The query routes are timed once per request, under Tempo's route names
// (dskit's instrumentation, named routes), never under munged names.
func TestQueryRouteLabels(t *testing.T) {
	a, _ := startApp(t)
	base := "http://" + a.HTTPAddr()
	for _, p := range []string{"/api/traces/0123", "/api/v2/traces/0123", "/api/search?q=%7B%7D", "/api/search/tags",
		"/api/v2/search/tags", "/api/search/tag/service.name/values", "/api/v2/search/tag/resource.service.name/values"} {
		get(t, base+p)
	}
	_, metrics := get(t, base+"/metrics")
	for _, route := range []string{"/api/traces/{traceID}", "/api/v2/traces/{traceID}", "/api/search", "/api/search/tags",
		"/api/v2/search/tags", "/api/search/tag/{tagName}/values", "/api/v2/search/tag/{tagName}/values"} {
		want := `tempo_request_duration_seconds_count{method="GET",route="` + route + `",status_code=`
		if n := strings.Count(metrics, want); n != 1 {
			t.Errorf("%d series for %s", n, route)
		}
	}
	if strings.Contains(metrics, `route="api_`) {
		t.Errorf("munged route labels:\n%s", grepLines(metrics, `route="api_`))
	}
	if !strings.Contains(metrics, `tempo_query_frontend_queries_total{op="search",result="completed",tenant="single-tenant"} 1`) {
		t.Errorf("query counter:\n%s", grepLines(metrics, "tempo_query_frontend_queries_total"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// -target=query-frontend and -target=querier each answer the query API
// over a bucket another process wrote.
func TestQueryFrontendAndQuerierTargets(t *testing.T) {
	writer, bucket := startApp(t)
	ctx := context.Background()
	tp := sdkTracer(t, writer, "split", true)
	_, span := tp.Tracer("e2e").Start(ctx, "read elsewhere")
	span.End()
	id := span.SpanContext().TraceID()
	tp.Shutdown(ctx)
	be, err := backend.Open(ctx, backend.Config{Backend: "local", Local: backend.LocalConfig{Path: bucket}})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if res, err := blocktools.FindTrace(ctx, be, "single-tenant", model.TraceID(id)); err == nil && res.Found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("trace not flushed")
		}
	}
	var fe *App
	for _, target := range []string{"query-frontend", "querier"} {
		a, _ := startApp(t, "-target="+target, "-storage.trace.local.path="+bucket)
		if target == "query-frontend" {
			fe = a
		}
		if a.ReceiverAddr("otlp/grpc") != "" {
			t.Fatalf("%s runs receivers", target)
		}
		base := "http://" + a.HTTPAddr()
		if code, body := get(t, base+"/api/traces/"+id.String()); code != 200 || !strings.Contains(body, "read elsewhere") {
			t.Fatalf("%s: trace %d %.200s", target, code, body)
		}
		start, end := time.Now().Add(-time.Hour).Unix(), time.Now().Add(time.Minute).Unix()
		code, body := get(t, base+"/api/search?q=%7Bresource.service.name%3D%22split%22%7D&start="+itoa(start)+"&end="+itoa(end))
		if code != 200 || !strings.Contains(body, strings.TrimLeft(id.String(), "0")) {
			t.Fatalf("%s: search %d %.300s", target, code, body)
		}
		if code, body := get(t, base+"/status/services"); !strings.Contains(body, target+": Running") {
			t.Fatalf("%s: services %d %s", target, code, body)
		}
	}

	// A querier naming the frontend registers there and is sent its jobs.
	q, _ := startApp(t, "-target=querier", "-storage.trace.local.path="+bucket, "-querier.frontend_worker.frontend_address="+fe.GRPCAddr())
	jobs := `tempo_request_duration_seconds_count{method="GET",route="/querier/api/traces/{traceID}",status_code="200"`
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if code, body := get(t, "http://"+fe.HTTPAddr()+"/api/traces/"+id.String()); code != 200 || !strings.Contains(body, "read elsewhere") {
			t.Fatalf("trace through the frontend: %d %.200s", code, body)
		}
		if _, m := get(t, "http://"+q.HTTPAddr()+"/metrics"); strings.Contains(m, jobs) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the frontend sent no job to the registered querier")
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
