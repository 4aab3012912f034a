package ingester

import (
	"context"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/storage/backend"
)

// BenchmarkPush: parallel pushes of 500-span requests, each durable in the
// WAL (group-committed fsync) and indexed as live traces before it returns.
func BenchmarkPush(b *testing.B) {
	g := tracegen.New(1, tracegen.Config{})
	var batches []*otlpwire.Batch
	for range 64 {
		td := ptrace.NewTraces()
		for td.SpanCount() < 500 {
			_, tr := g.Trace()
			tr.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
		}
		batches = append(batches, batch(b, td))
	}
	be, _ := backend.Open(context.Background(), backend.Config{Backend: "memory"})
	cfg := DefaultConfig()
	in := newIngester(b, b.TempDir(), be, cfg)
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			bt := batches[next.Add(1)%int64(len(batches))]
			if err := in.Push(context.Background(), "t", bt); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(500*b.N)/b.Elapsed().Seconds(), "spans/s")
}
