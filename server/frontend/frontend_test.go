package frontend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/traceql"
)

var (
	fixtureStart = time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
	fixtureEnd   = time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)
	// fixtureNow is long after the fixtures: no live job for their range.
	fixtureNow = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
)

func fixtureDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "fixtures", "tempo-blocks"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("fixtures: %v", err)
	}
	return dir
}

// fixtureBucket opens the fixture blocks read-only as a local bucket.
func fixtureBucket(t testing.TB) *backend.Backend {
	t.Helper()
	be, err := backend.Open(context.Background(), backend.Config{Backend: "local", Local: backend.LocalConfig{Path: fixtureDir(t)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	return be
}

func expectedTraces(t testing.TB, tenant string) []ptrace.Traces {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtureDir(t), "expected", tenant+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []ptrace.Traces
	bad, err := model.ReadOTLPJSONLines(bytes.NewReader(raw), func(_ int, td ptrace.Traces) error {
		out = append(out, td)
		return nil
	})
	if err != nil || len(bad) > 0 {
		t.Fatalf("expected %s: %v %v", tenant, err, bad)
	}
	return out
}

func traceID(td ptrace.Traces) model.TraceID {
	return model.TraceID(td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).TraceID())
}

type setup struct {
	q   *querier.Querier
	f   *Frontend
	reg *prometheus.Registry
}

func newSetup(t testing.TB, cfg Config, qcfg QuerierConfig, exec func(*Worker) Executor) setup {
	t.Helper()
	reg := prometheus.NewRegistry()
	q := querier.New(fixtureBucket(t), nil, nil, reg, querier.Config{})
	var e Executor = NewWorker(q, qcfg)
	if exec != nil {
		e = exec(e.(*Worker))
	}
	f := New(cfg, q, e, Options{Registerer: reg, Now: func() time.Time { return fixtureNow }})
	return setup{q: q, f: f, reg: reg}
}

func ids(resp *traceql.SearchResponse) map[string]bool {
	out := map[string]bool{}
	for _, t := range resp.Traces {
		out[t.TraceID] = true
	}
	return out
}

// TestSearchMatchesQuerier: split into row-group jobs, run on a small pool
// and merged, a search finds what the querier's one-pass search finds.
func TestSearchMatchesQuerier(t *testing.T) {
	for _, target := range []int{1, 30_000, 100 << 20} {
		s := newSetup(t, Config{Search: SearchConfig{ConcurrentJobs: 3, TargetBytesPerJob: target}}, QuerierConfig{MaxConcurrentQueries: 2}, nil)
		ctx := context.Background()
		for _, tenant := range []string{"multi", "rowgroups", "v4-tenant"} {
			for _, q := range []string{`{ resource.service.name = "payment" }`, `{ status = error }`, `{ }`} {
				req := querier.SearchRequest{Tenant: tenant, Query: q, Limit: 10000, Start: fixtureStart, End: fixtureEnd, SpansPerSpanSet: 3}
				want, err := s.q.Search(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.f.Search(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				if g, w := ids(got), ids(want); len(g) != len(w) || len(g) == 0 {
					t.Fatalf("target %d %s %s: %d traces, querier %d", target, tenant, q, len(g), len(w))
				}
				for id := range ids(want) {
					if !ids(got)[id] {
						t.Fatalf("%s %s: missing %s", tenant, q, id)
					}
				}
				m := got.Metrics
				if m.CompletedJobs != m.TotalJobs || m.InspectedBytes == 0 || m.TotalBlocks == 0 || m.TotalBlockBytes == 0 {
					t.Fatalf("metrics %+v", *m)
				}
				if tenant == "rowgroups" && target == 30_000 && m.TotalJobs < 3 {
					t.Fatalf("rowgroups block not split: %d jobs", m.TotalJobs)
				}
				if tenant == "multi" && (m.TotalBlocks != 4 || (target == 100<<20 && m.TotalJobs != 5)) {
					t.Fatalf("multi: %+v", *m)
				}
			}
		}
		// Traces split over two blocks are merged into one result.
		got, err := s.f.Search(ctx, querier.SearchRequest{Tenant: "multi", Query: "{ }", Limit: 1000, Start: fixtureStart, End: fixtureEnd})
		if err != nil || len(got.Traces) != 300 {
			t.Fatalf("multi: %d traces, want 300: %v", len(got.Traces), err)
		}
		for _, tr := range got.Traces {
			if tr.RootServiceName == traceql.RootSpanNotYetReceived {
				t.Fatalf("%s: parts not merged", tr.TraceID)
			}
		}
	}
}

// TestSearchStopsAtLimit: once limit traces are in, the other jobs are not
// run (one job at a time makes that exact); most_recent searches them all.
func TestSearchStopsAtLimit(t *testing.T) {
	s := newSetup(t, Config{Search: SearchConfig{ConcurrentJobs: 1}}, QuerierConfig{}, nil)
	ctx := context.Background()
	req := querier.SearchRequest{Tenant: "multi", Query: "{ }", Limit: 5, Start: fixtureStart, End: fixtureEnd}
	resp, err := s.f.Search(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	// Jobs: live data (empty here), then the newest block, which has 5.
	if len(resp.Traces) != 5 || resp.Metrics.TotalJobs != 5 || resp.Metrics.CompletedJobs != 2 {
		t.Fatalf("%d traces, metrics %+v", len(resp.Traces), *resp.Metrics)
	}
	// The newest block went first: every result is from it.
	newest := "9575d1d7-03bd-4510-a90d-61c7f98c8e26"
	inNewest := map[string]bool{}
	metas, _ := s.q.Blocks(ctx, "multi")
	for _, m := range metas {
		if m.BlockID.String() == newest {
			r, err := s.q.RunSearchJob(ctx, querier.SearchRequest{Tenant: "multi", Query: "{ }", Limit: 1000}, querier.SearchJob{Blocks: []*backend.BlockMeta{m}})
			if err != nil {
				t.Fatal(err)
			}
			inNewest = ids(r)
		}
	}
	for id := range ids(resp) {
		if !inNewest[id] {
			t.Fatalf("%s is not from the newest block", id)
		}
	}

	req.Query = "{ } with (most_recent=true)"
	resp, err = s.f.Search(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Traces) != 5 || resp.Metrics.CompletedJobs != 5 {
		t.Fatalf("most_recent: %d traces, metrics %+v", len(resp.Traces), *resp.Metrics)
	}
}

// TestSearchLiveWindow: with an open end the live job runs; a query ending
// long ago does not include it.
func TestSearchLiveWindow(t *testing.T) {
	s := newSetup(t, DefaultConfig(), QuerierConfig{}, nil)
	resp, err := s.f.Search(context.Background(), querier.SearchRequest{Tenant: "single-tenant", Query: "{ }", Start: fixtureStart})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Metrics.TotalJobs != 2 || resp.Metrics.TotalBlocks != 1 {
		t.Fatalf("open end: %+v", *resp.Metrics)
	}
	resp, err = s.f.Search(context.Background(), querier.SearchRequest{Tenant: "single-tenant", Query: "{ }", Start: fixtureStart, End: fixtureEnd})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Metrics.TotalJobs != 1 {
		t.Fatalf("old range: %+v", *resp.Metrics)
	}
}

func TestSearchErrors(t *testing.T) {
	ctx := context.Background()
	s := newSetup(t, DefaultConfig(), QuerierConfig{}, nil)
	_, err := s.f.Search(ctx, querier.SearchRequest{Tenant: "multi", Query: "{ nope"})
	var inv *querier.InvalidRequestError
	if !errors.As(err, &inv) {
		t.Fatalf("bad query: %v", err)
	}
	// A querier timeout fails the search (504), it does not drop blocks.
	s = newSetup(t, DefaultConfig(), QuerierConfig{Search: QuerierSearchConfig{QueryTimeout: time.Nanosecond}}, nil)
	_, err = s.f.Search(ctx, querier.SearchRequest{Tenant: "multi", Query: "{ }", Start: fixtureStart, End: fixtureEnd})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout: %v", err)
	}
	if n := testutil.ToFloat64(s.f.queries.WithLabelValues("multi", opSearch, "failed")); n != 1 {
		t.Fatalf("failed queries counted %v", n)
	}
}

// blockingExec holds every job until released, to fill the queue.
type blockingExec struct {
	Executor
	started chan struct{}
	release chan struct{}
}

func (b *blockingExec) RunSearchJob(ctx context.Context, req querier.SearchRequest, job querier.SearchJob) (*traceql.SearchResponse, error) {
	select {
	case b.started <- struct{}{}:
	default:
	}
	<-b.release
	return b.Executor.RunSearchJob(ctx, req, job)
}

// TestOutstandingPerTenant: while a tenant has max_outstanding_per_tenant
// jobs dispatched, its next query is refused (429); slots come back.
func TestOutstandingPerTenant(t *testing.T) {
	be := &blockingExec{started: make(chan struct{}, 2), release: make(chan struct{})}
	s := newSetup(t, Config{MaxOutstandingPerTenant: 2, Search: SearchConfig{ConcurrentJobs: 2}}, QuerierConfig{},
		func(w *Worker) Executor { be.Executor = w; return be })
	ctx := context.Background()
	req := querier.SearchRequest{Tenant: "multi", Query: "{ }", Limit: 1000, Start: fixtureStart, End: fixtureEnd}
	done := make(chan error, 1)
	go func() {
		resp, err := s.f.Search(ctx, req)
		if err == nil && len(resp.Traces) != 300 {
			err = fmt.Errorf("%d traces", len(resp.Traces))
		}
		done <- err
	}()
	<-be.started
	<-be.started // two jobs dispatched, held
	_, err := s.f.Search(ctx, req)
	var se interface{ HTTPStatus() int }
	if !errors.As(err, &se) || se.HTTPStatus() != 429 || err.Error() != "too many outstanding requests" {
		t.Fatalf("search over the limit: %v", err)
	}
	if _, err := s.f.FindTraceByID(ctx, querier.TraceByIDRequest{Tenant: "multi", ID: model.TraceID{1}}); !errors.Is(err, ErrTooManyOutstanding) {
		t.Fatalf("trace lookup over the limit: %v", err)
	}
	close(be.release)
	if err := <-done; err != nil {
		t.Fatalf("first search: %v", err)
	}
	if _, err := s.f.Search(ctx, req); err != nil {
		t.Fatalf("after the slots came back: %v", err)
	}
	if len(s.f.outstanding) != 0 {
		t.Fatalf("outstanding left: %v", s.f.outstanding)
	}
	if n := testutil.ToFloat64(s.f.queries.WithLabelValues("multi", opSearch, "throttled")); n != 1 {
		t.Fatalf("throttled searches counted %v", n)
	}
}

// TestTraceByIDShards: every expected trace is found whole, whatever the
// shard count; split traces are combined from two blocks.
func TestTraceByIDShards(t *testing.T) {
	ctx := context.Background()
	for _, shards := range []int{1, 2, 50} {
		s := newSetup(t, Config{TraceByID: TraceByIDConfig{QueryShards: shards}}, QuerierConfig{}, nil)
		for _, tenant := range []string{"multi", "single-tenant"} {
			for i, td := range expectedTraces(t, tenant) {
				if i%7 != 0 && tenant != "multi" {
					continue
				}
				res, err := s.f.FindTraceByID(ctx, querier.TraceByIDRequest{Tenant: tenant, ID: traceID(td)})
				if err != nil {
					t.Fatal(err)
				}
				if !res.Found || res.Trace.SpanCount() != td.SpanCount() {
					t.Fatalf("shards %d %s trace %d: found %v, %d spans, want %d", shards, tenant, i, res.Found, res.Trace.SpanCount(), td.SpanCount())
				}
			}
		}
		res, err := s.f.FindTraceByID(ctx, querier.TraceByIDRequest{Tenant: "multi", ID: model.TraceID{1, 2, 3}})
		if err != nil || res.Found {
			t.Fatalf("missing trace: %v %v", res.Found, err)
		}
		res, err = s.f.FindTraceByID(ctx, querier.TraceByIDRequest{Tenant: "multi", ID: traceID(expectedTraces(t, "multi")[0]), Mode: querier.ModeIngesters})
		if err != nil || res.Found {
			t.Fatalf("mode ingesters found a block trace: %v %v", res.Found, err)
		}
	}
	s := newSetup(t, DefaultConfig(), QuerierConfig{}, nil)
	if _, err := s.f.FindTraceByID(ctx, querier.TraceByIDRequest{Tenant: "multi", Mode: "nope"}); err == nil {
		t.Fatal("bad mode accepted")
	}
	// Bytes are counted once, by the frontend.
	before := bytesInspected(t, s.reg, "multi")
	res, err := s.f.FindTraceByID(ctx, querier.TraceByIDRequest{Tenant: "multi", ID: traceID(expectedTraces(t, "multi")[3])})
	if err != nil {
		t.Fatal(err)
	}
	if got := bytesInspected(t, s.reg, "multi") - before; got != float64(res.InspectedBytes) || got == 0 {
		t.Fatalf("counted %v bytes, result says %d", got, res.InspectedBytes)
	}
}

// TestTraceByIDMaxBytes: v1 is refused a trace over max_bytes_per_trace,
// v2 gets it cut and marked partial.
func TestTraceByIDMaxBytes(t *testing.T) {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	q := querier.New(fixtureBucket(t), nil, nil, reg, querier.Config{})
	f := New(DefaultConfig(), q, NewWorker(q, QuerierConfig{}), Options{MaxBytesPerTrace: func(string) int { return 800 }})
	var big ptrace.Traces
	for _, td := range expectedTraces(t, "single-tenant") {
		if td.SpanCount() > 10 {
			big = td
			break
		}
	}
	id := traceID(big)
	_, err := f.FindTraceByID(ctx, querier.TraceByIDRequest{Tenant: "single-tenant", ID: id})
	var tl *querier.TooLargeError
	if !errors.As(err, &tl) || tl.Max != 800 {
		t.Fatalf("v1: %v", err)
	}
	res, err := f.FindTraceByID(ctx, querier.TraceByIDRequest{Tenant: "single-tenant", ID: id, AllowPartial: true})
	if err != nil {
		t.Fatal(err)
	}
	var sizer ptrace.ProtoMarshaler
	if !res.Partial || res.MaxBytes != 800 || sizer.TracesSize(res.Trace) > 800 || res.Trace.SpanCount() == 0 {
		t.Fatalf("v2: partial %v, %d bytes, %d spans", res.Partial, sizer.TracesSize(res.Trace), res.Trace.SpanCount())
	}
}

// bytesInspected reads tempo_query_frontend_bytes_inspected_total{tenant}.
func bytesInspected(t testing.TB, reg *prometheus.Registry, tenant string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "tempo_query_frontend_bytes_inspected_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "tenant" && l.GetValue() == tenant {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
