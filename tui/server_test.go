package tui

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/client"
	"github.com/tempoctl/tempoctl/model"
)

// The answers below are the shapes spec/http-api.md §2–4 shows (captured
// from Tempo): search with spanSets and serviceStats, the v1 trace with
// "batches", base64 IDs and enum names, tags by scope, typed tag values.
const (
	specSearch = `{"traces":[
  {"traceID":"5b8efff798038103d269b633813fc60c","rootServiceName":"shop-backend","rootTraceName":"GET /api/orders",
   "startTimeUnixNano":"1795464296000000000","durationMs":500,
   "spanSet":{"spans":[{"spanID":"eee19b7ec3c1b174","startTimeUnixNano":"1795464296000000000","durationNanos":"500000000",
     "attributes":[{"key":"status","value":{"stringValue":"error"}}]}],"matched":1},
   "spanSets":[{"spans":[{"spanID":"eee19b7ec3c1b174","startTimeUnixNano":"1795464296000000000","durationNanos":"500000000",
     "attributes":[{"key":"status","value":{"stringValue":"error"}}]}],"matched":1}],
   "serviceStats":{"postgres":{"spanCount":1},"shop-backend":{"spanCount":2,"errorCount":1}}},
  {"traceID":"af9a4d2f3d1bd3c","rootServiceName":"<root span not yet received>","startTimeUnixNano":"1795464290000000000"}],
 "metrics":{"inspectedBytes":"14631","completedJobs":3,"totalJobs":3}}`

	specTrace = `{"batches":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop-backend"}},
  {"key":"k8s.pod.name","value":{"stringValue":"pod-a"}}]},
  "scopeSpans":[{"scope":{"name":"my-lib","version":"1.2.3"},"spans":[
   {"traceId":"W47/95gDgQPSabYzgT/GDA==","spanId":"7uGbfsPBsXQ=","name":"GET /api/orders","kind":"SPAN_KIND_SERVER",
    "startTimeUnixNano":"1795464296000000000","endTimeUnixNano":"1795464296500000000",
    "attributes":[{"key":"http.method","value":{"stringValue":"GET"}},{"key":"http.status_code","value":{"intValue":"500"}},
      {"key":"ratio","value":{"doubleValue":0.5}},{"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"stringValue":"b"}]}}}],
    "events":[{"timeUnixNano":"1795464296100000000","name":"exception","attributes":[{"key":"exception.message","value":{"stringValue":"oops"}}]}],
    "status":{"message":"boom","code":"STATUS_CODE_ERROR"}},
   {"traceId":"W47/95gDgQPSabYzgT/GDA==","spanId":"7uGbfsPBsXU=","parentSpanId":"7uGbfsPBsXQ=","name":"SELECT orders",
    "kind":"SPAN_KIND_CLIENT","startTimeUnixNano":"1795464296100000000","endTimeUnixNano":"1795464296300000000",
    "attributes":[{"key":"db.system","value":{"stringValue":"postgresql"}}],
    "links":[{"traceId":"CvdlGRbNQ92ESOshHIAxnA==","spanId":"t61rcWkgMzE=","attributes":[{"key":"link.kind","value":{"stringValue":"follows"}}]}],
    "status":{}}]}]},
 {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"postgres"}}]},
  "scopeSpans":[{"scope":{},"spans":[{"traceId":"W47/95gDgQPSabYzgT/GDA==","spanId":"7uGbfsPBsXY=","parentSpanId":"7uGbfsPBsXU=",
    "name":"query","kind":"SPAN_KIND_SERVER","startTimeUnixNano":"1795464296150000000","endTimeUnixNano":"1795464296250000000",
    "status":{"code":"STATUS_CODE_OK"}}]}]}]}`

	specTags = `{"scopes":[{"name":"link","tags":["link.kind"]},{"name":"resource","tags":["k8s.pod.name","service.name"]},
  {"name":"span","tags":["db.system","http.method"]},{"name":"intrinsic","tags":["duration","name","status"]}],
 "metrics":{"inspectedBytes":"14339"}}`

	specValues = `{"tagValues":[{"type":"string","value":"shop-backend"},{"type":"int","value":"500"}],"metrics":{"inspectedBytes":"12910"}}`
)

type fakeTempo struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (f *fakeTempo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.reqs = append(f.reqs, r)
	f.mu.Unlock()
	q := r.URL.Query()
	switch {
	case r.URL.Path == "/prefix/api/search" && strings.Contains(q.Get("q"), "}}"):
		http.Error(w, "invalid TraceQL query: parse error at line 1, col 9: syntax error: unexpected }", http.StatusBadRequest)
	case r.URL.Path == "/prefix/api/search" && q.Get("q") == "{ boom }":
		http.Error(w, "too many outstanding requests", http.StatusTooManyRequests)
	case r.URL.Path == "/prefix/api/search":
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(specSearch))
	case r.URL.Path == "/prefix/api/traces/5b8efff798038103d269b633813fc60c":
		// Tempo answers in protobuf when asked, as the client does.
		if !strings.Contains(r.Header.Get("Accept"), "application/protobuf") {
			w.Write([]byte(specTrace))
			return
		}
		td, err := decodeOTLPOrTempoJSON([]byte(specTrace))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		var m ptrace.ProtoMarshaler
		b, _ := m.MarshalTraces(td)
		w.Header().Set("Content-Type", "application/protobuf")
		w.Write(b)
	case strings.HasPrefix(r.URL.Path, "/prefix/api/traces/"):
		w.WriteHeader(http.StatusNotFound) // Tempo's v1 not found: empty body
	case r.URL.Path == "/prefix/api/v2/search/tags":
		w.Write([]byte(specTags))
	case r.URL.Path == "/prefix/api/v2/search/tag/resource.service.name/values":
		w.Write([]byte(specValues))
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeTempo) last() *http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs[len(f.reqs)-1]
}

