package querier

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/tempoctl/tempoctl/traceql"
)

// TestSearchProgressDiffs runs the four blocks of the multi tenant (45
// traces have spans in two of them) as four jobs, the way a frontend does,
// and reads Diff after each: only new or merged traces come back, and
// applying every diff in turn gives the merged answer.
func TestSearchProgressDiffs(t *testing.T) {
	be, _ := fixtureBucket(t, "multi")
	q := New(be, nil, nil, nil, Config{})
	ctx := context.Background()
	metas, err := q.Blocks(ctx, "multi")
	if err != nil || len(metas) != 4 {
		t.Fatalf("blocks: %d, %v", len(metas), err)
	}
	p := &SearchProgress{}
	req := SearchRequest{Tenant: "multi", Query: "{ }", Limit: 1000, Progress: p}
	p.AddTotals(4, 4, 0)
	if d, m := p.Diff(); len(d) != 0 || m.TotalJobs != 4 || m.CompletedJobs != 0 {
		t.Fatalf("before any job: %d traces, metrics %+v", len(d), m)
	}
	merger := NewMerger()
	client := map[string]*traceql.TraceSearchMetadata{} // what a streaming client holds
	seen := map[string]bool{}
	resent := 0
	for i, m := range metas {
		resp, err := q.RunSearchJob(ctx, req, SearchJob{Blocks: metas[i : i+1]})
		if err != nil {
			t.Fatal(err)
		}
		merger.Add(resp.Traces)
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
		if metrics.CompletedJobs != uint32(i+1) || metrics.InspectedBytes == 0 || metrics.TotalJobs != 4 {
			t.Fatalf("metrics after %d jobs: %+v", i+1, metrics)
		}
		if again, _ := p.Diff(); len(again) != 0 {
			t.Fatalf("second Diff without new work returned %d traces", len(again))
		}
	}
	if resent != 45 {
		t.Fatalf("%d traces reported again after a merge, want the 45 split ones", resent)
	}
	final := merger.Traces(req.Limit)
	if len(final) != 300 || len(client) != 300 {
		t.Fatalf("final %d traces, client holds %d; want 300", len(final), len(client))
	}
	for _, tr := range final {
		if !reflect.DeepEqual(client[tr.TraceID], tr) {
			t.Fatalf("trace %s: client copy differs from the merged answer", tr.TraceID)
		}
	}
}

// A merge into a trace that was already reported reports it again; one
// that was not touched stays out of the diff.
func TestSearchProgressReportsChangedTrace(t *testing.T) {
	p := &SearchProgress{}
	a := &traceql.TraceSearchMetadata{TraceID: "a", RootServiceName: traceql.RootSpanNotYetReceived, StartTimeUnixNano: 20, DurationMs: 1}
	b := &traceql.TraceSearchMetadata{TraceID: "b", RootServiceName: "svc", StartTimeUnixNano: 10, DurationMs: 1}
	p.add([]*traceql.TraceSearchMetadata{a, b}, 10, false, traceql.SearchMetrics{InspectedTraces: 2, InspectedBytes: 100})
	if d, _ := p.Diff(); len(d) != 2 || d[0].TraceID != "a" || d[1].TraceID != "b" {
		t.Fatalf("first diff %v", ids(d))
	}
	p.add([]*traceql.TraceSearchMetadata{
		{TraceID: "a", RootServiceName: "root-svc", RootTraceName: "GET /", StartTimeUnixNano: 15, DurationMs: 9},
	}, 10, false, traceql.SearchMetrics{InspectedTraces: 1, InspectedBytes: 50})
	d, m := p.Diff()
	if len(d) != 1 || d[0].TraceID != "a" || d[0].RootServiceName != "root-svc" || d[0].DurationMs != 9 || d[0].StartTimeUnixNano != 15 {
		t.Fatalf("second diff %+v", d)
	}
	if m.CompletedJobs != 2 || m.InspectedTraces != 3 || m.InspectedBytes != 150 {
		t.Fatalf("metrics %+v", m)
	}
	if a.RootServiceName != traceql.RootSpanNotYetReceived {
		t.Fatal("the progress merged into the caller's trace instead of a copy")
	}
}

func ids(ts []*traceql.TraceSearchMetadata) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.TraceID)
	}
	return out
}

// Search feeds the progress as it reads: after it returns, the progress
// holds its best results and its metrics; a second search on the same
// progress (another tenant) merges in and adds up.
func TestSearchProgressAcrossSearches(t *testing.T) {
	be, _ := fixtureBucket(t, "acme", "globex")
	q := New(be, nil, nil, nil, Config{})
	p := &SearchProgress{}
	var resps []*traceql.SearchResponse
	for _, tn := range []string{"acme", "globex"} {
		resp, err := q.Search(context.Background(), SearchRequest{Tenant: tn, Query: "{ }", Limit: 5, Progress: p})
		if err != nil {
			t.Fatal(err)
		}
		resps = append(resps, resp)
		d, m := p.Diff()
		if m != *MergeSearchResponses(5, resps...).Metrics {
			t.Fatalf("%s: progress metrics %+v, search metrics %+v", tn, m, *resp.Metrics)
		}
		if len(d) == 0 || len(d) > 5 {
			t.Fatalf("%s: diff of %d traces", tn, len(d))
		}
	}
	// Legacy searches report what their answers hold: no spansets.
	p = &SearchProgress{}
	resp, err := q.Search(context.Background(), SearchRequest{Tenant: "acme", Limit: 3, Tags: map[string]string{"service.name": "a"}, Progress: p})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := p.Diff()
	if len(resp.Traces) == 0 || len(d) == 0 {
		t.Fatalf("legacy: %d traces, diff %d", len(resp.Traces), len(d))
	}
	for _, tr := range d {
		if tr.SpanSet != nil || tr.SpanSets != nil || tr.ServiceStats != nil {
			t.Fatalf("legacy diff trace %s has spansets or stats", tr.TraceID)
		}
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
