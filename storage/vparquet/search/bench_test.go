package search

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tempoctl/tempoctl/internal/cputime"
	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
	"github.com/tempoctl/tempoctl/traceql"
)

// The benchmark set: ≥1M spans of tracegen traces (one per second from
// 2026-11-23T00:00Z, 2–22 spans each), written once per run as benchSetBlocks
// vParquet5 blocks with Tempo's default dedicated columns and 8 MiB row
// groups into a temporary local bucket.
const (
	benchSpans     = 1_000_000
	benchSetBlocks = 8
)

var (
	benchOnce  sync.Once
	benchDir   string
	benchSet   []*vparquet.Reader
	benchBytes uint64 // data.parquet bytes
	benchRGs   int
	benchStart time.Time
	benchErr   error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

func benchBlocks(b *testing.B) []*vparquet.Reader {
	b.Helper()
	benchOnce.Do(func() { benchErr = writeBenchSet() })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchSet
}

func writeBenchSet() error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "tempoctl-search-bench-")
	if err != nil {
		return err
	}
	benchDir = dir
	be, err := backend.Open(ctx, backend.Config{Backend: "local", Local: backend.LocalConfig{Path: dir}})
	if err != nil {
		return err
	}
	g := tracegen.New(1, tracegen.Config{MinSpans: 2, MaxSpans: 22})
	benchStart = time.Unix(0, 1795392000_000000000)
	perBlock := benchSpans / benchSetBlocks
	spans := 0
	for blk := 0; blk < benchSetBlocks; blk++ {
		// Consecutive traces (one time slice) per block, then ID order.
		var ts []genTrace
		n := 0
		for n < perBlock || (blk == benchSetBlocks-1 && spans+n < benchSpans) {
			id, td := g.Trace()
			ts = append(ts, genTrace{id: id, td: td})
			n += td.SpanCount()
		}
		spans += n
		slices.SortFunc(ts, func(a, b genTrace) int { return a.id.Compare(b.id) })
		w, err := block.NewWriter(ctx, be, "bench", block.Config{DedicatedColumns: vparquet.DefaultDedicatedColumns(), RowGroupSizeBytes: 8 << 20})
		if err != nil {
			return err
		}
		for _, t := range ts {
			if err := w.Add(ctx, t.id, t.td); err != nil {
				return err
			}
		}
		m, err := w.Close(ctx)
		if err != nil {
			return err
		}
		r, err := block.OpenParquet(ctx, be, m)
		if err != nil {
			return err
		}
		benchSet = append(benchSet, r)
		benchBytes += m.Size
		benchRGs += r.RowGroups()
	}
	fmt.Fprintf(os.Stderr, "bench set: %d spans in %d blocks, %d row groups, %.1f MiB\n", spans, len(benchSet), benchRGs, float64(benchBytes)/(1<<20))
	return nil
}

// BenchmarkSearch runs whole searches (no trace limit) over the set.
// Reported: bytes read from data.parquet per second (MB/s; the fetcher is
// single-threaded, so that is per core), the share of row groups skipped without
// reading data pages (meta range, statistics, dictionaries), the share of
// the set's bytes read, and traces decoded per search.
func BenchmarkSearch(b *testing.B) {
	cases := []struct {
		name, q string
		window  time.Duration // from the set's start; 0 = all time
	}{
		{"service-and-status", `{ resource.service.name = "svc-1" && status = error }`, 0},
		{"dedicated-columns", `{ span.http.request.method = "POST" && span.http.response.status_code = 500 }`, 0},
		{"selective-dedicated", `{ span.url.path = "/api/items/7" && kind = server }`, 0},
		{"name-and-duration", `{ name = "charge" && duration > 190ms }`, 0},
		{"span-conjunction-scan", `{ span.url.path = "/api/items/7" && kind = producer && status = error && duration > 199ms }`, 0},
		{"generic-attributes", `{ span.load > 0.9999 && span.cache.hit = true }`, 0},
		{"dedicated-int-stats", `{ span.http.status_code = 201 }`, 0},
		{"no-match", `{ name = "no such span" }`, 0},
		{"structural", `{ name = "charge" } >> { status = error && kind = client }`, 0},
		{"one-hour-window", `{ status = error && kind = server }`, time.Hour},
		{"one-hour-window-limit-20", `{ status = error && kind = server }`, time.Hour},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			readers := benchBlocks(b)
			root, err := traceql.Parse(c.q)
			if err != nil {
				b.Fatal(err)
			}
			opts := traceql.SearchOptions{Limit: 1 << 30, SpansPerSpanSet: 3}
			if strings.HasSuffix(c.name, "-limit-20") {
				opts.Limit = 20 // what the API asks by default
			}
			if c.window > 0 {
				// One hour in the middle of the set.
				opts.Start = benchStart.Add(10 * time.Hour)
				opts.End = opts.Start.Add(c.window)
			}
			ctx := context.Background()
			var st Stats
			var traces int
			b.ResetTimer()
			cpu0 := cputime.Process()
			for i := 0; i < b.N; i++ {
				f := NewFetcher(readers...)
				resp, err := traceql.NewEngine().ExecuteSearchExpr(ctx, root, f, opts)
				if err != nil {
					b.Fatal(err)
				}
				st, traces = f.Stats(), len(resp.Traces)
			}
			b.StopTimer()
			reportCPU(b, cpu0, st.InspectedBytes)
			// Row groups of blocks pruned by their meta range count as
			// pruned; MB/s (from SetBytes) is per core: one goroutine.
			prunedRGs := st.RowGroupsPruned + benchRGs - st.RowGroups
			b.SetBytes(int64(st.InspectedBytes))
			b.ReportMetric(100*float64(prunedRGs)/float64(benchRGs), "%rowgroups-pruned")
			b.ReportMetric(100*float64(st.InspectedBytes)/float64(benchBytes), "%bytes-read")
			b.ReportMetric(float64(st.DecodedTraces), "decoded/op")
			b.ReportMetric(float64(traces), "traces/op")
		})
	}
}

