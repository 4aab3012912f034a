package querier

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/traceql"
)

// tracesWhere lists the IDs (search form) of expected traces having a span
// for which pred holds; computed with plain loops, not the engine.
func tracesWhere(traces []ptrace.Traces, pred func(svc string, sp ptrace.Span) bool) map[string]bool {
	out := map[string]bool{}
	for _, td := range traces {
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			svc, _ := rss.At(i).Resource().Attributes().Get("service.name")
			sss := rss.At(i).ScopeSpans()
			for j := 0; j < sss.Len(); j++ {
				spans := sss.At(j).Spans()
				for k := 0; k < spans.Len(); k++ {
					if pred(svc.AsString(), spans.At(k)) {
						out[model.TraceID(spans.At(k).TraceID()).Text()] = true
					}
				}
			}
		}
	}
	return out
}

func resultIDs(resp *traceql.SearchResponse) map[string]bool {
	out := map[string]bool{}
	for _, t := range resp.Traces {
		out[t.TraceID] = true
	}
	return out
}

func sameSet(t *testing.T, what string, got, want map[string]bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d traces, want %d", what, len(got), len(want))
	}
	for id := range want {
		if !got[id] {
			t.Fatalf("%s: missing %s", what, id)
		}
	}
}

func TestSearchBlocks(t *testing.T) {
	tenants := []string{"single-tenant", "v4-tenant", "multi", "rowgroups"}
	be, _ := fixtureBucket(t, tenants...)
	q := New(be, nil, nil, nil, Config{})
	ctx := context.Background()
	tests := []struct {
		query string
		pred  func(svc string, sp ptrace.Span) bool
	}{
		{`{ resource.service.name = "payment" }`, func(svc string, _ ptrace.Span) bool { return svc == "payment" }},
		{`{ span.http.method = "POST" }`, func(_ string, sp ptrace.Span) bool {
			v, ok := sp.Attributes().Get("http.method")
			return ok && v.AsString() == "POST"
		}},
		{`{ span.http.status_code >= 500 }`, func(_ string, sp ptrace.Span) bool {
			v, ok := sp.Attributes().Get("http.status_code")
			return ok && v.Type() == 2 && v.Int() >= 500
		}},
		{`{ status = error && kind = server }`, func(_ string, sp ptrace.Span) bool {
			return sp.Status().Code() == ptrace.StatusCodeError && sp.Kind() == ptrace.SpanKindServer
		}},
		{`{ }`, func(string, ptrace.Span) bool { return true }},
	}
	for _, tn := range tenants {
		for _, tc := range tests {
			t.Run(tn+" "+tc.query, func(t *testing.T) {
				resp, err := q.Search(ctx, SearchRequest{Tenant: tn, Query: tc.query, Limit: 10000, Start: fixtureStart, End: fixtureEnd})
				if err != nil {
					t.Fatal(err)
				}
				sameSet(t, tc.query, resultIDs(resp), tracesWhere(expectedTraces(t, tn), tc.pred))
				for i := 1; i < len(resp.Traces); i++ {
					if resp.Traces[i-1].StartTimeUnixNano < resp.Traces[i].StartTimeUnixNano {
						t.Fatal("results not ordered newest first")
					}
				}
				if m := resp.Metrics; m.InspectedBytes == 0 || m.TotalBlocks == 0 || m.CompletedJobs != m.TotalJobs {
					t.Fatalf("metrics %+v", *m)
				}
			})
		}
	}
}

func TestSearchMultiMergesSplitTraces(t *testing.T) {
	be, _ := fixtureBucket(t, "multi")
	q := New(be, nil, nil, nil, Config{})
	resp, err := q.Search(context.Background(), SearchRequest{Tenant: "multi", Query: "{ }", Limit: 1000, Start: fixtureStart, End: fixtureEnd, SpansPerSpanSet: 0})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Traces) != 300 {
		t.Fatalf("%d traces, want 300 (45 split across blocks count once)", len(resp.Traces))
	}
	for _, tr := range resp.Traces {
		if tr.RootServiceName == traceql.RootSpanNotYetReceived {
			t.Fatalf("trace %s: root from the other block was not merged in", tr.TraceID)
		}
	}
	if resp.Metrics.TotalBlocks != 4 || resp.Metrics.TotalJobs != 4 {
		t.Fatalf("metrics %+v", *resp.Metrics)
	}
}

