package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// End-to-end: the built binary serves, a real OTel SDK sends, and the
// query API is read with plain net/http and with `tempoctl query --server`.

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// tempoctlBinary builds cmd/tempoctl once per test run.
func tempoctlBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tempoctl-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "tempoctl")
		out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// freePort is a loopback port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// serveProc is one `tempoctl serve` process.
type serveProc struct {
	t        *testing.T
	cmd      *exec.Cmd
	out      *syncBuffer
	done     chan error
	http     string // base URL
	otlpGRPC string // host:port
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// startServe writes a config for dir (local bucket and WAL inside it) and
// starts serve with it and the extra flags, waiting for /ready.
func startServe(t *testing.T, dir string, extra ...string) *serveProc {
	t.Helper()
	httpPort, grpcPort, otlpPort := freePort(t), freePort(t), freePort(t)
	cfg := fmt.Sprintf(`target: all
server:
  http_listen_address: 127.0.0.1
  http_listen_port: %d
  grpc_listen_address: 127.0.0.1
  grpc_listen_port: %d
  log_level: info
distributor:
  receivers:
    otlp:
      protocols:
        grpc:
          endpoint: 127.0.0.1:%d
ingester:
  trace_idle_period: 1s
  flush_check_period: 100ms
storage:
  trace:
    backend: local
    local:
      path: %s
    wal:
      path: %s
querier:
  frontend_worker:
    frontend_address: 127.0.0.1:1 # Tempo configs name one; one process needs none
query_frontend:
  search:
    target_bytes_per_job: 2000
`, httpPort, grpcPort, otlpPort, filepath.Join(dir, "traces"), filepath.Join(dir, "wal"))
	cfgFile := filepath.Join(dir, fmt.Sprintf("tempo-%d.yaml", httpPort))
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &serveProc{t: t, out: &syncBuffer{}, done: make(chan error, 1),
		http: fmt.Sprintf("http://127.0.0.1:%d", httpPort), otlpGRPC: fmt.Sprintf("127.0.0.1:%d", otlpPort)}
	p.cmd = exec.Command(tempoctlBinary(t), append([]string{"serve", "-config.file=" + cfgFile}, extra...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("serve output:\n%s", p.out.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(p.http + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case err := <-p.done:
			t.Fatalf("serve exited before ready: %v\n%s", err, p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready in 60s\n%s", p.out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop sends SIGTERM and expects a clean exit (the ingester flushes).
func (p *serveProc) stop() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			p.t.Fatalf("serve exited with %v\n%s", err, p.out.String())
		}
	case <-time.After(60 * time.Second):
		p.t.Fatalf("serve did not stop in 60s\n%s", p.out.String())
	}
}

// get fetches path from the server and returns status and body.
func (p *serveProc) get(t *testing.T, path string, header ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, p.http+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// getJSON fetches path, requires 200 and decodes the body into v.
func (p *serveProc) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	code, body := p.get(t, path)
	if code != 200 {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
}

// sentTrace is what the test sent for one trace.
type sentTrace struct {
	id       trace.TraceID
	service  string
	root     string
	children []string
	status   int
}

// sendTraces sends n traces of service through the OTLP gRPC receiver
// with the OTel SDK: a server root and a client child per trace; every
// third trace fails with status 500.
func sendTraces(t *testing.T, endpoint, service, root string, n int) []sentTrace {
	t.Helper()
	ctx := context.Background()
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service), attribute.String("deployment.environment", "e2e"))))
	tr := tp.Tracer("tempoctl-e2e", trace.WithInstrumentationVersion("1.0.0"))
	var out []sentTrace
	for i := 0; i < n; i++ {
		status := 200
		if i%3 == 2 {
			status = 500
		}
		ctx, span := tr.Start(ctx, root, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
			attribute.String("http.request.method", strings.Fields(root)[0]), attribute.Int("http.response.status_code", status), attribute.Int("e2e.seq", i)))
		_, child := tr.Start(ctx, "SELECT orders", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attribute.String("db.system", "postgresql")))
		child.AddEvent("rows", trace.WithAttributes(attribute.Int("count", i)))
		child.End()
		if status == 500 {
			span.SetStatus(codes.Error, "boom")
		}
		span.End()
		out = append(out, sentTrace{id: span.SpanContext().TraceID(), service: service, root: root, children: []string{"SELECT orders"}, status: status})
	}
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	return out
}

