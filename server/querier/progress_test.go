package querier

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/tempoctl/tempoctl/traceql"
)

// TestSearchProgressDiffs feeds the four blocks of the multi tenant (45
// traces have spans in two of them) one by one into a search run, as its
// jobs would, and reads Diff after each: only new or merged traces come
// back, and applying every diff in turn gives the final result.
func TestSearchProgressDiffs(t *testing.T) {
	be, _ := fixtureBucket(t, "multi")
	q := New(be, nil, nil, nil, Config{})
	ctx := context.Background()
	metas, err := q.blocks(ctx, "multi")
	if err != nil || len(metas) != 4 {
		t.Fatalf("blocks: %d, %v", len(metas), err)
	}
	root, err := traceql.Parse("{ }")
	if err != nil {
		t.Fatal(err)
	}
	req := SearchRequest{Tenant: "multi", Query: "{ }", Limit: 1000}
	opts := traceql.SearchOptions{Limit: req.Limit}
	run := &searchRun{q: q, req: req, root: root, opts: opts, limit: req.Limit, mostRecent: true,
		results: newResultSet(), metrics: &traceql.SearchMetrics{TotalJobs: 4}, cancel: func() {}}
	p := &SearchProgress{}
	p.attach(run)

	if d, m := p.Diff(); len(d) != 0 || m.TotalJobs != 4 || m.CompletedJobs != 0 {
		t.Fatalf("before any job: %d traces, metrics %+v", len(d), m)
	}
	client := map[string]*traceql.TraceSearchMetadata{} // what a streaming client holds
	seen := map[string]bool{}
	resent := 0
	for i, m := range metas {
		resp, stats, err := q.searchOneBlock(ctx, m, root, opts)
		if err != nil {
			t.Fatal(err)
		}
		run.collect(resp, uint32(stats.InspectedTraces), stats.InspectedBytes)
		diff, metrics := p.Diff()
		want := map[string]bool{}
		for _, tr := range resp.Traces {
			want[tr.TraceID] = true
		}
		got := map[string]bool{}
		for _, tr := range diff {
			got[tr.TraceID] = true
			client[tr.TraceID] = tr
		}
		sameSet(t, "diff after block "+m.BlockID.String(), got, want)
		for id := range want {
			if seen[id] {
				resent++
			}
			seen[id] = true
		}
		if metrics.CompletedJobs != uint32(i+1) || metrics.InspectedBytes == 0 {
			t.Fatalf("metrics after %d jobs: %+v", i+1, metrics)
		}
		if again, _ := p.Diff(); len(again) != 0 {
			t.Fatalf("second Diff without new work returned %d traces", len(again))
		}
	}
	if resent != 45 {
		t.Fatalf("%d traces reported again after a merge, want the 45 split ones", resent)
	}
	final := run.results.sorted(req.Limit)
	if len(final) != 300 || len(client) != 300 {
		t.Fatalf("final %d traces, client holds %d; want 300", len(final), len(client))
	}
	for _, tr := range final {
		if !reflect.DeepEqual(client[tr.TraceID], tr) {
			t.Fatalf("trace %s: client copy differs from the final result", tr.TraceID)
		}
	}
}

// A merge into a trace that was already reported reports it again; one
// that was not touched stays out of the diff.
func TestSearchProgressReportsChangedTrace(t *testing.T) {
	run := &searchRun{req: SearchRequest{Query: "{ }"}, limit: 10, mostRecent: true, results: newResultSet(),
		metrics: &traceql.SearchMetrics{}, cancel: func() {}}
	p := &SearchProgress{}
	p.attach(run)
	a := &traceql.TraceSearchMetadata{TraceID: "a", RootServiceName: traceql.RootSpanNotYetReceived, StartTimeUnixNano: 20, DurationMs: 1}
	b := &traceql.TraceSearchMetadata{TraceID: "b", RootServiceName: "svc", StartTimeUnixNano: 10, DurationMs: 1}
	run.collect(&traceql.SearchResponse{Traces: []*traceql.TraceSearchMetadata{a, b}}, 2, 100)
	if d, _ := p.Diff(); len(d) != 2 || d[0].TraceID != "a" || d[1].TraceID != "b" {
		t.Fatalf("first diff %v", ids(d))
	}
	run.collect(&traceql.SearchResponse{Traces: []*traceql.TraceSearchMetadata{
		{TraceID: "a", RootServiceName: "root-svc", RootTraceName: "GET /", StartTimeUnixNano: 15, DurationMs: 9},
	}}, 1, 50)
	d, m := p.Diff()
	if len(d) != 1 || d[0].TraceID != "a" || d[0].RootServiceName != "root-svc" || d[0].DurationMs != 9 || d[0].StartTimeUnixNano != 15 {
		t.Fatalf("second diff %+v", d)
	}
	if m.CompletedJobs != 2 || m.InspectedTraces != 3 || m.InspectedBytes != 150 {
		t.Fatalf("metrics %+v", m)
	}
}

func ids(ts []*traceql.TraceSearchMetadata) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.TraceID)
	}
	return out
}

// After Search returns the progress holds its metrics and no more traces;
// a second search on the same progress adds its metrics (multi-tenant).
func TestSearchProgressAcrossSearches(t *testing.T) {
	be, _ := fixtureBucket(t, "acme", "globex")
	q := New(be, nil, nil, nil, Config{})
	p := &SearchProgress{}
	var total traceql.SearchMetrics
	for _, tn := range []string{"acme", "globex"} {
		resp, err := q.Search(context.Background(), SearchRequest{Tenant: tn, Query: "{ }", Limit: 5, Progress: p})
		if err != nil {
			t.Fatal(err)
		}
		addMetrics(&total, resp.Metrics)
		d, m := p.Diff()
		if len(d) != 0 || m != total {
			t.Fatalf("%s: after the search %d traces, metrics %+v want %+v", tn, len(d), m, total)
		}
	}
	if total.CompletedJobs != 2 {
		t.Fatalf("metrics %+v", total)
	}
}

func TestTagProgress(t *testing.T) {
	be, _ := fixtureBucket(t, "acme", "globex")
	q := New(be, nil, nil, nil, Config{})
	ctx := context.Background()
	p := &TagProgress{}
	if names, n := p.Names(); names != nil || n != 0 {
		t.Fatalf("before any query: %v %d", names, n)
	}
	res, err := q.TagNames(ctx, TagsRequest{Tenant: "acme", Scope: ScopeSpan, Progress: p})
	if err != nil {
		t.Fatal(err)
	}
	names, n := p.Names()
	if !reflect.DeepEqual(names, res.Scopes) || n != res.InspectedBytes || n == 0 {
		t.Fatalf("progress names %v (%d bytes), result %v (%d bytes)", names, n, res.Scopes, res.InspectedBytes)
	}
	vals, err := q.TagValues(ctx, TagValuesRequest{Tenant: "globex", Tag: traceql.NewScopedAttribute(traceql.ScopeResource, "service.name"), Progress: p})
	if err != nil {
		t.Fatal(err)
	}
	got, n2 := p.Values()
	if !slices.Equal(got, vals.Values) || n2 != n+vals.InspectedBytes {
		t.Fatalf("progress values %v (%d bytes), result %v (%d+%d bytes)", got, n2, vals.Values, n, vals.InspectedBytes)
	}
}
