package frontend

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/blocktools"
	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

const benchTenant = "bench"

var benchBase = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// benchBucket writes (once; kept in the temp dir) blocks × traces
// generated traces, one hour per block, with row groups of rgBytes.
func benchBucket(b *testing.B, blocks, traces, rgBytes int) *backend.Backend {
	b.Helper()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("tempoctl-frontend-bench-%d-%d-%d", blocks, traces, rgBytes))
	ctx := context.Background()
	be, err := backend.Open(ctx, backend.Config{Backend: "local", Local: backend.LocalConfig{Path: dir}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { be.Close() })
	if _, err := os.Stat(filepath.Join(dir, "done")); err == nil {
		return be
	}
	os.RemoveAll(filepath.Join(dir, benchTenant))
	for k := range blocks {
		g := tracegen.New(uint64(k+1), tracegen.Config{MinSpans: 2, MaxSpans: 22,
			Start: uint64(benchBase.UnixNano()) + uint64(k)*uint64(time.Hour), Spread: uint64(time.Hour) / uint64(traces)})
		type tr struct {
			id model.TraceID
			td ptrace.Traces
		}
		ts := make([]tr, traces)
		for i := range ts {
			ts[i].id, ts[i].td = g.Trace()
		}
		slices.SortFunc(ts, func(a, b tr) int { return a.id.Compare(b.id) })
		w, err := block.NewWriter(ctx, be, benchTenant, block.Config{DedicatedColumns: vparquet.DefaultDedicatedColumns(), RowGroupSizeBytes: rgBytes})
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range ts {
			if err := w.Add(ctx, t.id, t.td); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := w.Close(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if err := blocktools.RewriteTenantIndex(ctx, be, benchTenant); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "done"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return be
}

// BenchmarkSearch compares the querier's one-pass search with the
// frontend's jobs over a bucket of 8 blocks of 10 row groups each, for a
// search stopping at limit 20 and one that must read everything.
func BenchmarkSearch(b *testing.B) {
	be := benchBucket(b, 8, 20_000, 1<<20)
	queries := map[string]string{
		"limit20":  `{ resource.service.name = "svc-3" }`,
		"scan-all": `{ resource.service.name = "nope" }`,
	}
	for _, qn := range []string{"limit20", "scan-all"} {
		for _, mode := range []string{"querier", "frontend-blocks", "frontend-rowgroups"} {
			b.Run(qn+"/"+mode, func(b *testing.B) {
				q := querier.New(be, nil, nil, nil, querier.Config{})
				target := 1 << 30 // whole blocks
				if mode == "frontend-rowgroups" {
					target = 4 << 20
				}
				f := New(Config{Search: SearchConfig{TargetBytesPerJob: target}}, q, NewWorker(q, QuerierConfig{}), Options{})
				req := querier.SearchRequest{Tenant: benchTenant, Query: queries[qn], Start: benchBase, End: benchBase.Add(8 * time.Hour), Limit: 20}
				ctx := context.Background()
				var lat []time.Duration
				jobs := 0
				for b.Loop() {
					t0 := time.Now()
					var err error
					var resp interface{ GetJobs() uint32 }
					if mode == "querier" {
						r, e := q.Search(ctx, req)
						err, resp = e, metricsOf{r.Metrics.TotalJobs}
					} else {
						r, e := f.Search(ctx, req)
						err, resp = e, metricsOf{r.Metrics.TotalJobs}
					}
					lat = append(lat, time.Since(t0))
					if err != nil {
						b.Fatal(err)
					}
					jobs = int(resp.GetJobs())
				}
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(jobs), "jobs")
			})
		}
	}
}

type metricsOf struct{ jobs uint32 }

func (m metricsOf) GetJobs() uint32 { return m.jobs }

// BenchmarkTraceByID looks up 40 traces spread over the 8 blocks, through
// the querier and through the frontend's shards (query_shards 50 and 2).
func BenchmarkTraceByID(b *testing.B) {
	be := benchBucket(b, 8, 20_000, 1<<20)
	var ids []model.TraceID
	for k := range 8 {
		g := tracegen.New(uint64(k+1), tracegen.Config{MinSpans: 2, MaxSpans: 22,
			Start: uint64(benchBase.UnixNano()) + uint64(k)*uint64(time.Hour), Spread: uint64(time.Hour) / 20_000})
		for range 5 {
			id, _ := g.Trace()
			ids = append(ids, id)
		}
	}
	for _, mode := range []string{"querier", "frontend-50", "frontend-2"} {
		b.Run(mode, func(b *testing.B) {
			q := querier.New(be, nil, nil, nil, querier.Config{})
			shards := 50
			if mode == "frontend-2" {
				shards = 2
			}
			f := New(Config{TraceByID: TraceByIDConfig{QueryShards: shards}}, q, NewWorker(q, QuerierConfig{}), Options{})
			ctx := context.Background()
			var lat []time.Duration
			for b.Loop() {
				for _, id := range ids {
					req := querier.TraceByIDRequest{Tenant: benchTenant, ID: id}
					t0 := time.Now()
					var res *querier.TraceByIDResult
					var err error
					if mode == "querier" {
						res, err = q.FindTraceByID(ctx, req)
					} else {
						res, err = f.FindTraceByID(ctx, req)
					}
					lat = append(lat, time.Since(t0))
					if err != nil || !res.Found {
						b.Fatalf("%s: %v", id, err)
					}
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
