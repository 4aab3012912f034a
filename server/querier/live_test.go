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
// lazily from their wire bytes, with the pre-checks, answer exactly as
// the eager memory fetcher over the same traces decoded.
func TestLiveFetcherMatchesMemoryFetcher(t *testing.T) {
	g := tracegen.New(3, tracegen.Config{Exotic: true, MinSpans: 1, MaxSpans: 12})
	var tds []ptrace.Traces
	for range 120 {
		_, td := g.Trace()
		tds = append(tds, td)
	}
	vary(tds)
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
		// != and !~: a missing attribute passes neither
		`{ span.http.method != "GET" }`,
		`{ .http.method != "GET" }`,
		`{ resource.cluster != "eu-1" }`,
		`{ .cluster != "eu-1" }`,
		`{ .cluster = "eu-1" }`,
		`{ span.cluster !~ "us-.*" }`,
		`{ span.rare != "needle" }`,
		`{ resource.region != "r2" && name != "charge" }`,
		`{ name != "charge" && kind = server }`,
		`{ statusMessage != "boom" }`,
		`{ statusMessage != "" && duration > 100ms }`,
		// regexes, anchored
		`{ span.rare =~ "need" }`,
		`{ span.rare =~ "need.*" }`,
		`{ span.rare !~ "need" }`,
		`{ span.url.path =~ "/api/items/1" }`,
		`{ span.url.path =~ "/api/items/1.*" }`,
		`{ span.url.path =~ "api" }`,
		`{ span.url.path !~ "/api/.*" }`,
		`{ span.url.path !~ "/api/items/[0-4]?[0-9]" }`,
		`{ name =~ "char" }`,
		`{ name =~ "char.*" }`,
		`{ name !~ "char" }`,
		`{ name !~ ".*" }`,
		`{ name =~ "(?i)CHARGE|render" }`,
		`{ statusMessage =~ "bo+m" }`,
		`{ statusMessage !~ "" }`,
		`{ .cluster =~ "us-2" }`,
		// types that do not compare
		`{ span.http.response.status_code != "500" }`,
		`{ span.url.path != 5 }`,
		`{ span.load !~ "0.*" }`,
		`{ span.load =~ ".*" }`,
		`{ span.cache.hit != 1 }`,
		`{ span.http.response.status_code != 500.0 }`,
		`{ span.http.response.status_code < "5" }`,
		`{ span.code != 500 }`,
		`{ span.code =~ "5.*" }`,
		// arrays, kvlists, bytes, empty values
		`{ span.tags != "a" }`,
		`{ span.tags != "z" }`,
		`{ span.tags !~ "[ab]" }`,
		`{ span.tags =~ "c" }`,
		`{ span.empty != "x" }`,
		`{ span.empty !~ "x" }`,
		`{ span.ints != 2 }`,
		`{ span.mixed !~ "a" }`,
		`{ span.kv != 1 }`,
		`{ span.raw != "x" }`,
		`{ span.unset != "x" }`,
		`{ .unset != "x" }`,
		`{ resource.process.command_args !~ "app" }`,
		// event, link and scope attributes: only their keys looked for
		`{ event.exception.message !~ "x" }`,
		`{ event.nope != "x" }`,
		`{ link.opentracing.ref_type != "follows_from" }`,
		`{ instrumentation.sampled != true }`,
		// OR of conditions
		`{ span.http.response.status_code = 999 || resource.service.name = "nope" }`,
		`{ span.load > 2 || name =~ "zzz.*" }`,
		`{ span.nope != 1 || span.tags = "z" }`,
		`{ name = "charge" || span.nope = 1 }`,
		`{ span.rare = "needle" || status = error }`,
		`{ (span.rare = "needle" || kind = server) && span.load > 0.5 }`,
		`{ span.nope = 1 || span.nope2 = nil }`,
		`{ span.nope = 1 || !(span.load > 0.5) }`,
		`{ span.nope = 1 || span.load > span.nope2 }`,
		`{ span.nope = 1 || span.rare != "needle" }`,
		// OR of spansets, and other operators without AllConditions
		`{ span.nope = 1 } || { resource.cluster != "eu-1" }`,
		`{ status = error } || { span.nope =~ "x" }`,
		`{ trace:rootService = "nope" } || { span.nope = 1 }`,
		`{ rootServiceName = "svc-1" } || { span.nope = 1 }`,
		`{ span.nope = 1 } || { span.cache.hit }`,
		`{ true } || { span.nope = 1 }`,
		`{ span.nope = 1 } || { span.nope2 = 2 } | select(span.load)`,
		`{ span.nope = 1 } || { } | select(span.load)`,
		`{ span.nope != 1 } >> { name = "charge" }`,
		`{ span.nope = 1 } !>> { name = "render" }`,
		`{ span.rare = "needle" } && { .cluster = "us-2" }`,
		`{ span.rare = "needle" } | { .cluster != "us-2" }`,
		`{ event.nope = 1 } || { span.nope = 1 }`,
		`{ trace:duration > 1h } || { span.nope = 1 }`,
		`{ span:id = "0102030405060708" } || { span.nope = 1 }`,
		`{ name =~ "nope.*" } || { statusMessage = "nope" } || { span.tags !~ "[abc]" }`,
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

// vary gives generated traces attributes some spans lack, a span attribute
// shadowing a resource one, and a value of another type than usual.
func vary(tds []ptrace.Traces) {
	k := 0
	for _, td := range tds {
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			if i%2 == 1 {
				rss.At(i).Resource().Attributes().PutStr("region", "r1")
			}
			sss := rss.At(i).ScopeSpans()
			for j := 0; j < sss.Len(); j++ {
				spans := sss.At(j).Spans()
				for l := 0; l < spans.Len(); l++ {
					a := spans.At(l).Attributes()
					k++
					if k%3 == 0 {
						a.Remove("http.method")
					}
					if k%5 == 0 {
						a.PutStr("cluster", "us-2")
					}
					if k%7 == 0 {
						a.PutStr("rare", "needle")
					}
					switch k % 4 {
					case 0:
						a.PutStr("code", "500")
					case 1:
						a.PutInt("code", 500)
					}
				}
			}
		}
	}
}

