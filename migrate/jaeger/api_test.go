package jaeger

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tempoctl/tempoctl/migrate/jaeger/jaegertest"
	"github.com/tempoctl/tempoctl/model"
)

func startFake(t testing.TB, opts jaegertest.Options) *jaegertest.Server {
	t.Helper()
	opts.Dir = fixtureDir
	s, err := jaegertest.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func newTestClient(t testing.TB, url string) *Client {
	t.Helper()
	c, err := NewClient(ClientConfig{URL: url, Backoff: time.Millisecond, Retries: 3, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fixtureWindow is the capture window of the fixtures.
var fixtureWindow = Window{Start: 1795457172000000, End: 1795464372000000}

func TestProbe(t *testing.T) {
	ctx := context.Background()
	full := startFake(t, jaegertest.Options{})
	old := startFake(t, jaegertest.Options{NoV3: true})
	empty := startFake(t, jaegertest.Options{Intercept: func(w http.ResponseWriter, r *http.Request) bool {
		http.NotFound(w, r)
		return true
	}})
	tests := []struct {
		name, url string
		want      APIVersion
		got, err  string
	}{
		{"auto picks v3", full.URL, "auto", "v3", ""},
		{"auto falls back to v1", old.URL, "", "v1", ""},
		{"forced v1", full.URL, "v1", "v1", ""},
		{"forced v3 on an old Jaeger", old.URL, "v3", "", "api/v3"},
		{"not a Jaeger", empty.URL, "", "", "no Jaeger query API"},
		{"bad choice", full.URL, "v2", "", "--api"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api, err := Probe(ctx, newTestClient(t, tc.url), tc.want)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if api.Version() != tc.got {
				t.Errorf("picked %s, want %s", api.Version(), tc.got)
			}
		})
	}
	if _, err := NewClient(ClientConfig{URL: "localhost:16686"}); err == nil {
		t.Error("URL without scheme accepted")
	}
}

func TestAPIsSearchAndFetch(t *testing.T) {
	ctx := context.Background()
	fake := startFake(t, jaegertest.Options{})
	c := newTestClient(t, fake.URL)
	cf65, _ := model.ParseTraceID("cf65ef4defcce38b8165c065c04c5e9e")
	short, _ := model.ParseTraceID("26cf34cdd1ce3bc9")
	missing, _ := model.ParseTraceID("0bad")
	for _, api := range []API{&v3API{c: c}, &v1API{c: c}} {
		t.Run(api.Version(), func(t *testing.T) {
			svcs, err := api.Services(ctx)
			if err != nil || strings.Join(svcs, ",") != "cart,checkout,db,frontend,payment" {
				t.Fatalf("services %v %v", svcs, err)
			}
			ops, err := api.Operations(ctx, "cart")
			if err != nil || len(ops) == 0 {
				t.Fatalf("operations %v %v", ops, err)
			}
			res, err := api.Search(ctx, Query{Service: "payment", Window: fixtureWindow, Limit: 1000})
			if err != nil || res.Count != 67 || len(res.Traces) != 67 {
				t.Fatalf("search: %d traces, %v", res.Count, err)
			}
			res, err = api.Search(ctx, Query{Service: "frontend", Window: fixtureWindow, Limit: 5})
			if err != nil || res.Count != 5 || res.Traces[0].ID.String() != "ab00bb98a3c226ea9a6e63730a9bb737" {
				t.Fatalf("search limit 5: %d, %v", res.Count, err)
			}
			// The edge case of the README: bounds inclusive to the µs.
			edge := int64(1795464363208545)
			for _, w := range []struct {
				w    Window
				want int
			}{{Window{edge, edge}, 1}, {Window{edge - 1000000, edge - 1}, 0}} {
				res, err := api.Search(ctx, Query{Service: "frontend", Window: w.w, Limit: 10})
				if err != nil || res.Count != w.want {
					t.Errorf("window %v: %d traces (%v), want %d", w.w, res.Count, err, w.want)
				}
			}
			// api/v3 answers an empty search with 404: empty, not an error.
			res, err = api.Search(ctx, Query{Service: "nosuch", Window: fixtureWindow, Limit: 10})
			if err != nil || res.Count != 0 {
				t.Errorf("unknown service: %d, %v", res.Count, err)
			}
			fr, err := api.Fetch(ctx, []model.TraceID{cf65, short, missing}[:min(3, api.FetchBatch()*3)])
			if err != nil {
				t.Fatal(err)
			}
			if len(fr.Traces) != 2 || len(fr.Missing) != 1 || fr.Missing[0] != missing || len(fr.Bad) != 0 {
				t.Fatalf("fetch: %d found, missing %v, bad %v", len(fr.Traces), fr.Missing, fr.Bad)
			}
			for _, tr := range fr.Traces {
				if d := diffExpected(t, tr.ID, tr.Data, api.Version() == "v1"); len(d) > 0 {
					t.Errorf("%s differs:\n%s", tr.ID, strings.Join(d, "\n"))
				}
			}
		})
	}
}

// Transient failures are retried; a final 4xx is returned as it is.
func TestClientRetries(t *testing.T) {
	var calls atomic.Int32
	fake := startFake(t, jaegertest.Options{Intercept: func(w http.ResponseWriter, r *http.Request) bool {
		switch {
		case r.URL.Path == "/api/v3/services" && calls.Add(1) <= 2:
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return true
		case r.URL.Path == "/api/services":
			http.Error(w, "down", http.StatusBadGateway)
			return true
		}
		return false
	}})
	c := newTestClient(t, fake.URL)
	api := &v3API{c: c}
	if _, err := api.Services(context.Background()); err != nil {
		t.Fatalf("not retried: %v", err)
	}
	if c.Retries() != 2 {
		t.Errorf("%d retries, want 2", c.Retries())
	}
	_, err := (&v1API{c: c}).Services(context.Background())
	if err == nil || !strings.Contains(err.Error(), "HTTP 502") {
		t.Errorf("persistent 502: %v", err)
	}
	if got := fake.Requests("/api/services"); got != 4 {
		t.Errorf("%d attempts, want 1 + 3 retries", got)
	}
	status, _, err := c.get(context.Background(), "/api/traces/xyz", nil)
	if err != nil || status != http.StatusBadRequest {
		t.Errorf("400: %d %v", status, err)
	}
}

func TestClientTimeoutRetried(t *testing.T) {
	var calls atomic.Int32
	fake := startFake(t, jaegertest.Options{Intercept: func(w http.ResponseWriter, r *http.Request) bool {
		if calls.Add(1) == 1 {
			time.Sleep(300 * time.Millisecond)
		}
		return false
	}})
	c, err := NewClient(ClientConfig{URL: fake.URL, Timeout: 100 * time.Millisecond, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&v3API{c: c}).Services(context.Background()); err != nil {
		t.Fatalf("timeout not retried: %v", err)
	}
}

// A server that was never reached fails at once; one that answered before
// is retried when it refuses connections (a restart).
func TestClientConnRefused(t *testing.T) {
	fake := startFake(t, jaegertest.Options{})
	url := fake.URL
	fake.Close()
	c, err := NewClient(ClientConfig{URL: url, Backoff: time.Millisecond, Retries: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&v3API{c: c}).Services(context.Background()); err == nil {
		t.Fatal("closed server answered")
	}
	if c.Requests() != 1 {
		t.Errorf("%d requests to a server never reached, want 1", c.Requests())
	}
	c.answered.Store(true)
	(&v3API{c: c}).Services(context.Background())
	if c.Requests() != 1+4 {
		t.Errorf("%d requests, want 1 + 1 + 3 retries", c.Requests())
	}
}
