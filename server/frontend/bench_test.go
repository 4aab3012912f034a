package frontend

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tempoctl/tempoctl/internal/benchbucket"
	"github.com/tempoctl/tempoctl/server/querier"
)

// BenchmarkSearch compares the querier's one-pass search with the
// frontend's jobs over a bucket of 8 blocks of 10 row groups each, for a
// search stopping at limit 20 and one that must read everything.
func BenchmarkSearch(b *testing.B) {
	be, _ := benchbucket.Bucket(b, 8, 20_000, 1<<20)
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
				req := querier.SearchRequest{Tenant: benchbucket.Tenant, Query: queries[qn], Start: benchbucket.Base, End: benchbucket.Base.Add(8 * time.Hour), Limit: 20}
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

// BenchmarkTraceByID looks up the bucket's 200 traces spread over the 8 blocks, through
// the querier and through the frontend's shards (query_shards 50 and 2).
func BenchmarkTraceByID(b *testing.B) {
	be, ids := benchbucket.Bucket(b, 8, 20_000, 1<<20)
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
					req := querier.TraceByIDRequest{Tenant: benchbucket.Tenant, ID: id}
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
