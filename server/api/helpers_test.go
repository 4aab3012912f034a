package api

import (
	"bytes"
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/storage/backend"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the responses")

func fixtureDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "fixtures", "tempo-blocks"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("fixtures: %v", err)
	}
	return dir
}

// fixtureBucket copies the tenants' fixture blocks into a temp local bucket.
func fixtureBucket(t testing.TB, tenants ...string) *backend.Backend {
	t.Helper()
	dir := t.TempDir()
	for _, tn := range tenants {
		if err := os.CopyFS(filepath.Join(dir, tn), os.DirFS(filepath.Join(fixtureDir(t), tn))); err != nil {
			t.Fatal(err)
		}
	}
	be, err := backend.Open(context.Background(), backend.Config{Backend: "local", Local: backend.LocalConfig{Path: dir}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	return be
}

func expectedTraces(t testing.TB, tenant string) []ptrace.Traces {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtureDir(t), "expected", tenant+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []ptrace.Traces
	if _, err := model.ReadOTLPJSONLines(bytes.NewReader(raw), func(_ int, td ptrace.Traces) error {
		out = append(out, td)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func firstSpan(td ptrace.Traces) ptrace.Span {
	return td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
}

// rootSpan is the span without a parent.
func rootSpan(td ptrace.Traces) ptrace.Span {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		for j := 0; j < rss.At(i).ScopeSpans().Len(); j++ {
			spans := rss.At(i).ScopeSpans().At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				if spans.At(k).ParentSpanID().IsEmpty() {
					return spans.At(k)
				}
			}
		}
	}
	panic("no root span")
}

// fakeLive is a querier.LiveSource over fixed traces.
type fakeLive struct {
	mu     sync.Mutex
	traces map[string][]ptrace.Traces
}

func (f *fakeLive) add(tenant string, td ptrace.Traces) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.traces == nil {
		f.traces = map[string][]ptrace.Traces{}
	}
	f.traces[tenant] = append(f.traces[tenant], td)
}

func (f *fakeLive) FindTraceByID(tenant string, id model.TraceID) (ptrace.Traces, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var parts []ptrace.Traces
	for _, td := range f.traces[tenant] {
		if model.TraceID(firstSpan(td).TraceID()) == id {
			parts = append(parts, td)
		}
	}
	if len(parts) == 0 {
		return ptrace.Traces{}, false
	}
	return model.Combine(parts...), true
}

func (f *fakeLive) Traces(tenant string) []otlpwire.TraceParts {
	f.mu.Lock()
	defer f.mu.Unlock()
	out, err := otlpwire.PartsOf(f.traces[tenant]...)
	if err != nil {
		panic(err)
	}
	return out
}

// liveTrace is a small trace of service svc: a server root and client children.
func liveTrace(id model.TraceID, svc string, start time.Time, names ...string) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", svc)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("live-lib")
	var root pcommon.SpanID
	for i, n := range names {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(pcommon.TraceID(id))
		sid := pcommon.SpanID{0xaa, byte(i + 1), id[0], id[1], id[2], id[3], id[4], id[5]}
		sp.SetSpanID(sid)
		if i == 0 {
			root = sid
			sp.SetKind(ptrace.SpanKindServer)
		} else {
			sp.SetParentSpanID(root)
			sp.SetKind(ptrace.SpanKindClient)
		}
		sp.SetName(n)
		s := start.Add(time.Duration(i) * time.Millisecond)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(s))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(s.Add(50 * time.Millisecond)))
		sp.Attributes().PutStr("http.method", "PATCH")
		sp.Attributes().PutInt("live.seq", int64(i))
	}
	return td
}

// server starts the API over q on 127.0.0.1.
func server(t testing.TB, q *querier.Querier, opts Options) *httptest.Server {
	t.Helper()
	r := mux.NewRouter()
	Register(r, q, opts)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv
}

// get sends a GET with headers ("K", "V", ...) and returns the response
// with its body read (transparent gzip off, to see the raw encoding).
func get(t testing.TB, url string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return resp, buf.Bytes()
}

// golden compares got with testdata/golden/name (rewritten with -update).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("response differs from %s (run with -update after checking):\n got %s\nwant %s", path, trunc(got), trunc(want))
	}
}

func trunc(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}