// reportCPU adds CPU milliseconds per op and bytes read per CPU second
// (the per-core throughput, GC included).
func reportCPU(b *testing.B, cpu0 time.Duration, bytesPerOp uint64) {
	cpu := cputime.Process() - cpu0
	if cpu <= 0 {
		return
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(bytesPerOp)*float64(b.N)/cpu.Seconds()/1e6, "MB/cpu-s")
}

// BenchmarkTagValues lists values over the whole set.
func BenchmarkTagValues(b *testing.B) {
	cases := []struct {
		name string
		attr traceql.Attribute
	}{
		{"resource.service.name", traceql.NewScopedAttribute(traceql.ScopeResource, "service.name")},
		{"span.http.request.method-dedicated", traceql.NewScopedAttribute(traceql.ScopeSpan, "http.request.method")},
		{"span.http.status_code-dedicated-int", traceql.NewScopedAttribute(traceql.ScopeSpan, "http.status_code")},
		{"span.http.response.status_code-dedicated-int", traceql.NewScopedAttribute(traceql.ScopeSpan, "http.response.status_code")},
		{"span.load-generic-float", traceql.NewScopedAttribute(traceql.ScopeSpan, "load")},
		{"name", traceql.NewIntrinsic(traceql.IntrinsicName)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			readers := benchBlocks(b)
			ctx := context.Background()
			var bytes uint64
			var n int
			b.ResetTimer()
			cpu0 := cputime.Process()
			for i := 0; i < b.N; i++ {
				bytes, n = 0, 0
				seen := map[string]bool{}
				for _, r := range readers {
					st, err := TagValues(ctx, r, TagRequest{}, c.attr, false, func(v traceql.Static) bool {
						seen[staticKey(v)] = true
						return true
					})
					if err != nil {
						b.Fatal(err)
					}
					bytes += st.InspectedBytes
				}
				n = len(seen)
			}
			b.StopTimer()
			reportCPU(b, cpu0, bytes)
			b.SetBytes(int64(bytes))
			b.ReportMetric(100*float64(bytes)/float64(benchBytes), "%bytes-read")
			b.ReportMetric(float64(n), "values")
		})
	}
}

// BenchmarkTagNames lists every scope's names over the whole set.
func BenchmarkTagNames(b *testing.B) {
	readers := benchBlocks(b)
	ctx := context.Background()
	var bytes uint64
	b.ResetTimer()
	cpu0 := cputime.Process()
	for i := 0; i < b.N; i++ {
		bytes = 0
		for _, r := range readers {
			st, err := TagNames(ctx, r, TagRequest{}, traceql.ScopeNone, func(traceql.Scope, string) {})
			if err != nil {
				b.Fatal(err)
			}
			bytes += st.InspectedBytes
		}
	}
	b.StopTimer()
	reportCPU(b, cpu0, bytes)
	b.SetBytes(int64(bytes))
	b.ReportMetric(100*float64(bytes)/float64(benchBytes), "%bytes-read")
}
