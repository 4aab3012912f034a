package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/tempoctl/tempoctl/internal/benchbucket"
	"github.com/tempoctl/tempoctl/internal/cputime"
	"github.com/tempoctl/tempoctl/server/frontend"
	"github.com/tempoctl/tempoctl/server/querier"
)

// BenchmarkTraceByIDHTTP is GET /api/traces/{id} through the handler as
// serve wires it (API → frontend shards → worker → querier → blocks) over
// the generated bucket the querier benchmarks use (200 000 traces in 10
// blocks). One op is one lookup, so B/op and allocs/op are a lookup's, and
// cpu-ms/op the process's CPU time per lookup (GC included; steadier than
// the wall time on a shared machine). The readers and bloom shards are
// loaded by an untimed first pass. protobuf with gzip is what `query bench`
// (Go's client) and Grafana ask for.
func BenchmarkTraceByIDHTTP(b *testing.B) {
	be, ids := benchbucket.Lookup(b, 200_000, 10)
	q := querier.New(be, nil, nil, nil, querier.Config{MaxBytesPerTrace: func(string) int { return 5 << 20 }})
	fe := frontend.New(frontend.DefaultConfig(), q, frontend.NewWorker(q, frontend.DefaultQuerierConfig()),
		frontend.Options{MaxBytesPerTrace: func(string) int { return 5 << 20 }})
	r := mux.NewRouter()
	Register(r, fe, Options{MultitenancyEnabled: true})
	cases := []struct {
		name    string
		headers []string
	}{
		{"protobuf-gzip", []string{"Accept", contentTypeProtobuf, "Accept-Encoding", "gzip"}},
		{"protobuf", []string{"Accept", contentTypeProtobuf}},
		{"json", nil},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			lookup := func(i int) time.Duration {
				req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/api/traces/"+ids[i%len(ids)].String(), nil)
				req.Header.Set("X-Scope-OrgID", benchbucket.Tenant)
				for k := 0; k+1 < len(tc.headers); k += 2 {
					req.Header.Set(tc.headers[k], tc.headers[k+1])
				}
				w := httptest.NewRecorder()
				t0 := time.Now()
				r.ServeHTTP(w, req)
				d := time.Since(t0)
				if w.Code != http.StatusOK || w.Body.Len() == 0 {
					b.Fatalf("%s: status %d, %d bytes", ids[i%len(ids)], w.Code, w.Body.Len())
				}
				return d
			}
			for i := range ids {
				lookup(i)
			}
			var lat []time.Duration
			i := 0
			b.ReportAllocs()
			cpu0 := cputime.Process()
			for b.Loop() {
				lat = append(lat, lookup(i))
				i++
			}
			if cpu := cputime.Process() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(lat)), "cpu-ms/op")
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
