package querier

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/traceql"
)

// TestLiveFetcherMatchesMemoryFetcher is differential: live traces searched
// lazily from their wire bytes, with the string pre-check, answer exactly as
// the eager memory fetcher over the same traces decoded.
func TestLiveFetcherMatchesMemoryFetcher(t *testing.T) {
	g := tracegen.New(3, tracegen.Config{Exotic: true, MinSpans: 1, MaxSpans: 12})
	var tds []ptrace.Traces
	for range 120 {
		_, td := g.Trace()
		tds = append(tds, td)
	}
	// A trace sent in two requests, its last resource's spans twice (a
	// client's retry): parts are combined, duplicates dropped.
	_, split := g.Trace()
	tail := ptrace.NewTraces()
	split.ResourceSpans().At(split.ResourceSpans().Len() - 1).CopyTo(tail.ResourceSpans().AppendEmpty())
	tds = append(tds, split, tail)

	parts, err := otlpwire.PartsOf(tds...)
	if err != nil {
		t.Fatal(err)
	}
	var whole []ptrace.Traces
	for _, p := range parts {
		td, err := p.Decode()
		if err != nil {
			t.Fatal(err)
		}
		whole = append(whole, model.Dedupe(td))
	}
	id0 := parts[7].ID.String()
	queries := []string{
		`{}`,
		`{ resource.service.name = "svc-1" }`,
		`{ resource.service.name = "nope" }`,
		`{ .service.name = "svc-2" && status = error }`,
		`{ name = "charge" }`,
		`{ name = "charge" || name = "render" }`,
		`{ span.http.request.method = "GET" && span.url.path = "/api/items/7" }`,
		`{ span.tags = "b" }`,
		`{ span.unicode = "żółw \"q\" \n\t\u0001 <>&" }`,
		`{ statusMessage = "boom" }`,
		`{ rootServiceName = "svc-0" }`,
		`{ rootName = "charge" }`,
		`{ event:name = "event" && event.exception.message = "x" }`,
		`{ link.opentracing.ref_type = "follows_from" }`,
		`{ instrumentation:name = "tracegen" && instrumentation:version = "1.0" }`,
		`{ instrumentation.sampled = true }`,
		`{ resource.k8s.pod.name = "svc-3-1" }`,
		fmt.Sprintf(`{ trace:id = "%s" }`, id0),
		`{ span:id != "0000000000000000" && name = "render" }`,
		`{ span.http.response.status_code = "500" }`,
		`{ name = "charge" } >> { name = "render" }`,
		`{ duration > 150ms }`,
		`{ duration < 1ms }`,
		`{ kind = server && status != ok }`,
		`{ status = unset && kind = internal }`,
		`{ span:status = error && span:kind = client }`,
		`{ kind != internal && duration >= 50ms && resource.service.name = "svc-3" }`,
		`{ status = error } && { duration > 100ms }`,
		`{ status = error || duration > 190ms }`,
		`{ span.http.response.status_code = 500 }`,
		`{ span.http.response.status_code = 999 }`,
		`{ span.http.response.status_code = 404.0 }`,
		`{ span.load = 0.5 }`,
		`{ span.ints = 2 }`,
		`{ span.ints = 2.0 && span.cache.hit = false }`,
		`{ span.floats = -2.25 }`,
		`{ span.cache.hit = true && resource.host.cpus = 4 }`,
		`{ span.server.port = 443 }`,
		`{ span.server.address = 1.5 }`,
		`{ span.bools = false }`,
		`{ instrumentation.sampled = true }`,
		`{ event.n = 0 }`,
		`{ span.nope > 1 }`,
		`{ span.nope =~ ".*" }`,
		`{ span.url.path =~ ".*" && span.load >= 0.9 }`,
		`{ span.tags =~ "a" }`,
		`{ span.load < 0.01 }`,
		`{ event.n > 0 }`,
		`{ .cluster =~ "eu-.*" }`,
		`{ span.nope != 1 }`,
		`{ span.nope !~ "x" }`,
		`{ span.http.response.status_code >= 500 }`,
		`{ span.http.response.status_code > 999 }`,
		`{ span.http.response.status_code < 201 && span.http.request.method = "GET" }`,
		`{ resource.host.cpus > 3 }`,
		`{ .host.cpus <= 2 && .http.response.status_code = 404 }`,
		`{ span.load > 0.5 && span.load < 0.6 }`,
		`{ span.url.path > "/api/items/8" }`,
		`{ span.cache.hit = true && kind = server }`,
		`{ span.server.port > 100 }`,
		`{ span.ints >= 2 }`,
		`{ span.mixed = 1 }`,
		`{ span.kv = 3 }`,
		`{ resource.cluster = "eu-1" && span.load > 0.99 }`,
		`{ .load > 0.9 }`,
		`{ status = error } | by(resource.service.name) | count() > 1`,
	}
	q := New(nil, nil, nil, nil, Config{})
	ctx := context.Background()
	for _, query := range queries {
		for _, limit := range []int{3, 1 << 20} {
			opts := traceql.SearchOptions{Limit: limit, SpansPerSpanSet: 100}
			want, err := traceql.NewEngine().ExecuteSearch(ctx, query, traceql.NewMemoryFetcher(whole...), opts)
			if err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			got, err := traceql.NewEngine().ExecuteSearch(ctx, query, q.liveFetcher(parts, nil), opts)
			if err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			want.Metrics, got.Metrics = nil, nil
			w, _ := json.Marshal(want)
			g, _ := json.Marshal(got)
			if string(w) != string(g) {
				t.Errorf("%s (limit %d): live fetcher differs\nwant %.500s\ngot  %.500s", query, limit, w, g)
			}
		}
	}
}