func newFakeServer(t *testing.T, tenant string) (*ServerSource, *fakeTempo) {
	t.Helper()
	f := &fakeTempo{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	src, err := NewServerSource(srv.URL+"/prefix/", tenant, nil)
	if err != nil {
		t.Fatal(err)
	}
	return src, f
}

func TestServerSearch(t *testing.T) {
	src, f := newFakeServer(t, "acme")
	start := time.Unix(1795464000, 0)
	end := time.Unix(1795467600, 500) // a fraction rounds the end up
	resp, err := src.Search(t.Context(), `{ status = error }`, start, end, 7)
	if err != nil {
		t.Fatal(err)
	}
	r := f.last()
	want := url.Values{"q": {"{ status = error }"}, "start": {"1795464000"}, "end": {"1795467601"}, "limit": {"7"}, "spss": {"3"}}
	if got := r.URL.Query(); got.Encode() != want.Encode() {
		t.Errorf("query %s, want %s", got.Encode(), want.Encode())
	}
	if r.Header.Get("X-Scope-OrgID") != "acme" {
		t.Errorf("tenant header %q", r.Header.Get("X-Scope-OrgID"))
	}
	if len(resp.Traces) != 2 || resp.Metrics.InspectedBytes != 14631 {
		t.Fatalf("traces %d bytes %d", len(resp.Traces), resp.Metrics.InspectedBytes)
	}
	tr := resp.Traces[0]
	spans, errs, ok := spanCounts(tr)
	if tr.RootServiceName != "shop-backend" || tr.DurationMs != 500 || tr.StartTimeUnixNano != 1795464296000000000 || !ok || spans != 3 || errs != 1 {
		t.Errorf("first trace decoded as %+v (spans %d errors %d)", tr, spans, errs)
	}
	if _, _, ok := spanCounts(resp.Traces[1]); ok {
		t.Error("a trace without serviceStats has unknown counts")
	}

	// Without a window no start/end is sent (the server's default applies).
	if _, err := src.Search(t.Context(), `{}`, time.Time{}, time.Time{}, 0); err != nil {
		t.Fatal(err)
	}
	if q := f.last().URL.Query(); q.Has("start") || q.Has("end") || q.Has("limit") {
		t.Errorf("open window sent %s", q.Encode())
	}
}

func TestServerErrors(t *testing.T) {
	src, _ := newFakeServer(t, "")
	_, err := src.Search(t.Context(), `{ .a = 1 }}`, time.Time{}, time.Time{}, 20)
	qe := asQueryError(err)
	if qe == nil || qe.Line != 1 || qe.Col != 9 || !strings.Contains(qe.Msg, "unexpected }") {
		t.Fatalf("bad TraceQL: %v (%+v)", err, qe)
	}
	_, err = src.Search(t.Context(), `{ boom }`, time.Time{}, time.Time{}, 20)
	var he *client.HTTPError
	if !errors.As(err, &he) || he.Status != 429 || asQueryError(err) != nil || !strings.Contains(err.Error(), "too many outstanding") {
		t.Fatalf("429: %v", err)
	}
	if _, err := src.Trace(t.Context(), model.TraceID{15: 1}); !errors.Is(err, ErrTraceNotFound) {
		t.Fatalf("404: %v", err)
	}
	down, _ := NewServerSource("http://127.0.0.1:1", "", &http.Client{Timeout: time.Second})
	if _, err := down.Search(t.Context(), `{}`, time.Time{}, time.Time{}, 20); err == nil {
		t.Fatal("an unreachable server must fail")
	}
	for _, bad := range []string{"", "localhost:3200", "ftp://x", "http://", "::"} {
		if _, err := NewServerSource(bad, "", nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestServerTrace(t *testing.T) {
	src, f := newFakeServer(t, "acme")
	id, _ := model.ParseTraceID("5b8efff798038103d269b633813fc60c")
	td, err := src.Trace(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if f.last().Header.Get("X-Scope-OrgID") != "acme" {
		t.Error("no tenant header on the trace request")
	}
	info := summarize(td)
	if info.id != id || info.spans != 3 || info.errors != 1 || len(info.roots) != 1 {
		t.Fatalf("decoded %s: %d spans, %d errors, %d roots", info.id, info.spans, info.errors, len(info.roots))
	}
	rows := flatten(info.roots, nil)
	got := []string{}
	for _, r := range rows {
		got = append(got, strings.Repeat(" ", r.depth)+r.node.Service+" "+r.node.Span.Name()+" "+kindName(r.node.Span.Kind()))
	}
	want := []string{"shop-backend GET /api/orders server", " shop-backend SELECT orders client", "  postgres query server"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("tree %q, want %q", got, want)
	}
	link := rows[1].node.Span.Links().At(0)
	if model.TraceID(link.TraceID()).String() != "0af7651916cd43dd8448eb211c80319c" || link.SpanID().String() != "b7ad6b7169203331" {
		t.Errorf("link decoded as %s/%s", model.TraceID(link.TraceID()), link.SpanID())
	}
}

func TestServerTags(t *testing.T) {
	src, _ := newFakeServer(t, "")
	names, err := src.Tags(t.Context(), time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := "duration,link.link.kind,name,resource.k8s.pod.name,resource.service.name,span.db.system,span.http.method,status"
	if strings.Join(names, ",") != want {
		t.Errorf("tags %v", names)
	}
	vals, err := src.TagValues(t.Context(), "resource.service.name", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(vals, ",") != `"shop-backend",500` {
		t.Errorf("values %v: strings quoted, numbers bare", vals)
	}
}