// TestPrecheckSkipsTraces: the pre-check lets through every trace the
// engine matches, and none when nothing can match (those are not decoded);
// required counts the byte strings looked for.
func TestPrecheckSkipsTraces(t *testing.T) {
	g := tracegen.New(5, tracegen.Config{})
	var tds []ptrace.Traces
	for range 50 {
		_, td := g.Trace()
		tds = append(tds, td)
	}
	vary(tds)
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
		whole = append(whole, td)
	}
	for _, tc := range []struct {
		query    string
		required int  // byte strings looked for (one of each list)
		none     bool // no trace passes: nothing is decoded
		judged   bool // the pre-check judges the request at all
	}{
		{`{ resource.service.name = "nope" }`, 2, true, true},
		{`{ resource.service.name = "svc-1" && name = "charge" }`, 3, false, true},
		{`{ name = "charge" || name = "nope" }`, 2, false, true},
		{`{ name = "nope" || name = "nope2" }`, 2, true, true},
		{`{ name != "charge" }`, 0, false, true},
		{`{ name =~ "char.*" }`, 0, false, true},
		{`{ trace:id = "00112233445566778899aabbccddeeff" }`, 0, false, false},
		{`{ span.http.response.status_code = 500 }`, 2, false, true},
		{`{ span.http.response.status_code = 999 }`, 2, true, true},
		{`{ span.http.response.status_code = 500.0 }`, 2, false, true},
		{`{ span.http.response.status_code = 404.5 }`, 2, true, true},
		{`{ span.cache.hit = true }`, 2, false, true},
		{`{ span.http.response.status_code > 999 }`, 1, true, true},
		{`{ span.no.such.key > 1 }`, 1, true, true},
		// != and !~ need the key, and a span whose value passes
		{`{ span.no.such.key != 1 }`, 1, true, true},
		{`{ span.no.such.key !~ "x" }`, 1, true, true},
		{`{ event.no.such.key != 1 }`, 1, true, true},
		{`{ event.exception.message != "x" }`, 1, false, true},
		{`{ resource.cluster != "eu-1" }`, 1, true, true},
		{`{ .cluster != "eu-1" }`, 1, false, true},
		{`{ .cluster != "eu-1" && .cluster != "us-2" }`, 2, true, true},
		{`{ span.http.response.status_code != "500" }`, 1, true, true},
		{`{ span.code != 500 }`, 1, true, true}, // "500" does not compare with 500
		{`{ span.code != 501 }`, 1, false, true},
		{`{ span.code != 501 && span.code != "500" }`, 2, true, true},
		{`{ name != "charge" && name !~ "[^c].*" }`, 0, false, true},
		{`{ name != "cache.get" && name !~ "[^c].*" }`, 0, false, true},
		{`{ name != "charge" && name != "cache.get" && name !~ "[^c].*" }`, 0, true, true},
		{`{ statusMessage != "" && status != error }`, 0, true, true},
		// regexes, anchored, on scalar values
		{`{ span.url.path =~ "/zzz.*" }`, 1, true, true},
		{`{ span.url.path =~ "api" }`, 1, true, true},
		{`{ span.url.path =~ "/api/items/1" }`, 1, false, true},
		{`{ resource.cluster !~ "eu-.*" }`, 1, true, true},
		{`{ span.load =~ ".*" }`, 1, true, true},
		{`{ name =~ "char" }`, 0, true, true},
		{`{ name =~ "CHAR.*" }`, 0, true, true},
		{`{ name =~ "(?i)CHAR.*" }`, 0, false, true},
		{`{ statusMessage =~ "bo+" }`, 0, true, true},
		{`{ statusMessage =~ "bo+m" }`, 0, false, true},
		// OR: one condition passing on one span (each judged alone)
		{`{ span.http.response.status_code = 999 || resource.service.name = "nope" }`, 4, true, true},
		{`{ span.load > 2 || name =~ "zzz.*" }`, 1, true, true},
		{`{ span.load > 2 || span.rare = "needle" }`, 3, false, true},
		{`{ span.no.such.key != 1 || span.url.path =~ "api" }`, 2, true, true},
		{`{ name = "nope" } || { span.load > 2 }`, 2, true, true},
		{`{ span.load > 0.5 && name = "nope" } || { kind = server && status = error }`, 2, false, true},
		{`{ trace:rootService = "nope" } || { span.load > 2 }`, 2, true, true},
		{`{ trace:rootService = "svc-1" } || { span.load > 2 }`, 2, false, true},
		{`{ trace:duration > 1h } || { span.load > 2 }`, 1, false, false},
		{`{ span.load > 2 } || { span.foo }`, 1, false, false},
		{`{ span.load > 2 } || { span.foo = nil }`, 1, false, false},
		{`{ span.load > 2 } || { } | select(span.x)`, 0, false, false},
		{`{ span.load > 2 } || { true }`, 0, false, false},
	} {
		root, err := traceql.Parse(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		req := traceql.BuildFetchRequest(root)
		required := 0
		for i := range req.Conditions {
			if c := req.Conditions[i]; c.Op != traceql.OpNone && len(c.Operands) == 1 {
				required += len(requiredBytes(&c))
			}
		}
		if required != tc.required {
			t.Errorf("%s: %d byte strings required, want %d", tc.query, required, tc.required)
		}
		mayMatch := tracePrecheck(req)
		if (mayMatch != nil) != tc.judged {
			t.Errorf("%s: judged %v, want %v", tc.query, mayMatch != nil, tc.judged)
			continue
		}
		if mayMatch == nil {
			continue
		}
		passed := map[model.TraceID]bool{}
		for _, p := range parts {
			if mayMatch(p) {
				passed[p.ID] = true
			}
		}
		if (len(passed) == 0) != tc.none {
			t.Errorf("%s: %d of %d traces pass the pre-check", tc.query, len(passed), len(parts))
		}
		// None the engine matches is skipped.
		resp, err := traceql.NewEngine().ExecuteSearch(context.Background(), tc.query, traceql.NewMemoryFetcher(whole...), traceql.SearchOptions{Limit: 1 << 20})
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		for _, tr := range resp.Traces {
			id, err := model.ParseTraceID(tr.TraceID)
			if err != nil {
				t.Fatal(err)
			}
			if !passed[id] {
				t.Errorf("%s: trace %s matches but fails the pre-check", tc.query, tr.TraceID)
			}
		}
	}
}
