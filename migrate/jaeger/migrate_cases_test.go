package jaeger

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tempoctl/tempoctl/migrate/jaeger/jaegertest"
	"github.com/tempoctl/tempoctl/model"
)

// The UI exports of the fixtures migrate into a bucket as what was sent.
func TestMigrateUIExportsToBucket(t *testing.T) {
	be := testBucket(t)
	files := []string{
		filepath.Join(fixtureDir, "export-trace-json-cf65ef4defcce38b8165c065c04c5e9e.json"),
		filepath.Join(fixtureDir, "export-trace-json-unadjusted-09607f1b0cea7ba8db40563f2f15084e.json"),
		filepath.Join(fixtureDir, "export-download-results.json"),
		filepath.Join(fixtureDir, "export-download-results.json"), // again: already there
	}
	sum, err := Run(context.Background(), Config{Files: files, SourceName: "files", Sink: bucketSink(be, backend5, 0), Verify: 5})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Traces != 5 || sum.Already != 0 || len(sum.Skipped) != 0 || len(sum.Blocks) != 1 {
		t.Fatalf("summary: %d traces, %d already, skipped %v, %d blocks", sum.Traces, sum.Already, sum.Skipped, len(sum.Blocks))
	}
	if sum.Verify == nil || sum.Verify.Checked != 5 || len(sum.Verify.Differences) != 0 {
		t.Errorf("verify %+v", sum.Verify)
	}
	got := readBucket(t, be)
	if len(got) != 5 {
		t.Fatalf("%d traces in the bucket", len(got))
	}
	for id, bt := range got {
		if d := diffExpected(t, id, bt.data, true); len(d) > 0 {
			t.Errorf("%s differs:\n%s", id, strings.Join(d, "\n"))
		}
	}
	// The same files again after the flush: nothing new.
	sum, err = Run(context.Background(), Config{Files: files[:1], SourceName: "files", Sink: bucketSink(be, backend5, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Traces != 1 { // no checkpoint: a second run does not know
		t.Errorf("second run without checkpoint: %d traces", sum.Traces)
	}
}

// Dry runs count per service and per window or file, and write nothing.
func TestDryRun(t *testing.T) {
	fake := startFake(t, jaegertest.Options{})
	sum, err := Run(context.Background(), Config{API: probe(t, fake.URL, "v1"), SourceName: fake.URL, Window: fixtureWindow, SearchLimit: 40, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int{"cart": {234, 0}, "checkout": {201, 0}, "db": {147, 0}, "frontend": {300, 0}, "payment": {67, 0}}
	spans := 0
	for _, c := range sum.DryRun.Services {
		if want[c.Name][0] != c.Traces {
			t.Errorf("service %s: %d traces, want %d", c.Name, c.Traces, want[c.Name][0])
		}
		spans += c.Spans
	}
	if spans != 2713 || len(sum.DryRun.Services) != 5 {
		t.Errorf("%d spans over %d services", spans, len(sum.DryRun.Services))
	}
	traces := 0
	for _, u := range sum.DryRun.Units {
		traces += u.Traces
	}
	if traces != 300 || len(sum.DryRun.Units) != 2 {
		t.Errorf("%d traces over %d units", traces, len(sum.DryRun.Units))
	}
	if fake.Requests("/api/traces/{id}") != 0 || sum.Traces != 0 {
		t.Error("a dry run fetched or migrated traces")
	}

	sum, err = Run(context.Background(), Config{Files: []string{filepath.Join(fixtureDir, "export-download-results.json")}, SourceName: "files", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.DryRun.Units) != 1 || sum.DryRun.Units[0].Traces != 3 || sum.DryRun.Units[0].Spans != 12+5+8 {
		t.Errorf("file dry run: %+v", sum.DryRun.Units)
	}
}

// Bad input never crashes the run nor vanishes: transient errors are
// retried, the rest is skipped and listed.
func TestBadInputSkippedAndListed(t *testing.T) {
	gone := "5cc9f5e85dc0e41662f6eb0245b36aeb"
	broken := "7771a6767d013db2dad8262c438c4d1f"
	var mu sync.Mutex
	flaky := 0
	fake := startFake(t, jaegertest.Options{Intercept: func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.URL.Path == "/api/v3/traces/"+gone:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":{"httpCode":404,"message":"No traces found"}}`))
			return true
		case r.URL.Path == "/api/v3/traces/"+broken:
			w.Write([]byte(`{"result":{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"` + broken + `","spanId":"zz"}]}]}]}}`))
			return true
		case r.URL.Path == "/api/v3/traces" && flaky < 3:
			flaky++
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return true
		}
		return false
	}})
	be := testBucket(t)
	sum, err := Run(context.Background(), Config{API: probe(t, fake.URL, "v3"), SourceName: fake.URL, Window: fixtureWindow, Sink: bucketSink(be, backend5, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Traces != 298 || len(sum.Skipped) != 2 || !sum.Failed() {
		t.Fatalf("%d traces, skipped %v", sum.Traces, sum.Skipped)
	}
	text := sum.Skipped[0].What + sum.Skipped[0].Reason + sum.Skipped[1].What + sum.Skipped[1].Reason
	for _, want := range []string{gone, "not when fetched by ID", broken, "OTLP JSON"} {
		if !strings.Contains(text, want) {
			t.Errorf("skips %v do not mention %q", sum.Skipped, want)
		}
	}
	if sum.Retries < 3 {
		t.Errorf("%d retries, want the 3 failures retried", sum.Retries)
	}
	if n := len(readBucket(t, be)); n != 298 {
		t.Errorf("%d traces stored", n)
	}
}

// --verify reports a trace that differs in the destination.
func TestVerifyReportsDifferences(t *testing.T) {
	be := testBucket(t)
	sink := &lossySink{BucketSink: bucketSink(be, backend5, 0)}
	sum, err := Run(context.Background(), Config{
		Files: []string{filepath.Join(fixtureDir, "export-download-results.json")}, SourceName: "files",
		Sink: sink, Verify: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Verify.Checked != 3 || len(sum.Verify.Differences) != 3 || !sum.Failed() {
		t.Fatalf("verify %+v", sum.Verify)
	}
	if d := sum.Verify.Differences[0].Diffs; len(d) != 1 || !strings.Contains(d[0], "missing span") {
		t.Errorf("diffs %v", d)
	}
}

// lossySink reads traces back without their first span.
type lossySink struct{ *BucketSink }

func (s *lossySink) ReadTrace(ctx context.Context, id model.TraceID) (ptrace.Traces, bool, error) {
	td, ok, err := s.BucketSink.ReadTrace(ctx, id)
	if ok {
		first := true
		td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().RemoveIf(func(ptrace.Span) bool {
			drop := first
			first = false
			return drop
		})
	}
	return td, ok, err
}

// otlpReceiver records what an OTLP gRPC endpoint is sent.
type otlpReceiver struct {
	ptraceotlp.UnimplementedGRPCServer
	mu       sync.Mutex
	tenants  map[string]int
	traces   map[model.TraceID]int // spans received per trace
	requests int
	refuse   model.TraceID // answer InvalidArgument for requests holding it
}

func (r *otlpReceiver) Export(ctx context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids, parts := model.SplitByTraceID(req.Traces())
	for _, id := range ids {
		if id == r.refuse {
			return ptraceotlp.NewExportResponse(), status.Error(codes.InvalidArgument, "trace refused")
		}
	}
	r.requests++
	md, _ := metadata.FromIncomingContext(ctx)
	r.tenants[strings.Join(md.Get("x-scope-orgid"), ",")]++
	for _, id := range ids {
		r.traces[id] += parts[id].SpanCount()
	}
	return ptraceotlp.NewExportResponse(), nil
}

func TestMigrateToOTLP(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	rcv := &otlpReceiver{tenants: map[string]int{}, traces: map[model.TraceID]int{}, refuse: tid("cf65ef4defcce38b8165c065c04c5e9e")}
	ptraceotlp.RegisterGRPCServer(srv, rcv)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)

	fake := startFake(t, jaegertest.Options{})
	sink, err := NewOTLPSink(OTLPConfig{Endpoint: lis.Addr().String(), Tenant: "acme", SpansPerSecond: 1e6, BatchBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "cp.jsonl")
	sum, err := Run(context.Background(), Config{API: probe(t, fake.URL, "v3"), SourceName: fake.URL, Window: fixtureWindow, Sink: sink, Checkpoint: cp})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Traces != 300 || len(sum.Skipped) != 1 || !strings.Contains(sum.Skipped[0].What, "cf65ef4d") {
		t.Fatalf("%d traces, skipped %v", sum.Traces, sum.Skipped)
	}
	exp := expected(t)
	for _, id := range exp.ids {
		want := exp.traces[id].SpanCount()
		if id == rcv.refuse {
			want = 0
		}
		if rcv.traces[id] != want {
			t.Errorf("trace %s: %d spans received, want %d", id, rcv.traces[id], want)
		}
	}
	if len(rcv.tenants) != 1 || rcv.tenants["acme"] == 0 || rcv.requests < 10 {
		t.Errorf("tenants %v over %d requests (batches of 64 KiB expected)", rcv.tenants, rcv.requests)
	}
	if _, err := Run(context.Background(), Config{API: probe(t, fake.URL, "v3"), SourceName: fake.URL, Window: fixtureWindow, Sink: sink, Verify: 1}); err == nil || !strings.Contains(err.Error(), "cannot be read") {
		t.Errorf("--verify with an OTLP destination: %v", err)
	}
}

// A rate limit whose burst is smaller than a batch still lets it through,
// in pieces.
func TestOTLPRateLimitSplitsWaits(t *testing.T) {
	s, err := NewOTLPSink(OTLPConfig{Endpoint: "127.0.0.1:1", SpansPerSecond: 10000})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	if err := s.wait(context.Background(), 11000); err != nil {
		t.Fatalf("a batch above the burst: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.wait(ctx, 50000); err == nil {
		t.Error("cancelled wait succeeded")
	}
}

// --service narrows the migration to traces with spans of those services.
func TestMigrateSelectedServices(t *testing.T) {
	fake := startFake(t, jaegertest.Options{})
	be := testBucket(t)
	var reports []Progress
	sum, err := Run(context.Background(), Config{API: probe(t, fake.URL, "v3"), SourceName: fake.URL, Window: fixtureWindow,
		Services: []string{"payment"}, Sink: bucketSink(be, backend5, 0), Progress: func(p Progress) { reports = append(reports, p) }})
	if err != nil {
		t.Fatal(err)
	}
	got := readBucket(t, be)
	if sum.Traces != 67 || len(got) != 67 {
		t.Fatalf("%d traces migrated, %d stored, want 67", sum.Traces, len(got))
	}
	for id, bt := range got {
		if spansByService(bt.data)["payment"] == 0 {
			t.Errorf("trace %s has no payment span", id)
		}
	}
	last := reports[len(reports)-1]
	if len(reports) < 3 || last.UnitsDone != last.UnitsTotal || last.Traces != 67 {
		t.Errorf("%d progress reports, last %+v", len(reports), last)
	}
}
