package tui

import (
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/traceql"
)

func openFixtureBucket(t testing.TB) *backend.Backend {
	t.Helper()
	be, err := backend.Open(t.Context(), backend.Config{Backend: "local", Local: backend.LocalConfig{Path: blockFixtures(t)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	return be
}

var fixtureWindow = struct{ start, end time.Time }{
	time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC), time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC),
}

// TestBucketSearchMatchesMemory runs the same queries over the fixture
// blocks and over the OTLP that was pushed to make them: the answers must
// name the same traces with the same counts.
func TestBucketSearchMatchesMemory(t *testing.T) {
	be := openFixtureBucket(t)
	for _, tenant := range []string{"single-tenant", "v4-tenant", "multi"} {
		bucket := NewBucketSource(be, tenant, "fixture")
		mem := NewMemorySource("expected", expectedTraces(t, tenant)...)
		for _, q := range []string{
			`{}`,
			`{ status = error }`,
			`{ resource.service.name = "checkout" && span.http.status_code >= 500 }`,
			`{ duration > 100ms } >> { status = error }`,
		} {
			t.Run(tenant+" "+q, func(t *testing.T) {
				got, err := bucket.Search(t.Context(), q, fixtureWindow.start, fixtureWindow.end, 1000)
				if err != nil {
					t.Fatal(err)
				}
				want, err := mem.Search(t.Context(), q, fixtureWindow.start, fixtureWindow.end, 1000)
				if err != nil {
					t.Fatal(err)
				}
				if g, w := summaryOf(got.Traces), summaryOf(want.Traces); g != w {
					t.Fatalf("bucket and memory differ:\n got %s\nwant %s", g, w)
				}
				if got.Metrics.InspectedBytes == 0 || got.Metrics.TotalBlocks == 0 {
					t.Errorf("metrics %+v", got.Metrics)
				}
			})
		}
	}
}

func summaryOf(ts []*traceql.TraceSearchMetadata) string {
	var rows []string
	for _, t := range ts {
		spans, errs, _ := spanCounts(t)
		rows = append(rows, t.TraceID+" "+t.RootServiceName+" "+t.RootTraceName+" "+strconv.Itoa(spans)+"/"+strconv.Itoa(errs)+" "+strconv.Itoa(int(t.DurationMs)))
	}
	sort.Strings(rows)
	return strings.Join(rows, "\n")
}

func TestBucketSearchLimitWindowAndErrors(t *testing.T) {
	be := openFixtureBucket(t)
	src := NewBucketSource(be, "single-tenant", "fixture")
	resp, err := src.Search(t.Context(), `{}`, fixtureWindow.start, fixtureWindow.end, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Traces) != 5 {
		t.Fatalf("limit 5 gave %d", len(resp.Traces))
	}
	for i := 1; i < len(resp.Traces); i++ {
		if resp.Traces[i-1].StartTimeUnixNano < resp.Traces[i].StartTimeUnixNano {
			t.Fatal("results are not newest first")
		}
	}
	// A window before the block holds nothing, and reads nothing.
	resp, err = src.Search(t.Context(), `{}`, fixtureWindow.start.Add(-2*time.Hour), fixtureWindow.start.Add(-time.Hour), 5)
	if err != nil || len(resp.Traces) != 0 || resp.Metrics.InspectedBytes != 0 {
		t.Fatalf("empty window: %v %+v", err, resp)
	}
	if _, err := src.Search(t.Context(), `{ .a = }`, fixtureWindow.start, fixtureWindow.end, 5); asQueryError(err) == nil {
		t.Fatalf("bad TraceQL is a query error, got %v", err)
	}
	if _, err := src.Search(t.Context(), `{} | rate()`, fixtureWindow.start, fixtureWindow.end, 5); asQueryError(err) == nil {
		t.Fatalf("a metrics query is refused as a query error, got %v", err)
	}
}

// TestBucketSearchMergesSplitTraces: in tenant multi 45 traces have parts
// in two blocks; a search shows each once with all its spans.
func TestBucketSearchMergesSplitTraces(t *testing.T) {
	src := NewBucketSource(openFixtureBucket(t), "multi", "fixture")
	resp, err := src.Search(t.Context(), `{}`, fixtureWindow.start, fixtureWindow.end, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Traces) != 300 {
		t.Fatalf("%d traces, want 300", len(resp.Traces))
	}
	for _, tr := range resp.Traces {
		if tr.TraceID == "4595c8056ef50999d3b7e5ce62fc2dae" {
			if n, _, _ := spanCounts(tr); n != 12 || tr.RootServiceName != "frontend" {
				t.Fatalf("split trace: %d spans, root %q", n, tr.RootServiceName)
			}
			return
		}
	}
	t.Fatal("split trace not found")
}

func TestBucketTraceAndTags(t *testing.T) {
	src := NewBucketSource(openFixtureBucket(t), "multi", "fixture")
	id, _ := model.ParseTraceID("4595c8056ef50999d3b7e5ce62fc2dae")
	td, err := src.Trace(t.Context(), id)
	if err != nil || td.SpanCount() != 12 {
		t.Fatalf("trace: %v, %d spans", err, td.SpanCount())
	}
	if _, err := src.Trace(t.Context(), model.TraceID{1}); err != ErrTraceNotFound {
		t.Fatalf("unknown trace: %v", err)
	}
	names, err := src.Tags(t.Context(), fixtureWindow.start, fixtureWindow.end)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"resource.service.name", "span.http.method", "resource.k8s.pod.name", "status", "name"} {
		if !contains(names, want) {
			t.Errorf("tags lack %s (dedicated columns included, unlike Tempo's backend tags)", want)
		}
	}
	vals, err := src.TagValues(t.Context(), "resource.service.name", fixtureWindow.start, fixtureWindow.end)
	if err != nil {
		t.Fatal(err)
	}
	if !contains(vals, `"frontend"`) || !contains(vals, `"checkout"`) {
		t.Errorf("service values %v", vals)
	}
	if vals, _ := src.TagValues(t.Context(), ".service.name", fixtureWindow.start, fixtureWindow.end); !contains(vals, `"frontend"`) {
		t.Errorf("unscoped .service.name values %v", vals)
	}
	if vals, _ := src.TagValues(t.Context(), "span.http.status_code", fixtureWindow.start, fixtureWindow.end); !contains(vals, "200") {
		t.Errorf("int values are bare literals: %v", vals)
	}
	if vals, _ := src.TagValues(t.Context(), "status", fixtureWindow.start, fixtureWindow.end); strings.Join(vals, ",") != "error,ok,unset" {
		t.Errorf("status keywords %v", vals)
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func TestOverlapGroups(t *testing.T) {
	at := func(s, e int) *backend.BlockMeta {
		base := time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
		return &backend.BlockMeta{StartTime: base.Add(time.Duration(s) * time.Second), EndTime: base.Add(time.Duration(e) * time.Second)}
	}
	a, b, c, d, e := at(0, 3), at(0, 7), at(3, 11), at(7, 14), at(100, 110)
	got := overlapGroups([]*backend.BlockMeta{e, c, a, d, b})
	if len(got) != 2 || len(got[0]) != 1 || got[0][0] != e || len(got[1]) != 4 {
		t.Fatalf("groups %v: want [e] then [a b c d] (a chain of overlaps is one group)", got)
	}
	// Meta times are whole seconds: blocks one second apart may share a trace.
	if g := overlapGroups([]*backend.BlockMeta{at(0, 5), at(6, 8)}); len(g) != 1 {
		t.Errorf("adjacent seconds split into %d groups", len(g))
	}
	if g := overlapGroups([]*backend.BlockMeta{at(0, 5), at(7, 8)}); len(g) != 2 {
		t.Errorf("a gap of two seconds gave %d groups", len(g))
	}
}