func TestSearchLiveAndBlocks(t *testing.T) {
	be, _ := fixtureBucket(t, "single-tenant")
	live := newFakeLive()
	inBlock := expectedTraces(t, "single-tenant")[3]
	split := idOf(t, inBlock)
	live.add("single-tenant", liveTrace(split, "late-service", time.Unix(0, int64(firstStart(inBlock))), "late"))
	fresh := model.TraceID{0xfe, 1}
	live.add("single-tenant", liveTrace(fresh, "late-service", fixtureStart.Add(30*time.Minute), "fresh root", "fresh child"))
	q := New(be, live, nil, nil, Config{})
	ctx := context.Background()

	resp, err := q.Search(ctx, SearchRequest{Tenant: "single-tenant", Query: `{ resource.service.name = "late-service" }`, Limit: 100, Start: fixtureStart, End: fixtureEnd})
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, "late-service", resultIDs(resp), map[string]bool{split.Text(): true, fresh.Text(): true})
	for _, tr := range resp.Traces {
		if tr.TraceID == split.Text() && tr.RootServiceName == traceql.RootSpanNotYetReceived {
			t.Fatal("the block's root span names were not merged into the live result")
		}
	}
	if resp.Metrics.TotalJobs != 2 || resp.Metrics.CompletedJobs != 2 {
		t.Fatalf("jobs %+v", *resp.Metrics)
	}

	resp, err = q.Search(ctx, SearchRequest{Tenant: "single-tenant", Query: `{ }`, Limit: 1000, Start: fixtureStart, End: fixtureEnd})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Traces) != 201 {
		t.Fatalf("%d traces, want 200 in the block + 1 only live", len(resp.Traces))
	}
	for _, tr := range resp.Traces {
		if tr.TraceID == split.Text() {
			if len(tr.SpanSets) != 1 {
				t.Fatalf("split trace has %d spansets, want 1 merged", len(tr.SpanSets))
			}
			if _, ok := tr.ServiceStats["late-service"]; !ok {
				t.Fatal("service stats of the live part missing")
			}
		}
	}
}

func TestSearchLimitAndSpss(t *testing.T) {
	be, _ := fixtureBucket(t, "multi")
	q := New(be, nil, nil, nil, Config{Concurrency: 1})
	ctx := context.Background()
	resp, err := q.Search(ctx, SearchRequest{Tenant: "multi", Query: `{ }`, Limit: 5, SpansPerSpanSet: 1, Start: fixtureStart, End: fixtureEnd})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Traces) != 5 {
		t.Fatalf("%d traces, want limit 5", len(resp.Traces))
	}
	for _, tr := range resp.Traces {
		ss := tr.SpanSets[0]
		if len(ss.Spans) != 1 || ss.Matched < 1 {
			t.Fatalf("spss=1: %d spans of %d matched", len(ss.Spans), ss.Matched)
		}
	}
	if resp.Metrics.CompletedJobs >= resp.Metrics.TotalJobs {
		t.Fatalf("limit reached in the first block, yet %d of %d jobs ran", resp.Metrics.CompletedJobs, resp.Metrics.TotalJobs)
	}
	// most_recent reads everything and returns the newest.
	resp, err = q.Search(ctx, SearchRequest{Tenant: "multi", Query: `{ } with (most_recent=true)`, Limit: 5, Start: fixtureStart, End: fixtureEnd})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Metrics.CompletedJobs != resp.Metrics.TotalJobs {
		t.Fatalf("most_recent: %d of %d jobs", resp.Metrics.CompletedJobs, resp.Metrics.TotalJobs)
	}
	newest := uint64(0)
	for _, td := range expectedTraces(t, "multi") {
		newest = max(newest, firstStart(td))
	}
	if resp.Traces[0].StartTimeUnixNano != newest {
		t.Fatalf("most_recent: first result starts at %d, newest trace at %d", resp.Traces[0].StartTimeUnixNano, newest)
	}
}

