package tui

import (
	"errors"
	"os"
	"path/filepath"
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
// name the same traces with the same counts. In tenant multi 45 traces are
// split across two blocks; blocktools merges their results as Tempo does
// (per-service counts are the larger part's; a trace whose matching part
// lacks the root shows no root; a structural query sees one part at a
// time), so there only the trace IDs are compared.
func TestBucketSearchMatchesMemory(t *testing.T) {
	be := openFixtureBucket(t)
	for _, tenant := range []string{"single-tenant", "v4-tenant", "multi"} {
		bucket := NewBucketSource(be, tenant, "fixture")
		mem := NewMemorySource("expected", expectedTraces(t, tenant)...)
		split := tenant == "multi"
		for _, q := range []string{
			`{}`,
			`{ status = error }`,
			`{ resource.service.name = "checkout" && span.http.status_code >= 500 }`,
			`{ duration > 100ms } >> { status = error }`,
		} {
			if split && strings.Contains(q, ">>") {
				continue
			}
			t.Run(tenant+" "+q, func(t *testing.T) {
				got, err := bucket.Search(t.Context(), q, fixtureWindow.start, fixtureWindow.end, 1000)
				if err != nil {
					t.Fatal(err)
				}
				want, err := mem.Search(t.Context(), q, fixtureWindow.start, fixtureWindow.end, 1000)
				if err != nil {
					t.Fatal(err)
				}
				if g, w := summaryOf(got.Traces, !split), summaryOf(want.Traces, !split); g != w {
					t.Fatalf("bucket and memory differ:\n got %s\nwant %s", g, w)
				}
				if len(got.Traces) == 0 || got.Metrics.InspectedBytes == 0 || got.Metrics.TotalBlocks == 0 {
					t.Errorf("%d traces, metrics %+v", len(got.Traces), got.Metrics)
				}
			})
		}
	}
}

func summaryOf(ts []*traceql.TraceSearchMetadata, counts bool) string {
	var rows []string
	for _, t := range ts {
		row := t.TraceID
		if counts {
			row += " " + t.RootServiceName + " " + t.RootTraceName
			spans, errs, _ := spanCounts(t)
			row += " " + strconv.Itoa(spans) + "/" + strconv.Itoa(errs) + " " + strconv.Itoa(int(t.DurationMs))
		}
		rows = append(rows, row)
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

// TestBucketSearchListsSplitTracesOnce: in tenant multi 45 traces have
// parts in two blocks; a search lists each once, with its root.
func TestBucketSearchListsSplitTracesOnce(t *testing.T) {
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
			if tr.RootServiceName != "frontend" || tr.DurationMs != 279 {
				t.Fatalf("split trace: root %q, %dms", tr.RootServiceName, tr.DurationMs)
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

// TestBucketSearchSkipsUnreadableBlocks: a corrupt block is reported and
// the results of the other blocks are still shown.
func TestBucketSearchSkipsUnreadableBlocks(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "multi"), os.DirFS(filepath.Join(blockFixtures(t), "multi"))); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "multi", "ed123951-4f48-4f14-bc0d-a19d2397fb22", "data.parquet")
	if err := os.Chmod(data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(data, []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	be, err := backend.Open(t.Context(), backend.Config{Backend: "local", Local: backend.LocalConfig{Path: dir}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	src := NewBucketSource(be, "multi", "corrupt")
	resp, err := src.Search(t.Context(), `{}`, fixtureWindow.start, fixtureWindow.end, 1000)
	var pe *PartialError
	if !errors.As(err, &pe) || pe.Skipped != 1 || resp == nil || len(resp.Traces) == 0 {
		t.Fatalf("err %v, resp %v", err, resp != nil)
	}

	st := startScreenTest(t, Options{Source: src, Limit: 1000, Range: TimeRange{Start: fixtureWindow.start, End: fixtureWindow.end}}, 100, 24)
	st.waitFor(" traces · ⚠ 1 unreadable blocks skipped (first: block ed123951")
}
