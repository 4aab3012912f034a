package querier

import (
	"context"
	"flag"
	"slices"
	"testing"
	"time"

	"github.com/tempoctl/tempoctl/internal/benchbucket"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/traceql"
)

var (
	benchTraces = flag.Int("bench.traces", 200_000, "traces in the generated benchmark bucket")
	benchBlocks = flag.Int("bench.blocks", 10, "blocks the generated traces are cut into")
)

const benchTenant = benchbucket.Tenant

// largeBucket is the generated bucket the read-path benchmarks share, with
// 200 trace IDs spread over all blocks.
func largeBucket(b testing.TB) (*backend.Backend, []model.TraceID) {
	b.Helper()
	return benchbucket.Lookup(b, *benchTraces, *benchBlocks)
}

// BenchmarkTraceByIDBackend looks up 200 traces per iteration in the
// generated bucket through the querier (block list, bloom, reader cache,
// row lookup, combine) and reports the latency percentiles. The first
// iteration opens the readers and loads the bloom shards; later ones show
// the steady state.
func BenchmarkTraceByIDBackend(b *testing.B) {
	be, ids := largeBucket(b)
	q := New(be, nil, nil, nil, Config{})
	ctx := context.Background()
	var lat []time.Duration
	first := true
	for b.Loop() {
		for _, id := range ids {
			t0 := time.Now()
			res, err := q.FindTraceByID(ctx, TraceByIDRequest{Tenant: benchTenant, ID: id})
			d := time.Since(t0)
			if err != nil || !res.Found {
				b.Fatalf("%s: found=%v err=%v", id, res != nil && res.Found, err)
			}
			if !first {
				lat = append(lat, d)
			}
		}
		first = false
	}
	reportLatency(b, lat)
}

// benchWindows are the 1h windows a search benchmark iteration runs over:
// every half hour of the generated bucket's ten hours.
func benchWindows() []time.Time {
	base := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	var out []time.Time
	for k := range 19 {
		out = append(out, base.Add(time.Duration(k)*30*time.Minute))
	}
	return out
}

// BenchmarkSearchBackend runs TraceQL searches with limit 20 over 1h
// windows of the generated bucket (each window overlaps one or two
// blocks, plus their neighbours by the second of slack) and reports
// latency percentiles (after one warm-up pass that opens the blocks),
// bytes read and traces found per search. Broad queries ({}, a service,
// a common status code) stop at the limit; selective ones read every
// candidate row group.
func BenchmarkSearchBackend(b *testing.B) {
	be, _ := largeBucket(b)
	cases := []struct{ name, query string }{
		{"all", `{}`},
		{"service", `{ resource.service.name = "svc-3" }`},
		{"status-5xx", `{ span.http.response.status_code >= 500 }`},
		{"http-status", `{ span.http.status_code >= 500 }`},
		{"dedicated", `{ span.http.request.method = "DELETE" && status = error }`},
		{"duration", `{ duration > 900ms }`},
		{"structural", `{ name = "charge" } >> { kind = client }`},
		{"none", `{ resource.service.name = "nope" }`},
	}
	windows := benchWindows()
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			q := New(be, nil, nil, nil, Config{})
			ctx := context.Background()
			search := func(start time.Time) (*traceql.SearchResponse, time.Duration) {
				t0 := time.Now()
				resp, err := q.Search(ctx, SearchRequest{Tenant: benchTenant, Query: tc.query, Start: start, End: start.Add(time.Hour), Limit: 20, SpansPerSpanSet: 3})
				d := time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
				return resp, d
			}
			for _, w := range windows {
				search(w)
			}
			var lat []time.Duration
			var bytes, traces uint64
			for b.Loop() {
				for _, w := range windows {
					resp, d := search(w)
					lat = append(lat, d)
					bytes += resp.Metrics.InspectedBytes
					traces += uint64(len(resp.Traces))
				}
			}
			reportLatency(b, lat)
			b.ReportMetric(float64(bytes)/float64(len(lat)), "bytes/search")
			b.ReportMetric(float64(traces)/float64(len(lat)), "traces/search")
		})
	}
}

// BenchmarkTagValuesBackend lists the values of a tag over the whole
// generated bucket (≥ 2M spans), with and without a filter (stopping after
// 100 values seen again in a row, as Grafana asks), and reports latency
// percentiles and bytes read.
func BenchmarkTagValuesBackend(b *testing.B) {
	be, _ := largeBucket(b)
	cases := []struct {
		name  string
		tag   traceql.Attribute
		query string
	}{
		{"service", traceql.NewScopedAttribute(traceql.ScopeResource, "service.name"), ""},
		{"dedicated", traceql.NewScopedAttribute(traceql.ScopeSpan, "http.request.method"), ""},
		{"generic", traceql.NewScopedAttribute(traceql.ScopeSpan, "url.path"), ""},
		{"filtered", traceql.NewScopedAttribute(traceql.ScopeSpan, "http.request.method"), `{ resource.service.name = "svc-1" && status = error }`},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			tag := tc.tag
			q := New(be, nil, nil, nil, Config{})
			ctx := context.Background()
			run := func() (*TagValuesResult, time.Duration) {
				t0 := time.Now()
				res, err := q.TagValues(ctx, TagValuesRequest{Tenant: benchTenant, Tag: tag, Query: tc.query, MaxStaleValues: 100})
				d := time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Values) == 0 {
					b.Fatalf("%s: no values", tc.tag)
				}
				return res, d
			}
			run()
			var lat []time.Duration
			var bytes uint64
			for b.Loop() {
				for range 5 {
					res, d := run()
					lat = append(lat, d)
					bytes += res.InspectedBytes
				}
			}
			reportLatency(b, lat)
			b.ReportMetric(float64(bytes)/float64(len(lat)), "bytes/op")
		})
	}
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
