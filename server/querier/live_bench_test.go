package querier

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/traceql"
)

// BenchmarkLiveSearch searches 5 000 generated live traces (held as wire
// bytes, as the ingester holds them) for queries that match nothing, where
// the pre-checks decide whether every trace is decoded, and one that
// matches (stops at its limit).
func BenchmarkLiveSearch(b *testing.B) {
	g := tracegen.New(1, tracegen.Config{MinSpans: 2, MaxSpans: 22})
	tds := make([]ptrace.Traces, 5000)
	for i := range tds {
		_, tds[i] = g.Trace()
	}
	parts, err := otlpwire.PartsOf(tds...)
	if err != nil {
		b.Fatal(err)
	}
	q := New(nil, nil, nil, nil, Config{})
	for _, bc := range []struct{ name, query string }{
		{"match", `{ status = error }`},
		{"eq-none", `{ resource.service.name = "nope" }`},
		{"ne-absent", `{ span.nope != "x" }`},
		{"ne-none", `{ resource.cluster != "eu-1" }`},
		{"regex-none", `{ span.url.path =~ "/zzz.*" }`},
		{"notregex-none", `{ resource.cluster !~ "eu-.*" }`},
		{"name-regex-none", `{ name =~ "char" }`},
		{"or-none", `{ span.http.response.status_code = 999 || resource.service.name = "nope" }`},
		{"or-spansets-none", `{ name = "nope" } || { span.load > 2 }`},
	} {
		root, err := traceql.Parse(bc.query)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := traceql.NewEngine().ExecuteSearchExpr(context.Background(), root, q.liveFetcher(parts, nil), traceql.SearchOptions{Limit: 20, SpansPerSpanSet: 3}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
