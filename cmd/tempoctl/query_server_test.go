package main

import (
	"bytes"
	"context"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/tempoctl/tempoctl/server/api"
	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/storage/backend"
)

// apiServer serves the query API over the fixture bucket (read only).
func apiServer(t *testing.T, multitenancy bool) string {
	t.Helper()
	fx, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "fixtures", "tempo-blocks"))
	if err != nil {
		t.Fatal(err)
	}
	be, err := backend.Open(context.Background(), backend.Config{Backend: "local", Local: backend.LocalConfig{Path: fx}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	r := mux.NewRouter()
	api.Register(r, querier.New(be, nil, nil, nil, querier.Config{}), api.Options{MultitenancyEnabled: multitenancy})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL
}

func run(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := Execute(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// query trace --server prints exactly what the bucket read prints.
func TestQueryTraceServer(t *testing.T) {
	fx := filepath.Join("..", "..", "..", "shared", "fixtures", "tempo-blocks")
	srv := apiServer(t, true)
	const split = "4595c8056ef50999d3b7e5ce62fc2dae" // in two blocks of tenant multi
	for _, format := range []string{"tree", "json"} {
		code, want, stderr := run("query", "trace", split, "--backend", "local", "--bucket", fx, "--tenant", "multi", "-o", format)
		if code != 0 {
			t.Fatalf("bucket: %d %s", code, stderr)
		}
		code, got, stderr := run("query", "trace", split, "--server", srv, "--tenant", "multi", "--header", "X-Extra=1", "-o", format)
		if code != 0 {
			t.Fatalf("server: %d %s", code, stderr)
		}
		if got != want {
			t.Fatalf("%s output differs between server and bucket:\n%s\n---\n%s", format, got, want)
		}
	}

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"not found", []string{"0123456789abcdef0123456789abcdef", "--server", srv, "--tenant", "multi"}, 1, `trace 0123456789abcdef0123456789abcdef not found on ` + srv + ` (tenant "multi")`},
		{"other tenant", []string{split, "--server", srv, "--tenant", "acme"}, 1, "not found"},
		{"no tenant, multitenancy on", []string{split, "--server", srv}, 2, "no org id"},
		{"bad header", []string{split, "--server", srv, "--header", "nokey"}, 2, `--header "nokey": want KEY=VALUE`},
		{"bad url", []string{split, "--server", "localhost:3200"}, 2, "--server"},
		{"unreachable", []string{split, "--server", "http://" + closedAddr(t)}, 2, "cannot reach"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(append([]string{"query", "trace"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", code, tc.code, stderr, tc.stderr)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("error should be one line: %q", stderr)
			}
		})
	}
}

// closedAddr is a local address nothing listens on.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// search, tags and tag-values over --server print what the bucket read
// prints (same window, same data).
func TestQueryCommandsServerMatchBucket(t *testing.T) {
	fx := filepath.Join("..", "..", "..", "shared", "fixtures", "tempo-blocks")
	srv := apiServer(t, false)
	window := []string{"--start", "2026-11-23T20:20:00Z", "--end", "2026-11-23T20:40:00Z"}
	tests := [][]string{
		{"search", `{ status = error }`, "--limit", "1000"},
		{"search", `{ resource.service.name = "payment" } | count() > 1`, "--limit", "1000", "-o", "json"},
		{"tags", "--scope", "span"},
		{"tags", "--query", `{ resource.service.name = "db" }`},
		{"tag-values", "resource.service.name"},
		{"tag-values", "span.http.status_code"},
		{"tag-values", "name", "--query", `{ resource.service.name = "payment" }`},
		{"tag-values", "service.name"}, // a plain name: the v1 route
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			base := append(append([]string{"query"}, args...), window...)
			code, want, stderr := run(append(base, "--backend", "local", "--bucket", fx)...)
			if code != 0 {
				t.Fatalf("bucket: %d %s", code, stderr)
			}
			code, got, stderr := run(append(base, "--server", srv)...)
			if code != 0 {
				t.Fatalf("server: %d %s", code, stderr)
			}
			if strings.Contains(strings.Join(args, " "), "json") {
				// metrics differ (the server also counts live data); compare traces.
				want, got = want[:strings.Index(want, `"metrics"`)], got[:strings.Index(got, `"metrics"`)]
			}
			if got != want {
				t.Fatalf("server output differs from the bucket's:\n%s\n---\n%s", got, want)
			}
		})
	}
	// No match: exit 1 with a message, as offline.
	code, _, stderr := run(append([]string{"query", "search", `{ name = "nope" }`, "--server", srv}, window...)...)
	if code != 1 || !strings.Contains(stderr, "no traces match") {
		t.Fatalf("no match: %d %q", code, stderr)
	}
	// A bad query is the server's 400: exit 2 with its message.
	code, _, stderr = run("query", "search", `{ status = }`, "--server", srv)
	if code != 2 || !strings.Contains(stderr, "parse error at line 1, col 9") {
		t.Fatalf("bad query: %d %q", code, stderr)
	}
}

func TestServerOrBucket(t *testing.T) {
	tests := []struct {
		server, backend, config string
		want                    bool
	}{
		{"", "", "", true}, // nothing given: the default server
		{"http://x:3200", "", "", true},
		{"", "local", "", false},
		{"", "", "tempo.yaml", false},
		{"http://x:3200", "local", "", true},
	}
	for _, tc := range tests {
		f := serverFlags{Server: tc.server}
		if got := f.useServer(&storageFlags{Backend: tc.backend, ConfigFile: tc.config}); got != tc.want {
			t.Errorf("%+v: useServer = %v", tc, got)
		}
	}
}
