package querier

import (
	"context"
	"testing"
)

func BenchmarkFindTraceByIDFixture(b *testing.B) {
	be, _ := fixtureBucket(b, "single-tenant")
	q := New(be, nil, nil, nil, Config{})
	traces := expectedTraces(b, "single-tenant")
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		res, err := q.FindTraceByID(ctx, TraceByIDRequest{Tenant: "single-tenant", ID: idOf(b, traces[i%len(traces)])})
		if err != nil || !res.Found {
			b.Fatal(err)
		}
	}
}