// TestRequiredBytesSkipTraces: a value no trace holds rules every trace out
// before decoding; conditions that are not all required, not equality, or
// on IDs (compared as hex) require nothing.
func TestRequiredBytesSkipTraces(t *testing.T) {
	g := tracegen.New(5, tracegen.Config{})
	var tds []ptrace.Traces
	for range 50 {
		_, td := g.Trace()
		tds = append(tds, td)
	}
	parts, err := otlpwire.PartsOf(tds...)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		query    string
		required int  // conditions that require bytes
		any      bool // some trace passes the pre-check
	}{
		{`{ resource.service.name = "nope" }`, 2, false},
		{`{ resource.service.name = "svc-1" && name = "charge" }`, 3, true},
		{`{ name = "charge" || name = "nope" }`, 0, true},
		{`{ name != "charge" }`, 0, true},
		{`{ name =~ "char.*" }`, 0, true},
		{`{ trace:id = "00112233445566778899aabbccddeeff" }`, 0, true},
		{`{ span.http.response.status_code = 500 }`, 2, true},
		{`{ span.http.response.status_code = 999 }`, 2, false},
		{`{ span.http.response.status_code = 500.0 }`, 2, true},
		{`{ span.http.response.status_code = 404.5 }`, 2, false},
		{`{ span.cache.hit = true }`, 2, true},
		{`{ span.http.response.status_code > 999 }`, 1, true},
		{`{ span.no.such.key > 1 }`, 1, false},
		{`{ span.no.such.key != 1 }`, 0, true},
	} {
		root, err := traceql.Parse(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		need := requiredBytes(traceql.BuildFetchRequest(root))
		if len(need) != tc.required {
			t.Errorf("%s: %d required, want %d", tc.query, len(need), tc.required)
		}
		passed := 0
		for _, p := range parts {
			if holdsOneOfEach(p, need) {
				passed++
			}
		}
		if (passed > 0) != tc.any {
			t.Errorf("%s: %d of %d traces pass the pre-check", tc.query, passed, len(parts))
		}
	}
}
