package tui

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/server/api"
	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/storage/backend"
)

// serveFixture runs the project's real query API over a copy of the acme
// fixture tenant (multitenancy on).
func serveFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "acme"), os.DirFS(filepath.Join(blockFixtures(t), "acme"))); err != nil {
		t.Fatal(err)
	}
	be, err := backend.Open(t.Context(), backend.Config{Backend: "local", Local: backend.LocalConfig{Path: dir}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	r := mux.NewRouter()
	api.Register(r, querier.New(be, nil, nil, nil, querier.Config{}), api.Options{MultitenancyEnabled: true})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestServerSourceAgainstTheRealAPI: the server source over the real API
// answers like the bucket source over the same blocks.
func TestServerSourceAgainstTheRealAPI(t *testing.T) {
	srv, err := NewServerSource(serveFixture(t), "acme", nil)
	if err != nil {
		t.Fatal(err)
	}
	bucket := NewBucketSource(openFixtureBucket(t), "acme", "fixture")
	for _, q := range []string{`{}`, `{ status = error }`, `{ resource.service.name = "checkout" }`} {
		got, err := srv.Search(t.Context(), q, fixtureWindow.start, fixtureWindow.end, 500)
		if err != nil {
			t.Fatal(err)
		}
		want, err := bucket.Search(t.Context(), q, fixtureWindow.start, fixtureWindow.end, 500)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := summaryOf(got.Traces, true), summaryOf(want.Traces, true); g != w || len(got.Traces) == 0 {
			t.Fatalf("%s: server and bucket differ:\n got %s\nwant %s", q, g, w)
		}
	}
	if _, err := srv.Search(t.Context(), `{ .a = }`, fixtureWindow.start, fixtureWindow.end, 5); asQueryError(err) == nil || asQueryError(err).Col == 0 {
		t.Fatalf("bad TraceQL from the real API: %v", err)
	}
	want := expectedTraces(t, "acme")[0]
	ids, _ := model.SplitByTraceID(want)
	td, err := srv.Trace(t.Context(), ids[0])
	if err != nil || td.SpanCount() != want.SpanCount() {
		t.Fatalf("trace %s: %v, %d spans, want %d", ids[0], err, td.SpanCount(), want.SpanCount())
	}
	if _, err := srv.Trace(t.Context(), model.TraceID{15: 1}); err != ErrTraceNotFound {
		t.Fatalf("unknown trace: %v", err)
	}
	names, err := srv.Tags(t.Context(), fixtureWindow.start, fixtureWindow.end)
	if err != nil || !contains(names, "resource.service.name") || !contains(names, "status") {
		t.Fatalf("tags %v %v", err, names)
	}
	vals, err := srv.TagValues(t.Context(), "resource.service.name", fixtureWindow.start, fixtureWindow.end)
	if err != nil || !contains(vals, `"frontend"`) {
		t.Fatalf("values %v %v", err, vals)
	}

	// And through the screens.
	st := startScreenTest(t, Options{Source: srv, Range: TimeRange{Start: fixtureWindow.start, End: fixtureWindow.end}}, 120, 30)
	sc := st.waitStatus("20 traces")
	if !strings.Contains(sc, "server http://127.0.0.1:") || !strings.Contains(sc, "tenant acme") {
		t.Errorf("title:\n%s", sc)
	}
	st.keys(keyEnter)
	st.waitFor("loaded in", "SPAN")
}
