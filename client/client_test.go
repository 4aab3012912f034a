package client

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/internal/tracecmp"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/server/api"
	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/storage/backend"
)

func fixtureDir(t *testing.T) string {
	dir, err := filepath.Abs(filepath.Join("..", "..", "shared", "fixtures", "tempo-blocks"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// serve runs the real API over the acme fixture block, multitenancy on,
// recording the headers of each request.
func serve(t *testing.T) (string, *headerLog) {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "acme"), os.DirFS(filepath.Join(fixtureDir(t), "acme"))); err != nil {
		t.Fatal(err)
	}
	be, err := backend.Open(context.Background(), backend.Config{Backend: "local", Local: backend.LocalConfig{Path: dir}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	r := mux.NewRouter()
	api.Register(r, querier.New(be, nil, nil, nil, querier.Config{}), api.Options{MultitenancyEnabled: true})
	log := &headerLog{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		log.add(req.Header.Clone())
		r.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, log
}

type headerLog struct {
	mu sync.Mutex
	h  []http.Header
}

func (l *headerLog) add(h http.Header) { l.mu.Lock(); l.h = append(l.h, h); l.mu.Unlock() }
func (l *headerLog) last() http.Header {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h[len(l.h)-1]
}

func acmeTraces(t *testing.T) []ptrace.Traces {
	raw, err := os.ReadFile(filepath.Join(fixtureDir(t), "expected", "acme.json"))
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

var (
	blockStart = time.Date(2026, 11, 23, 20, 20, 0, 0, time.UTC)
	blockEnd   = time.Date(2026, 11, 23, 20, 40, 0, 0, time.UTC)
)

func TestTraceByID(t *testing.T) {
	url, log := serve(t)
	c, err := New(url, WithTenant("acme"), WithHeader("Authorization", "Bearer x"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	want := acmeTraces(t)[5]
	id := model.TraceID(want.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).TraceID())
	got, err := c.TraceByID(ctx, id, TraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d := tracecmp.Diff(want, got, tracecmp.Options{}, 3); len(d) > 0 {
		t.Fatalf("trace differs: %v", d)
	}
	h := log.last()
	if h.Get("X-Scope-OrgID") != "acme" || h.Get("Authorization") != "Bearer x" || h.Get("Accept") != "application/protobuf" {
		t.Fatalf("headers %v", h)
	}
	if _, err := c.TraceByID(ctx, model.TraceID{1}, TraceOptions{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent: %v", err)
	}
	// Another tenant does not see it; no tenant is a 401 with the server's message.
	other, _ := New(url, WithTenant("globex"))
	if _, err := other.TraceByID(ctx, id, TraceOptions{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("globex: %v", err)
	}
	none, _ := New(url)
	var he *HTTPError
	if _, err := none.TraceByID(ctx, id, TraceOptions{}); !errors.As(err, &he) || he.Status != 401 || !strings.HasPrefix(he.Msg, "no org id: ") {
		t.Fatalf("no tenant: %v", err)
	}
}

func TestSearchTagsValues(t *testing.T) {
	url, _ := serve(t)
	c, _ := New(url+"/", WithTenant("acme"))
	ctx := context.Background()

	resp, err := c.Search(ctx, SearchRequest{Query: `{ }`, Start: blockStart, End: blockEnd, Limit: 1000, SpansPerSpanSet: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Traces) != 100 || resp.Metrics.TotalBlocks != 1 {
		t.Fatalf("%d traces, metrics %+v", len(resp.Traces), *resp.Metrics)
	}
	if ss := resp.Traces[0].SpanSets[0]; len(ss.Spans) > 3 {
		t.Fatalf("server default spss is 3, got %d", len(ss.Spans))
	}
	legacy, err := c.Search(ctx, SearchRequest{Tags: map[string]string{"service.name": "checkout"}, Start: blockStart, End: blockEnd, Limit: 1000})
	if err != nil || len(legacy.Traces) == 0 || legacy.Traces[0].SpanSets != nil {
		t.Fatalf("legacy: %v %v", legacy, err)
	}
	empty, err := c.Search(ctx, SearchRequest{Query: `{ name = "nope" }`, Start: blockStart, End: blockEnd})
	if err != nil || len(empty.Traces) != 0 {
		t.Fatalf("no results: %v %v", empty, err)
	}
	var he *HTTPError
	if _, err := c.Search(ctx, SearchRequest{Query: `{ status = }`}); !errors.As(err, &he) || he.Status != 400 ||
		he.Msg != "invalid TraceQL query: parse error at line 1, col 9: syntax error: unexpected }" {
		t.Fatalf("bad query: %v", err)
	}

	tags, err := c.Tags(ctx, TagsRequest{Scope: "resource", Start: blockStart, End: blockEnd})
	if err != nil || len(tags.Scopes) != 1 || !slices.Contains(tags.Scopes[0].Tags, "k8s.pod.name") {
		t.Fatalf("tags: %+v %v", tags, err)
	}
	vals, err := c.TagValues(ctx, "resource.service.name", TagValuesRequest{Start: blockStart, End: blockEnd})
	if err != nil || len(vals.TagValues) == 0 || vals.TagValues[0].Type != "string" {
		t.Fatalf("values: %+v %v", vals, err)
	}
	v1, _, err := c.TagValuesV1(ctx, "service.name", TagValuesRequest{Start: blockStart, End: blockEnd})
	if err != nil || len(v1) != len(vals.TagValues) {
		t.Fatalf("v1 values: %v %v", v1, err)
	}
	recent, err := c.TagValues(ctx, "resource.service.name", TagValuesRequest{})
	if err != nil || len(recent.TagValues) != 0 {
		t.Fatalf("the recent window has no old block: %+v %v", recent, err)
	}
	since, err := c.TagValues(ctx, "resource.service.name", TagValuesRequest{Since: time.Since(blockStart) + time.Hour})
	if err != nil || len(since.TagValues) != len(vals.TagValues) {
		t.Fatalf("since: %+v %v", since, err)
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"localhost:3200", "ftp://x", "http://", "::"} {
		if _, err := New(u); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
	c, err := New("")
	if err != nil || c.URL() != DefaultURL {
		t.Fatalf("default: %v %v", c, err)
	}
}
