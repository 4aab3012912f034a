package block_test

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/thanos-io/objstore"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/internal/cputime"
	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

// fixtureLike generates traces shaped like the fixtures: a few services,
// ~12 spans, plain attributes.
func fixtureLike(n int) []genTrace {
	g := tracegen.New(42, tracegen.Config{MinSpans: 4, MaxSpans: 20})
	out := make([]genTrace, n)
	for i := range out {
		out[i].id, out[i].td = g.Trace()
	}
	return sortTraces(out)
}

func sortTraces(ts []genTrace) []genTrace {
	slicesSortByID(ts)
	return ts
}

// BenchmarkBlockWrite reports spans/s on one core and bytes per span of the
// resulting data.parquet.
func BenchmarkBlockWrite(b *testing.B) {
	for _, version := range block.Versions {
		b.Run(version, func(b *testing.B) {
			traces := fixtureLike(2000)
			spans := 0
			for _, t := range traces {
				spans += t.td.SpanCount()
			}
			benchWrite(b, version, spans, func(ctx context.Context, w block.Writer) error {
				for _, t := range traces {
					if err := w.Add(ctx, t.id, t.td); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}
}

// benchWrite times writing blocks of spans spans with add, reporting CPU
// and wall-clock rates and the size per span.
func benchWrite(b *testing.B, version string, spans int, add func(context.Context, block.Writer) error) {
	ctx := context.Background()
	var size uint64
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Process().Seconds()
	for i := 0; i < b.N; i++ {
		w, err := block.NewWriter(ctx, memBackend(b), "t", block.Config{Version: version, DedicatedColumns: vparquet.DefaultDedicatedColumns()})
		if err != nil {
			b.Fatal(err)
		}
		if err := add(ctx, w); err != nil {
			b.Fatal(err)
		}
		m, err := w.Close(ctx)
		if err != nil {
			b.Fatal(err)
		}
		size = m.Size
	}
	b.ReportMetric((cputime.Process().Seconds()-cpu0)/float64(spans*b.N)*1e6, "cpu-s/Mspans")
	b.ReportMetric(float64(spans*b.N)/b.Elapsed().Seconds(), "spans/s")
	b.ReportMetric(float64(size)/float64(spans), "bytes/span")
}

// countingBucket counts bytes read through Get and GetRange.
type countingBucket struct {
	objstore.Bucket
	n *atomic.Int64
}

type countingReader struct {
	io.ReadCloser
	n *atomic.Int64
}

func (r countingReader) Read(p []byte) (int, error) {
	k, err := r.ReadCloser.Read(p)
	r.n.Add(int64(k))
	return k, err
}

func (c countingBucket) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	rc, err := c.Bucket.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	return countingReader{rc, c.n}, nil
}

func (c countingBucket) GetRange(ctx context.Context, name string, off, length int64) (io.ReadCloser, error) {
	rc, err := c.Bucket.GetRange(ctx, name, off, length)
	if err != nil {
		return nil, err
	}
	return countingReader{rc, c.n}, nil
}

var bigBlock struct {
	once  sync.Once
	be    *backend.Backend
	meta  *backend.BlockMeta
	ids   []model.TraceID
	bytes *atomic.Int64
}

// BenchmarkFindTraceByID looks up random traces of a 100k-trace block held in
// an object store: µs per lookup and bytes fetched per lookup (bloom shard,
// TraceID column chunk, the row's pages). The footer is read once at open.
func BenchmarkFindTraceByID(b *testing.B) {
	ctx := context.Background()
	bigBlock.once.Do(func() {
		bigBlock.bytes = new(atomic.Int64)
		bigBlock.be = backend.NewFromBucket(countingBucket{objstore.NewInMemBucket(), bigBlock.bytes})
		g := tracegen.New(7, tracegen.Config{MinSpans: 2, MaxSpans: 12})
		traces := make([]genTrace, 100_000)
		for i := range traces {
			traces[i].id, traces[i].td = g.Trace()
		}
		traces = sortTraces(traces)
		w, err := block.NewWriter(ctx, bigBlock.be, "t", block.Config{DedicatedColumns: vparquet.DefaultDedicatedColumns()})
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range traces {
			if err := w.Add(ctx, t.id, t.td); err != nil {
				b.Fatal(err)
			}
			bigBlock.ids = append(bigBlock.ids, t.id)
		}
		if bigBlock.meta, err = w.Close(ctx); err != nil {
			b.Fatal(err)
		}
	})
	r, err := block.Open(ctx, bigBlock.be, bigBlock.meta)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	bigBlock.bytes.Store(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := bigBlock.ids[(i*7919)%len(bigBlock.ids)]
		if _, ok, err := r.FindTraceByID(ctx, id); err != nil || !ok {
			b.Fatalf("find %s: %v %v", id, ok, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/lookup")
	b.ReportMetric(float64(bigBlock.bytes.Load())/float64(b.N), "bytes-read/lookup")
}

// BenchmarkBlockWriteFromWire is the ingester's flush path: traces held as
// spans of OTLP requests (500-span batches), built into rows from the wire
// and written (compare with BenchmarkBlockWrite, which starts from pdata).
func BenchmarkBlockWriteFromWire(b *testing.B) {
	for _, version := range block.Versions {
		b.Run(version, func(b *testing.B) {
			traces := fixtureLike(2000)
			spans := 0
			parts := map[model.TraceID][]otlpwire.Part{}
			req := ptrace.NewTraces()
			flush := func() {
				bt, err := otlpwire.FromTraces(req)
				if err != nil {
					b.Fatal(err)
				}
				for _, t := range bt.Traces {
					parts[t.ID] = append(parts[t.ID], otlpwire.Part{B: bt, Spans: t.Spans})
				}
				req = ptrace.NewTraces()
			}
			for _, t := range traces {
				spans += t.td.SpanCount()
				cp := ptrace.NewTraces()
				t.td.CopyTo(cp)
				cp.ResourceSpans().MoveAndAppendTo(req.ResourceSpans())
				if req.SpanCount() >= 500 {
					flush()
				}
			}
			flush()
			// Only the wire form stays live, as in the ingester: the
			// pdata copies would make every GC cycle dearer.
			ids := make([]model.TraceID, len(traces))
			for i := range traces {
				ids[i] = traces[i].id
			}
			traces = nil
			benchWrite(b, version, spans, func(ctx context.Context, w block.Writer) error {
				for _, id := range ids {
					if err := w.AddParts(ctx, id, parts[id]); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}
}