// searchIDs are the traceIDs of a search answer as the API writes them
// (hex without leading zeros).
func searchID(id trace.TraceID) string { return strings.TrimLeft(id.String(), "0") }

type searchAnswer struct {
	Traces []struct {
		TraceID         string `json:"traceID"`
		RootServiceName string `json:"rootServiceName"`
		RootTraceName   string `json:"rootTraceName"`
		SpanSets        []struct {
			Matched int `json:"matched"`
			Spans   []struct {
				SpanID     string `json:"spanID"`
				Attributes []struct {
					Key   string         `json:"key"`
					Value map[string]any `json:"value"`
				} `json:"attributes"`
			} `json:"spans"`
		} `json:"spanSets"`
		ServiceStats map[string]struct {
			SpanCount  int `json:"spanCount"`
			ErrorCount int `json:"errorCount"`
		} `json:"serviceStats"`
	} `json:"traces"`
	Metrics struct {
		InspectedBytes string `json:"inspectedBytes"`
		TotalBlocks    int    `json:"totalBlocks"`
		CompletedJobs  int    `json:"completedJobs"`
		TotalJobs      int    `json:"totalJobs"`
	} `json:"metrics"`
}

func (a searchAnswer) ids() []string {
	var out []string
	for _, t := range a.Traces {
		out = append(out, t.TraceID)
	}
	slices.Sort(out)
	return out
}

func idsOf(ts []sentTrace, keep func(sentTrace) bool) []string {
	var out []string
	for _, s := range ts {
		if keep == nil || keep(s) {
			out = append(out, searchID(s.id))
		}
	}
	slices.Sort(out)
	return out
}

// spanInfo is what the test checks of one returned span.
type spanInfo struct {
	service, scopeVersion, name, kind, status string
	attrs                                     map[string]string
}

// jsonValue is an OTLP-JSON AnyValue (the scalar kinds the test sends).
type jsonValue struct {
	StringValue *string `json:"stringValue"`
	IntValue    *string `json:"intValue"`
}

func (v jsonValue) String() string {
	switch {
	case v.StringValue != nil:
		return *v.StringValue
	case v.IntValue != nil:
		return *v.IntValue
	}
	return ""
}

type jsonAttrs []struct {
	Key   string    `json:"key"`
	Value jsonValue `json:"value"`
}

func (a jsonAttrs) get(k string) string {
	for _, kv := range a {
		if kv.Key == k {
			return kv.Value.String()
		}
	}
	return ""
}

type jsonResourceSpans struct {
	Resource struct {
		Attributes jsonAttrs `json:"attributes"`
	} `json:"resource"`
	ScopeSpans []struct {
		Scope struct {
			Version string `json:"version"`
		} `json:"scope"`
		Spans []struct {
			Name       string    `json:"name"`
			Kind       string    `json:"kind"`
			Attributes jsonAttrs `json:"attributes"`
			Status     struct {
				Code string `json:"code"`
			} `json:"status"`
		} `json:"spans"`
	} `json:"scopeSpans"`
}

// decodeTrace reads the spans of a v1 ({"batches": …}) or v2
// ({"trace": {"resourceSpans": …}}) JSON answer (IDs are base64 there, so
// not OTLP-JSON proper).
func decodeTrace(t *testing.T, body []byte, v2 bool) []spanInfo {
	t.Helper()
	var v1 struct {
		Batches []jsonResourceSpans `json:"batches"`
	}
	var env struct {
		Trace struct {
			ResourceSpans []jsonResourceSpans `json:"resourceSpans"`
		} `json:"trace"`
	}
	var err error
	rss := &v1.Batches
	if v2 {
		err, rss = json.Unmarshal(body, &env), &env.Trace.ResourceSpans
	} else {
		err = json.Unmarshal(body, &v1)
	}
	if err != nil {
		t.Fatalf("decode trace: %v\n%.300s", err, body)
	}
	var out []spanInfo
	for _, rs := range *rss {
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				si := spanInfo{service: rs.Resource.Attributes.get("service.name"), scopeVersion: ss.Scope.Version,
					name: sp.Name, kind: sp.Kind, status: sp.Status.Code, attrs: map[string]string{}}
				for _, kv := range sp.Attributes {
					si.attrs[kv.Key] = kv.Value.String()
				}
				out = append(out, si)
			}
		}
	}
	return out
}

