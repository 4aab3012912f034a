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
// traces, 2304 spans) in memory; spans/s counts every span of the data set.
func BenchmarkSearchMemory(b *testing.B) {
	traces, f := fixture(b)
	total := 0
	for _, tr := range traces {
		total += len(tr.spans)
	}
	for _, q := range []string{
		`{ resource.service.name = "checkout" && span.http.status_code >= 500 }`,
		`{ kind = server } >> { resource.service.name = "db" }`,
		`{ } | by(resource.service.name) | count() > 5`,
	} {
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := NewEngine().ExecuteSearch(context.Background(), q, f, SearchOptions{Limit: 1 << 30}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
		})
	}
}
