package querier

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/internal/tracecmp"
	"github.com/tempoctl/tempoctl/model"
)

func TestFindTraceByIDFixtures(t *testing.T) {
	tenants := []string{"single-tenant", "v4-tenant", "multi", "rowgroups"}
	be, _ := fixtureBucket(t, tenants...)
	q := New(be, nil, nil, nil, Config{})
	ctx := context.Background()
	for _, tn := range tenants {
		t.Run(tn, func(t *testing.T) {
			for _, want := range expectedTraces(t, tn) {
				id := idOf(t, want)
				res, err := q.FindTraceByID(ctx, TraceByIDRequest{Tenant: tn, ID: id})
				if err != nil {
					t.Fatal(err)
				}
				if !res.Found {
					t.Fatalf("%s not found", id)
				}
				if d := tracecmp.Diff(want, res.Trace, tracecmp.Options{}, 3); len(d) > 0 {
					t.Fatalf("%s differs: %v", id, d)
				}
			}
		})
	}
}

func TestFindTraceByIDCombinesLiveAndBlock(t *testing.T) {
	be, _ := fixtureBucket(t, "single-tenant")
	live := newFakeLive()
	want := expectedTraces(t, "single-tenant")[7]
	id := idOf(t, want)

	// The live part: one new span and a copy of a span already in the block.
	part := liveTrace(id, "late-service", time.Unix(0, int64(firstStart(want))), "late span")
	dup := part.ResourceSpans().At(0).ScopeSpans().At(0).Spans().AppendEmpty()
	orig := want.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	orig.CopyTo(dup)
	live.add("single-tenant", part)

	q := New(be, live, nil, nil, Config{})
	ctx := context.Background()
	res, err := q.FindTraceByID(ctx, TraceByIDRequest{Tenant: "single-tenant", ID: id})
	if err != nil || !res.Found {
		t.Fatalf("found=%v err=%v", res != nil && res.Found, err)
	}
	if got, w := spanCount(res.Trace), spanCount(want)+1; got != w {
		t.Fatalf("spans: got %d, want %d (block spans + the new live one, duplicate dropped)", got, w)
	}
	for sid, n := range spanIDs(res.Trace) {
		if n != 1 {
			t.Errorf("span %s appears %d times", sid, n)
		}
	}
	if res.BlocksSearched != 1 {
		t.Errorf("blocks searched = %d, want 1", res.BlocksSearched)
	}

	tests := []struct {
		name  string
		req   TraceByIDRequest
		spans int
	}{
		{"ingesters only", TraceByIDRequest{Mode: ModeIngesters}, spanCount(part)},
		{"blocks only", TraceByIDRequest{Mode: ModeBlocks}, spanCount(want)},
		{"range excluding the block", TraceByIDRequest{Start: fixtureEnd, End: fixtureEnd.Add(time.Hour)}, spanCount(part)},
		{"range holding the block", TraceByIDRequest{Start: fixtureStart, End: fixtureEnd}, spanCount(want) + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Tenant, tc.req.ID = "single-tenant", id
			res, err := q.FindTraceByID(ctx, tc.req)
			if err != nil || !res.Found {
				t.Fatalf("found=%v err=%v", res != nil && res.Found, err)
			}
			if got := spanCount(res.Trace); got != tc.spans {
				t.Fatalf("spans = %d, want %d", got, tc.spans)
			}
		})
	}

	if _, err := q.FindTraceByID(ctx, TraceByIDRequest{Tenant: "single-tenant", ID: id, Mode: "nope"}); !isInvalid(err) {
		t.Fatalf("bad mode: %v", err)
	}
	res, err = q.FindTraceByID(ctx, TraceByIDRequest{Tenant: "single-tenant", ID: model.TraceID{1, 2, 3}})
	if err != nil || res.Found {
		t.Fatalf("absent trace: found=%v err=%v", res.Found, err)
	}
	res, err = q.FindTraceByID(ctx, TraceByIDRequest{Tenant: "other-tenant", ID: id})
	if err != nil || res.Found {
		t.Fatalf("other tenant: found=%v err=%v", res.Found, err)
	}
}