// spansOf lists the spans of a protobuf-decoded trace the same way.
func spansOf(td ptrace.Traces) []spanInfo {
	var out []spanInfo
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		svc, _ := rss.At(i).Resource().Attributes().Get("service.name")
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				si := spanInfo{service: svc.AsString(), scopeVersion: sss.At(j).Scope().Version(), name: sp.Name(),
					kind: "SPAN_KIND_" + strings.ToUpper(sp.Kind().String()), attrs: map[string]string{}}
				if c := sp.Status().Code(); c != ptrace.StatusCodeUnset {
					si.status = "STATUS_CODE_" + strings.ToUpper(c.String())
				}
				for k, v := range sp.Attributes().All() {
					si.attrs[k] = v.AsString()
				}
				out = append(out, si)
			}
		}
	}
	return out
}

// checkTrace compares a returned trace with what was sent: span names,
// service, scope, and the root's kind, attributes and status.
func checkTrace(t *testing.T, what string, spans []spanInfo, s sentTrace) {
	t.Helper()
	var names []string
	rootOK := false
	for _, sp := range spans {
		if sp.service != s.service || sp.scopeVersion != "1.0.0" {
			t.Fatalf("%s: span %q of service %q scope version %q, want %q", what, sp.name, sp.service, sp.scopeVersion, s.service)
		}
		names = append(names, sp.name)
		if sp.name != s.root {
			continue
		}
		wantStatus := ""
		if s.status == 500 {
			wantStatus = "STATUS_CODE_ERROR"
		}
		rootOK = sp.attrs["http.response.status_code"] == strconv.Itoa(s.status) && sp.attrs["http.request.method"] == strings.Fields(s.root)[0] &&
			sp.kind == "SPAN_KIND_SERVER" && sp.status == wantStatus
	}
	slices.Sort(names)
	want := append([]string{s.root}, s.children...)
	slices.Sort(want)
	if !slices.Equal(names, want) || !rootOK {
		t.Fatalf("%s: spans %+v (root ok %v), want %q", what, spans, rootOK, want)
	}
}

func TestServeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()

	// Run 1 flushes at once: its traces end up in blocks, of several row
	// groups each.
	p := startServe(t, dir, "-ingester.max_block_duration=500ms", "-storage.trace.block.parquet_row_group_size_bytes=600")
	flushed := sendTraces(t, p.otlpGRPC, "shop-api", "GET /orders", 6)
	deadline := time.Now().Add(30 * time.Second)
	for _, s := range flushed {
		for {
			code, _ := p.get(t, "/api/traces/"+s.id.String()+"?mode=blocks")
			if code == 200 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("trace %s not in a block after 30s", s.id)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	p.stop()

	// Run 2 keeps what it receives in memory (no cut for an hour).
	p = startServe(t, dir, "-ingester.max_block_duration=1h", "-ingester.max_block_bytes=1073741824")
	live := sendTraces(t, p.otlpGRPC, "shop-web", "POST /checkout", 4)
	all := append(slices.Clone(flushed), live...)
	start, end := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10), strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10)
	window := "&start=" + start + "&end=" + end

	t.Run("trace by ID", func(t *testing.T) {
		for _, s := range all {
			code, body := p.get(t, "/api/traces/"+s.id.String())
			if code != 200 {
				t.Fatalf("v1 %s: %d %s", s.id, code, body)
			}
			checkTrace(t, "v1 "+s.service, decodeTrace(t, body, false), s)
			code, body = p.get(t, "/api/v2/traces/"+s.id.String())
			if code != 200 {
				t.Fatalf("v2 %s: %d %s", s.id, code, body)
			}
			checkTrace(t, "v2 "+s.service, decodeTrace(t, body, true), s)
			code, body = p.get(t, "/api/traces/"+s.id.String(), "Accept", "application/protobuf")
			var um ptrace.ProtoUnmarshaler
			td, err := um.UnmarshalTraces(body)
			if code != 200 || err != nil {
				t.Fatalf("protobuf %s: %d %v", s.id, code, err)
			}
			checkTrace(t, "protobuf "+s.service, spansOf(td), s)
		}
		// Where each part lives: flushed traces only in blocks, live ones
		// only in the ingester.
		for _, c := range []struct {
			s          sentTrace
			mode       string
			wantStatus int
		}{{flushed[0], "blocks", 200}, {flushed[0], "ingesters", 404}, {live[0], "ingesters", 200}, {live[0], "blocks", 404}} {
			if code, _ := p.get(t, "/api/traces/"+c.s.id.String()+"?mode="+c.mode); code != c.wantStatus {
				t.Errorf("%s trace with mode=%s: %d, want %d", c.s.service, c.mode, code, c.wantStatus)
			}
		}
		if code, body := p.get(t, "/api/traces/0123456789abcdef0123456789abcdef"); code != 404 || len(body) != 0 {
			t.Errorf("missing trace: %d %q", code, body)
		}
		var v2 map[string]any
		p.getJSON(t, "/api/v2/traces/0123456789abcdef0123456789abcdef", &v2)
		if fmt.Sprint(v2["trace"]) != "map[]" {
			t.Errorf("v2 missing trace: %v", v2)
		}
	})

	t.Run("search", func(t *testing.T) {
		var a searchAnswer
		p.getJSON(t, "/api/search?limit=100&q="+url.QueryEscape("{ }")+window, &a)
		if got, want := a.ids(), idsOf(all, nil); !slices.Equal(got, want) {
			t.Fatalf("{ }: %v, want %v", got, want)
		}
		// One live job, and the blocks of run 1 cut into jobs of
		// target_bytes_per_job: more jobs than blocks.
		if a.Metrics.TotalBlocks == 0 || a.Metrics.TotalJobs <= a.Metrics.TotalBlocks+1 || a.Metrics.CompletedJobs != a.Metrics.TotalJobs || a.Metrics.InspectedBytes == "" {
			t.Errorf("metrics %+v", a.Metrics)
		}
		for _, tr := range a.Traces {
			if tr.RootServiceName != "shop-api" && tr.RootServiceName != "shop-web" || tr.RootTraceName == "" {
				t.Errorf("trace %s: root %q %q", tr.TraceID, tr.RootServiceName, tr.RootTraceName)
			}
			if len(tr.SpanSets) == 0 || tr.ServiceStats[tr.RootServiceName].SpanCount != 2 {
				t.Errorf("trace %s: spansets %d, stats %+v", tr.TraceID, len(tr.SpanSets), tr.ServiceStats)
			}
		}

		// Errors of both services, from blocks and from live data.
		q := `{ span.http.response.status_code = 500 && status = error }`
		a = searchAnswer{}
		p.getJSON(t, "/api/search?q="+url.QueryEscape(q)+window, &a)
		if got, want := a.ids(), idsOf(all, func(s sentTrace) bool { return s.status == 500 }); !slices.Equal(got, want) || len(want) != 3 {
			t.Fatalf("%s: %v, want %v", q, got, want)
		}
		for _, tr := range a.Traces {
			attrs := tr.SpanSets[0].Spans[0].Attributes
			if tr.SpanSets[0].Matched != 1 || len(attrs) == 0 || tr.ServiceStats[tr.RootServiceName].ErrorCount != 1 {
				t.Errorf("%s: spanset %+v stats %+v", tr.TraceID, tr.SpanSets[0], tr.ServiceStats)
			}
		}

		// The recent window (no start/end) finds both.
		a = searchAnswer{}
		p.getJSON(t, "/api/search?q="+url.QueryEscape(`{ resource.service.name = "shop-api" && span.db.system = "postgresql" }`), &a)
		if got, want := a.ids(), idsOf(flushed, nil); !slices.Equal(got, want) {
			t.Fatalf("recent window: %v, want %v", got, want)
		}

		// A small limit stops early and keeps the newest traces.
		a = searchAnswer{}
		p.getJSON(t, "/api/search?limit=2&q="+url.QueryEscape("{ }")+window, &a)
		if len(a.Traces) != 2 {
			t.Fatalf("limit 2: %d traces", len(a.Traces))
		}

		// Legacy tag search: no spansets.
		a = searchAnswer{}
		p.getJSON(t, "/api/search?tags="+url.QueryEscape(`service.name=shop-web`)+window, &a)
		if got, want := a.ids(), idsOf(live, nil); !slices.Equal(got, want) {
			t.Fatalf("legacy tags: %v, want %v", got, want)
		}
		for _, tr := range a.Traces {
			if tr.SpanSets != nil || tr.RootTraceName != "POST /checkout" {
				t.Errorf("legacy answer %+v", tr)
			}
		}
		if code, body := p.get(t, "/api/search?q="+url.QueryEscape("{ status = }")); code != 400 || !strings.Contains(string(body), "invalid TraceQL query") {
			t.Errorf("bad query: %d %s", code, body)
		}
	})

	t.Run("tags", func(t *testing.T) {
		var v1 struct {
			TagNames []string `json:"tagNames"`
		}
		p.getJSON(t, "/api/search/tags?"+window[1:], &v1)
		for _, n := range []string{"service.name", "deployment.environment", "http.request.method", "http.response.status_code", "db.system", "e2e.seq"} {
			if !slices.Contains(v1.TagNames, n) {
				t.Errorf("v1 tags lack %s: %v", n, v1.TagNames)
			}
		}
		var v2 struct {
			Scopes []struct {
				Name string   `json:"name"`
				Tags []string `json:"tags"`
			} `json:"scopes"`
		}
		p.getJSON(t, "/api/v2/search/tags?scope=resource&"+window[1:], &v2)
		if len(v2.Scopes) != 1 || v2.Scopes[0].Name != "resource" || !slices.Equal(v2.Scopes[0].Tags, []string{"deployment.environment", "service.name"}) {
			t.Errorf("v2 resource tags: %+v", v2.Scopes)
		}
		p.getJSON(t, "/api/v2/search/tags?scope=event", &v2)
		if len(v2.Scopes) != 1 || !slices.Equal(v2.Scopes[0].Tags, []string{"count"}) {
			t.Errorf("v2 event tags: %+v", v2.Scopes)
		}

		var values struct {
			TagValues []string `json:"tagValues"`
		}
		p.getJSON(t, "/api/search/tag/service.name/values?"+window[1:], &values)
		if !slices.Equal(values.TagValues, []string{"shop-api", "shop-web"}) {
			t.Errorf("v1 values: %v", values.TagValues)
		}
		var typed struct {
			TagValues []struct{ Type, Value string } `json:"tagValues"`
		}
		p.getJSON(t, "/api/v2/search/tag/span.http.response.status_code/values?"+window[1:], &typed)
		if fmt.Sprint(typed.TagValues) != "[{int 200} {int 500}]" {
			t.Errorf("v2 values: %v", typed.TagValues)
		}
		p.getJSON(t, "/api/v2/search/tag/name/values?q="+url.QueryEscape(`{ resource.service.name = "shop-web" }`), &typed)
		if fmt.Sprint(typed.TagValues) != "[{string POST /checkout} {string SELECT orders}]" {
			t.Errorf("v2 name values of shop-web: %v", typed.TagValues)
		}
	})

	t.Run("tempoctl query", func(t *testing.T) {
		bin := tempoctlBinary(t)
		run := func(args ...string) string {
			t.Helper()
			cmd := exec.Command(bin, append([]string{"query"}, append(args, "--server", p.http)...)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("tempoctl query %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
			}
			return string(out)
		}
		for _, s := range []sentTrace{flushed[2], live[1]} {
			out := run("trace", s.id.String())
			if !regexp.MustCompile(`(?m)^`+s.service+`: `+regexp.QuoteMeta(s.root)+`\b`).MatchString(out) ||
				!strings.Contains(out, "└─ "+s.service+": SELECT orders") {
				t.Errorf("trace %s:\n%s", s.id, out)
			}
			var td map[string]any
			if err := json.Unmarshal([]byte(run("trace", s.id.String(), "-o", "json")), &td); err != nil {
				t.Errorf("trace -o json: %v", err)
			}
		}
		var a searchAnswer
		out := run("search", `{ status = error }`, "--since", "1h", "-o", "json")
		if err := json.Unmarshal([]byte(out), &a); err != nil {
			t.Fatalf("search -o json: %v\n%s", err, out)
		}
		if got, want := a.ids(), idsOf(all, func(s sentTrace) bool { return s.status == 500 }); !slices.Equal(got, want) {
			t.Errorf("search: %v, want %v", got, want)
		}
		out = run("search", `{ resource.service.name = "shop-web" }`, "--since", "1h")
		if n := len(regexp.MustCompile(`(?m)^[0-9a-f]+\s+shop-web\s+POST /checkout\s`).FindAllString(out, -1)); n != len(live) || strings.Contains(out, "shop-api") {
			t.Errorf("search table:\n%s", out)
		}
		var tags struct {
			Scopes []struct {
				Name string   `json:"name"`
				Tags []string `json:"tags"`
			} `json:"scopes"`
		}
		if err := json.Unmarshal([]byte(run("tags", "--scope", "span", "-o", "json")), &tags); err != nil {
			t.Fatal(err)
		}
		if len(tags.Scopes) != 1 || !slices.Equal(tags.Scopes[0].Tags, []string{"db.system", "e2e.seq", "http.request.method", "http.response.status_code"}) {
			t.Errorf("tags: %+v", tags.Scopes)
		}
		out = run("tag-values", "resource.service.name")
		if !regexp.MustCompile(`(?m)^shop-api\s+string$`).MatchString(out) || !regexp.MustCompile(`(?m)^shop-web\s+string$`).MatchString(out) {
			t.Errorf("tag-values:\n%s", out)
		}
		out = run("tag-values", "span.e2e.seq", "-o", "json")
		for i := 0; i < 6; i++ {
			if !strings.Contains(out, fmt.Sprintf(`"value": "%d"`, i)) {
				t.Errorf("tag-values span.e2e.seq lacks %d:\n%s", i, out)
			}
		}
	})

	t.Run("metrics", func(t *testing.T) {
		_, body := p.get(t, "/metrics")
		m := string(body)
		for _, route := range []string{"/api/traces/{traceID}", "/api/v2/traces/{traceID}", "/api/search", "/api/search/tags",
			"/api/v2/search/tags", "/api/search/tag/{tagName}/values", "/api/v2/search/tag/{tagName}/values"} {
			if !strings.Contains(m, `tempo_request_duration_seconds_count{method="GET",route="`+route+`",status_code="200"`) {
				t.Errorf("/metrics lacks the duration of %s", route)
			}
		}
		if strings.Contains(m, `route="api_traces_traceid"`) {
			t.Error("trace requests also timed under dskit's munged route name")
		}
		re := regexp.MustCompile(`(?m)^tempo_query_frontend_bytes_inspected_total\{tenant="single-tenant"\} (\S+)$`)
		if mm := re.FindStringSubmatch(m); mm == nil || mm[1] == "0" {
			t.Errorf("tempo_query_frontend_bytes_inspected_total: %v", mm)
		}
		if !strings.Contains(m, `tempo_query_frontend_queries_total{op="traces",result="completed",tenant="single-tenant"}`) {
			t.Error("/metrics lacks tempo_query_frontend_queries_total for traces")
		}
	})

	// A query-frontend process of its own reads the same bucket: the
	// flushed traces (the live ones are in the other process only).
	t.Run("query-frontend target", func(t *testing.T) {
		fe := startServe(t, dir, "-target=query-frontend")
		code, body := fe.get(t, "/api/traces/"+flushed[4].id.String())
		if code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		checkTrace(t, "query-frontend", decodeTrace(t, body, false), flushed[4])
		var a searchAnswer
		fe.getJSON(t, "/api/search?limit=100&q="+url.QueryEscape("{ }")+window, &a)
		if got, want := a.ids(), idsOf(flushed, nil); !slices.Equal(got, want) {
			t.Fatalf("search: %v, want %v", got, want)
		}
		fe.stop()
	})
	p.stop()
}