func TestSearchLegacyTags(t *testing.T) {
	be, _ := fixtureBucket(t, "single-tenant")
	q := New(be, nil, nil, nil, Config{})
	ctx := context.Background()
	traces := expectedTraces(t, "single-tenant")
	tests := []struct {
		name string
		req  SearchRequest
		want map[string]bool
	}{
		{"substring, any case", SearchRequest{Tags: map[string]string{"service.name": "PAYM"}},
			tracesWhere(traces, func(svc string, _ ptrace.Span) bool { return svc == "payment" })},
		{"int value", SearchRequest{Tags: map[string]string{"http.status_code": "503"}},
			tracesWhere(traces, func(_ string, sp ptrace.Span) bool {
				v, ok := sp.Attributes().Get("http.status_code")
				return ok && v.AsString() == "503"
			})},
		{"two tags", SearchRequest{Tags: map[string]string{"service.name": "cart", "http.method": "post"}},
			intersect(tracesWhere(traces, func(svc string, _ ptrace.Span) bool { return svc == "cart" }),
				tracesWhere(traces, func(_ string, sp ptrace.Span) bool {
					v, ok := sp.Attributes().Get("http.method")
					return ok && v.AsString() == "POST"
				}))},
		{"min duration", SearchRequest{MinDuration: 500 * time.Millisecond}, durationAtLeast(traces, 500*time.Millisecond)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Tenant, tc.req.Limit, tc.req.Start, tc.req.End = "single-tenant", 1000, fixtureStart, fixtureEnd
			resp, err := q.Search(ctx, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			sameSet(t, tc.name, resultIDs(resp), tc.want)
			for _, tr := range resp.Traces {
				if tr.SpanSets != nil || tr.SpanSet != nil || tr.ServiceStats != nil {
					t.Fatal("legacy results carry trace-level fields only")
				}
			}
		})
	}
}

func intersect(a, b map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		if b[k] {
			out[k] = true
		}
	}
	return out
}

func durationAtLeast(traces []ptrace.Traces, d time.Duration) map[string]bool {
	out := map[string]bool{}
	for _, td := range traces {
		s, e := traceBounds(td)
		if time.Duration(e-s) >= d {
			id, _ := traceIDOf(td)
			out[model.TraceID(id).Text()] = true
		}
	}
	return out
}

func TestSearchErrors(t *testing.T) {
	q := New(nil, newFakeLive(), nil, nil, Config{})
	for _, query := range []string{`{ status = }`, `{ xx }`, `{ } | rate()`, `{ name = 1 }`} {
		_, err := q.Search(context.Background(), SearchRequest{Tenant: "t", Query: query})
		if !isInvalid(err) {
			t.Errorf("%s: want InvalidRequestError, got %v", query, err)
		}
	}
	_, err := q.Search(context.Background(), SearchRequest{Tenant: "t", Query: `{ status = }`})
	if !strings.Contains(err.Error(), "parse error at line 1, col 9: syntax error: unexpected }") {
		t.Errorf("position missing: %v", err)
	}
}

func TestSearchSkipsUnreadableBlocks(t *testing.T) {
	be, dir := fixtureBucket(t, "multi")
	corruptBlock(t, dir, "multi", "ed123951-4f48-4f14-bc0d-a19d2397fb22")
	reg := prometheus.NewRegistry()
	q := New(be, nil, nil, reg, Config{})
	resp, err := q.Search(context.Background(), SearchRequest{Tenant: "multi", Query: "{ }", Limit: 1000, Start: fixtureStart, End: fixtureEnd})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(resp.Traces); n == 0 || n >= 300 {
		t.Fatalf("%d traces: want those of the three good blocks", n)
	}
	if v := testutil.ToFloat64(q.failedBlocks.WithLabelValues("multi")); v != 1 {
		t.Fatalf("failed blocks counter = %v", v)
	}
	for _, b := range []string{"aad58193-0e5a-4eb8-a39b-364b957ab2da", "4cc64bb4-952b-44ec-af8e-bd4d344d6f2c", "9575d1d7-03bd-4510-a90d-61c7f98c8e26"} {
		corruptBlock(t, dir, "multi", b)
	}
	q = New(be, nil, nil, nil, Config{})
	if _, err := q.Search(context.Background(), SearchRequest{Tenant: "multi", Query: "{ }", Start: fixtureStart, End: fixtureEnd}); err == nil {
		t.Fatal("every block failed: want an error")
	}
}

func TestLegacyQueryText(t *testing.T) {
	tests := []struct {
		tags     map[string]string
		min, max time.Duration
		want     string
	}{
		{nil, 0, 0, "{ }"},
		{map[string]string{"name": "GET"}, 0, 0, `{ name =~ "(?i).*GET.*" }`},
		{map[string]string{"error": "true"}, 0, 0, `{ status = error }`},
		{map[string]string{"a.b": "1.5"}, 0, 0, `{ .a.b =~ "(?i).*1\\.5.*" || .a.b = 1.5 }`},
		{map[string]string{"x": "y"}, 100 * time.Millisecond, time.Second,
			`{ .x =~ "(?i).*y.*" } && { traceDuration >= 100000000ns && traceDuration <= 1000000000ns }`},
	}
	for _, tc := range tests {
		got := legacyQuery(tc.tags, tc.min, tc.max)
		if got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
		if _, err := traceql.Parse(got); err != nil {
			t.Errorf("%s does not parse: %v", got, err)
		}
	}
}
