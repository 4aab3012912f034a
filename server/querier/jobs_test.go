package querier

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/traceql"
)

// TestSearchJobsCoverSearch: the live job plus every block split into
// one-row-group jobs, merged, find what one Search finds.
func TestSearchJobsCoverSearch(t *testing.T) {
	be, _ := fixtureBucket(t, "multi", "rowgroups")
	live := newFakeLive()
	fresh := model.TraceID{0xfe, 2}
	for _, tn := range []string{"multi", "rowgroups"} {
		live.add(tn, liveTrace(fresh, "payment", fixtureStart.Add(10*time.Minute), "live root"))
	}
	q := New(be, live, nil, nil, Config{})
	ctx := context.Background()
	for _, tn := range []string{"multi", "rowgroups"} {
		for _, query := range []string{`{ resource.service.name = "payment" }`, `{ }`, ``} {
			req := SearchRequest{Tenant: tn, Query: query, Limit: 10000, Start: fixtureStart, End: fixtureEnd}
			if query == "" {
				req.Tags = map[string]string{"service.name": "payment"}
			}
			whole, err := q.Search(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			metas, err := q.Blocks(ctx, tn)
			if err != nil {
				t.Fatal(err)
			}
			jobs := []SearchJob{{Live: true}}
			for _, m := range metas {
				for g := 0; g < int(m.TotalRecords); g++ {
					jobs = append(jobs, SearchJob{Blocks: []*backend.BlockMeta{m}, StartRowGroup: g, RowGroups: 1})
				}
			}
			if tn == "rowgroups" && len(jobs) < 4 {
				t.Fatalf("%d jobs: the fixture should have several row groups", len(jobs))
			}
			m := NewMerger()
			var bytes uint64
			for _, j := range jobs {
				resp, err := q.RunSearchJob(ctx, req, j)
				if err != nil {
					t.Fatal(err)
				}
				m.Add(resp.Traces)
				bytes += resp.Metrics.InspectedBytes
			}
			sameSet(t, tn+" "+query, resultIDs(&traceql.SearchResponse{Traces: m.Traces(0)}), resultIDs(whole))
			if bytes == 0 {
				t.Errorf("%s %s: jobs report no inspected bytes", tn, query)
			}
			if query == "" {
				for _, tr := range m.Traces(0) {
					if tr.SpanSets != nil || tr.ServiceStats != nil {
						t.Fatalf("legacy job answer carries spansets")
					}
				}
			}
		}
	}
	if _, err := PlanSearch(SearchRequest{Query: "{ nope"}); err == nil {
		t.Fatal("bad query planned")
	}
	if p, err := PlanSearch(SearchRequest{Query: `{ } with (most_recent=true)`}); err != nil || !p.MostRecent || p.Limit != DefaultSearchLimit {
		t.Fatalf("plan %+v %v", p, err)
	}
}

// TestTraceByIDShards: shards by block-ID range find the trace in exactly
// the shard holding its block; shards do not count inspected bytes.
func TestTraceByIDShards(t *testing.T) {
	be, _ := fixtureBucket(t, "single-tenant")
	reg := prometheus.NewRegistry()
	q := New(be, nil, nil, reg, Config{})
	ctx := context.Background()
	td := expectedTraces(t, "single-tenant")[5]
	id := idOf(t, td)
	metas, err := q.Blocks(ctx, "single-tenant")
	if err != nil || len(metas) == 0 {
		t.Fatal(err)
	}
	blk := metas[0].BlockID
	below, above := blk, blk
	below[15]--
	above[15]++
	tests := []struct {
		name       string
		start, end uuid.UUID
		found      bool
	}{
		{"covering", uuid.UUID{}, uuid.Max, true},
		{"exactly", blk, blk, true},
		{"before", uuid.UUID{}, below, false},
		{"after", above, uuid.Max, false},
	}
	for _, tc := range tests {
		res, err := q.FindTraceByIDShard(ctx, TraceByIDRequest{Tenant: "single-tenant", ID: id, Mode: ModeBlocks, BlockStart: tc.start, BlockEnd: tc.end})
		if err != nil {
			t.Fatal(err)
		}
		if res.Found != tc.found {
			t.Errorf("%s: found %v", tc.name, res.Found)
		}
		if tc.found && res.Trace.SpanCount() != td.SpanCount() {
			t.Errorf("%s: %d spans, want %d", tc.name, res.Trace.SpanCount(), td.SpanCount())
		}
	}
	res, err := q.FindTraceByIDShard(ctx, TraceByIDRequest{Tenant: "single-tenant", ID: id, Blocks: metas[:0]})
	if err != nil || res.Found {
		t.Fatalf("an empty block list found the trace: %v %v", res.Found, err)
	}
	if n := testutil.ToFloat64(q.bytesInspected.WithLabelValues("single-tenant")); n != 0 {
		t.Fatalf("shards counted %v bytes", n)
	}
	if _, err := q.FindTraceByID(ctx, TraceByIDRequest{Tenant: "single-tenant", ID: id}); err != nil {
		t.Fatal(err)
	}
	if n := testutil.ToFloat64(q.bytesInspected.WithLabelValues("single-tenant")); n == 0 {
		t.Fatal("FindTraceByID counted no bytes")
	}
	if m, err := q.BlockByID(ctx, "single-tenant", blk); err != nil || m.BlockID != blk {
		t.Fatalf("BlockByID: %v", err)
	}
}