func firstStart(td ptrace.Traces) uint64 {
	s, _ := traceBounds(td)
	return s
}

func isInvalid(err error) bool {
	var ie *InvalidRequestError
	return errors.As(err, &ie)
}

func TestFindTraceByIDMaxBytes(t *testing.T) {
	be, _ := fixtureBucket(t, "single-tenant")
	biggest := expectedTraces(t, "single-tenant")[0]
	for _, td := range expectedTraces(t, "single-tenant") {
		if td.SpanCount() > biggest.SpanCount() {
			biggest = td
		}
	}
	var sizer ptrace.ProtoMarshaler
	limit := sizer.TracesSize(biggest) / 2
	q := New(be, nil, nil, nil, Config{MaxBytesPerTrace: func(string) int { return limit }})
	ctx := context.Background()
	id := idOf(t, biggest)

	_, err := q.FindTraceByID(ctx, TraceByIDRequest{Tenant: "single-tenant", ID: id})
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Max != limit {
		t.Fatalf("v1: want TooLargeError{%d}, got %v", limit, err)
	}
	res, err := q.FindTraceByID(ctx, TraceByIDRequest{Tenant: "single-tenant", ID: id, AllowPartial: true})
	if err != nil || !res.Partial || res.MaxBytes != limit {
		t.Fatalf("v2: partial=%v err=%v", res != nil && res.Partial, err)
	}
	if n := res.Trace.SpanCount(); n == 0 || n >= biggest.SpanCount() || sizer.TracesSize(res.Trace) > limit {
		t.Fatalf("partial trace has %d spans, %d bytes (limit %d)", n, sizer.TracesSize(res.Trace), limit)
	}
	// A small trace passes untouched.
	smallest := expectedTraces(t, "single-tenant")[0]
	for _, td := range expectedTraces(t, "single-tenant") {
		if td.SpanCount() < smallest.SpanCount() {
			smallest = td
		}
	}
	small := idOf(t, smallest)
	if res, err := q.FindTraceByID(ctx, TraceByIDRequest{Tenant: "single-tenant", ID: small, AllowPartial: true}); err != nil || res.Partial {
		t.Fatalf("small trace: partial=%v err=%v", res != nil && res.Partial, err)
	}
}

