package blocktools

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

// Merge pulls from its inputs only as far as it emits: at any time each
// input is at most one trace ahead of the output. This is what keeps a
// compaction's memory at one trace per input (plus the writer's row group)
// whatever the size of the blocks.
func TestMergeStreams(t *testing.T) {
	const sources, perSource = 4, 500
	produced := make([]int, sources)
	emittedFrom := make([]int, sources)
	var srcs []TraceSource
	for s := 0; s < sources; s++ {
		s := s
		srcs = append(srcs, func(ctx context.Context, fn func(model.TraceID, ptrace.Traces) error) error {
			for i := 0; i < perSource; i++ {
				// IDs interleave across sources; every 7th is shared by all.
				id := model.TraceID{}
				n := i*sources + s
				if i%7 == 0 {
					n = i * sources
				}
				id[14], id[15] = byte(n>>8), byte(n)
				td := ptrace.NewTraces()
				sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
				sp.SetTraceID(pcommon.TraceID(id))
				sp.SetSpanID(pcommon.SpanID{0: byte(s + 1), 7: byte(i)})
				produced[s]++
				if err := fn(id, td); err != nil {
					return err
				}
			}
			return nil
		})
	}
	_, err := Merge(context.Background(), srcs, func(id model.TraceID, td ptrace.Traces) error {
		spans := td.ResourceSpans()
		for i := 0; i < spans.Len(); i++ {
			s := int(spans.At(i).ScopeSpans().At(0).Spans().At(0).SpanID()[0]) - 1
			emittedFrom[s]++
		}
		for s := range produced {
			if ahead := produced[s] - emittedFrom[s]; ahead > 1 {
				t.Fatalf("input %d is %d traces ahead of the output", s, ahead)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for s := range produced {
		if produced[s] != perSource || emittedFrom[s] != perSource {
			t.Fatalf("input %d: produced %d, emitted %d", s, produced[s], emittedFrom[s])
		}
	}
}

// BenchmarkCompact compacts two blocks with 4 MB row groups and reports the
// peak heap growth next to the input size, for two input sizes: the growth
// is the readers' and writer's column buffers and stays flat as the inputs
// grow (it does not scale with the blocks).
func BenchmarkCompact(b *testing.B) {
	for _, n := range []int{1000, 4000} {
		b.Run(fmt.Sprintf("traces=%d", 2*n), func(b *testing.B) {
			ctx := context.Background()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				be, _ := fixtureCopy(b) // an empty local bucket: data on disk, not in the heap
				cfg := block.Config{DedicatedColumns: vparquet.DefaultDedicatedColumns(), RowGroupSizeBytes: 4 << 20}
				x := writeBlock(b, be, "t1", cfg, generate(1, n))
				y := writeBlock(b, be, "t1", cfg, generate(2, n))
				job := Job{Tenant: "t1", Inputs: a2(x, y)}
				// A low GC target makes the sampled heap track live memory
				// instead of garbage waiting for the next cycle.
				old := debug.SetGCPercent(10)
				runtime.GC()
				stop := samplePeakHeap()
				b.StartTimer()
				res, err := Compact(ctx, be, job, CompactOptions{Block: block.Config{RowGroupSizeBytes: 4 << 20}})
				b.StopTimer()
				peak, base := stop()
				debug.SetGCPercent(old)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(job.Bytes())/(1<<20), "input-MB")
				b.ReportMetric(float64(res.Stats.SpansIn)/(b.Elapsed().Seconds()/float64(i+1)), "spans/s")
				b.ReportMetric(float64(peak-base)/(1<<20), "peak-heap-growth-MB")
			}
		})
	}
}

func a2[T any](xs ...T) []T { return xs }

// samplePeakHeap samples live heap bytes every millisecond until stopped.
func samplePeakHeap() func() (peak, base uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	base := s[0].Value.Uint64()
	var mu sync.Mutex
	peak := base
	done := make(chan struct{})
	go func() {
		tk := time.NewTicker(time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-done:
				return
			case <-tk.C:
				metrics.Read(s)
				mu.Lock()
				peak = max(peak, s[0].Value.Uint64())
				mu.Unlock()
			}
		}
	}()
	return func() (uint64, uint64) {
		close(done)
		mu.Lock()
		defer mu.Unlock()
		return peak, base
	}
}
