package traceql

import (
	"context"
	"testing"
)

var benchQueries = []string{
	`{ resource.service.name = "checkout" && span.http.status_code >= 500 }`,
	`{ status = error } | by(resource.service.name) | count() > 1 | select(span.http.url)`,
	`{ .a = 1 || .b = 2 && .c = 3 } >> { span.db.statement =~ "(?i)update.*" } with (most_recent=true)`,
	`({ } | rate() by (resource.service.name)) / ({ status = error } | rate())`,
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, q := range benchQueries {
			if _, err := Parse(q); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkSearchMemory: a search over the single-tenant fixture (200
// traces, 2304 spans) in memory; spans/s is the figure to watch.
func BenchmarkSearchMemory(b *testing.B) {
	_, f := fixture(b)
	for _, q := range []string{
		`{ resource.service.name = "checkout" && span.http.status_code >= 500 }`,
		`{ kind = server } >> { resource.service.name = "db" }`,
		`{ } | by(resource.service.name) | count() > 5`,
	} {
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			var spans uint64
			for i := 0; i < b.N; i++ {
				resp, err := NewEngine().ExecuteSearch(context.Background(), q, f, SearchOptions{Limit: 1 << 30})
				if err != nil {
					b.Fatal(err)
				}
				spans += resp.Metrics.InspectedSpans
			}
			b.ReportMetric(float64(spans)/b.Elapsed().Seconds(), "spans/s")
		})
	}
}