// corruptBlock overwrites a block's data.parquet (the bloom still says yes).
func corruptBlock(t *testing.T, dir, tenant, block string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, tenant, block, "data.parquet"), []byte("this is not parquet at all, sorry"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFindTraceByIDSkipsUnreadableBlock(t *testing.T) {
	be, dir := fixtureBucket(t, "multi")
	// 4595c8… is split between ed123951… (first part) and aad58193….
	corruptBlock(t, dir, "multi", "ed123951-4f48-4f14-bc0d-a19d2397fb22")
	reg := prometheus.NewRegistry()
	q := New(be, nil, nil, reg, Config{})
	id, _ := model.ParseTraceID("4595c8056ef50999d3b7e5ce62fc2dae")
	res, err := q.FindTraceByID(context.Background(), TraceByIDRequest{Tenant: "multi", ID: id})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Found || res.FailedBlocks != 1 {
		t.Fatalf("found=%v failed=%d", res.Found, res.FailedBlocks)
	}
	var whole ptrace.Traces
	for _, td := range expectedTraces(t, "multi") {
		if idOf(t, td) == id {
			whole = td
		}
	}
	if n := res.Trace.SpanCount(); n == 0 || n >= whole.SpanCount() {
		t.Fatalf("got %d spans: want the second part only (< %d)", n, whole.SpanCount())
	}
	if v := testutil.ToFloat64(q.failedBlocks.WithLabelValues("multi")); v != 1 {
		t.Fatalf("tempo_query_failed_blocks_total = %v, want 1", v)
	}

	// Every source failing fails the query.
	for _, b := range []string{"aad58193-0e5a-4eb8-a39b-364b957ab2da"} {
		corruptBlock(t, dir, "multi", b)
	}
	q2 := New(be, nil, nil, nil, Config{})
	if _, err := q2.FindTraceByID(context.Background(), TraceByIDRequest{Tenant: "multi", ID: id}); err == nil {
		t.Fatal("every block holding the trace failed: want an error")
	}
	// With live data holding a part, that part is the answer.
	live := newFakeLive()
	live.add("multi", liveTrace(id, "live", time.Unix(0, int64(firstStart(whole))), "live span"))
	q3 := New(be, live, nil, nil, Config{})
	if res, err := q3.FindTraceByID(context.Background(), TraceByIDRequest{Tenant: "multi", ID: id}); err != nil || res.Trace.SpanCount() != 1 {
		t.Fatalf("live part: found=%v err=%v", res != nil && res.Found, err)
	}
	// A trace no block may hold is simply absent, whatever the broken blocks.
	if res, err := q2.FindTraceByID(context.Background(), TraceByIDRequest{Tenant: "multi", ID: model.TraceID{9}}); err != nil || res.Found {
		t.Fatalf("absent trace: found=%v err=%v", res != nil && res.Found, err)
	}
}

func TestReaderCacheIsBounded(t *testing.T) {
	be, _ := fixtureBucket(t, "multi")
	q := New(be, nil, nil, nil, Config{ReaderCacheSize: 2})
	for _, want := range expectedTraces(t, "multi")[:120] {
		res, err := q.FindTraceByID(context.Background(), TraceByIDRequest{Tenant: "multi", ID: idOf(t, want)})
		if err != nil || !res.Found {
			t.Fatalf("found=%v err=%v", res != nil && res.Found, err)
		}
		if res.Trace.SpanCount() != want.SpanCount() {
			t.Fatalf("spans %d, want %d", res.Trace.SpanCount(), want.SpanCount())
		}
	}
	if n := q.readers.len(); n > 2 {
		t.Fatalf("reader cache holds %d, bound is 2", n)
	}
}

func TestLiveNilPointerMeansNoLiveData(t *testing.T) {
	var live *fakeLive // e.g. a querier-only target has no ingester
	be, _ := fixtureBucket(t, "single-tenant")
	q := New(be, live, nil, nil, Config{})
	want := expectedTraces(t, "single-tenant")[0]
	res, err := q.FindTraceByID(context.Background(), TraceByIDRequest{Tenant: "single-tenant", ID: idOf(t, want)})
	if err != nil || !res.Found {
		t.Fatalf("found=%v err=%v", res != nil && res.Found, err)
	}
	_ = pcommon.SpanID{}
}

// A block flushed after the block list was cached is found on the first
// miss, without waiting for BlocklistMaxAge.
func TestFindTraceByIDSeesNewBlockOnMiss(t *testing.T) {
	be, dir := fixtureBucket(t, "acme")
	q := New(be, nil, nil, nil, Config{BlocklistMaxAge: time.Hour})
	ctx := context.Background()
	if res, err := q.FindTraceByID(ctx, TraceByIDRequest{Tenant: "globex", ID: model.TraceID{1}}); err != nil || res.Found {
		t.Fatalf("empty tenant: %v %v", res, err)
	}
	// globex's block "is flushed" now.
	if err := os.CopyFS(filepath.Join(dir, "globex"), os.DirFS(filepath.Join(fixtureDir(t), "globex"))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(missRefresh + 10*time.Millisecond)
	want := expectedTraces(t, "globex")[0]
	res, err := q.FindTraceByID(ctx, TraceByIDRequest{Tenant: "globex", ID: idOf(t, want)})
	if err != nil || !res.Found || res.Trace.SpanCount() != want.SpanCount() {
		t.Fatalf("new block not read on a miss: %v %v", res, err)
	}
}
