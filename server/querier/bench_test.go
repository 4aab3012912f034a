package querier

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/blocktools"
	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

var (
	benchTraces = flag.Int("bench.traces", 200_000, "traces in the generated benchmark bucket")
	benchBlocks = flag.Int("bench.blocks", 10, "blocks the generated traces are cut into")
)

const benchTenant = "bench"

// largeBucket writes (once; kept in the temp dir between runs) a bucket of
// generated traces cut into blocks by time, like an ingester's flushes,
// and returns it with 200 trace IDs spread over all blocks.
func largeBucket(b *testing.B) (*backend.Backend, []model.TraceID) {
	b.Helper()
	n, nb := *benchTraces, *benchBlocks
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("tempoctl-querier-bench-%d-%d", n, nb))
	idsFile := filepath.Join(dir, "lookup-ids.txt")
	ctx := context.Background()
	be, err := backend.Open(ctx, backend.Config{Backend: "local", Local: backend.LocalConfig{Path: dir}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { be.Close() })
	if ids, err := readIDs(idsFile); err == nil && len(ids) > 0 {
		return be, ids
	}
	start := time.Now()
	os.RemoveAll(filepath.Join(dir, benchTenant))
	base := uint64(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC).UnixNano())
	perBlock := n / nb
	var lookup []model.TraceID
	spans := 0
	for k := range nb {
		g := tracegen.New(uint64(k+1), tracegen.Config{MinSpans: 2, MaxSpans: 22,
			Start: base + uint64(k)*uint64(time.Hour), Spread: uint64(time.Hour) / uint64(perBlock)})
		type tr struct {
			id model.TraceID
			td ptrace.Traces
		}
		traces := make([]tr, perBlock)
		for i := range traces {
			traces[i].id, traces[i].td = g.Trace()
			spans += traces[i].td.SpanCount()
		}
		slices.SortFunc(traces, func(a, b tr) int { return a.id.Compare(b.id) })
		w, err := block.NewWriter(ctx, be, benchTenant, block.Config{DedicatedColumns: vparquet.DefaultDedicatedColumns()})
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range traces {
			if err := w.Add(ctx, t.id, t.td); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := w.Close(ctx); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < 200/nb; i++ {
			lookup = append(lookup, traces[(i*7919)%len(traces)].id)
		}
	}
	if err := blocktools.RewriteTenantIndex(ctx, be, benchTenant); err != nil {
		b.Fatal(err)
	}
	if err := writeIDs(idsFile, lookup); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d traces, %d spans in %d blocks under %s in %s", perBlock*nb, spans, nb, dir, time.Since(start).Round(time.Second))
	return be, lookup
}

func readIDs(path string) ([]model.TraceID, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ids []model.TraceID
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		id, err := model.ParseTraceID(sc.Text())
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, sc.Err()
}

func writeIDs(path string, ids []model.TraceID) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	for _, id := range ids {
		fmt.Fprintln(f, id)
	}
	return f.Close()
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
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkSearchBackend runs TraceQL searches with limit 20 over one hour
// of the generated bucket (one block's window, plus its neighbours by the
// second of slack) and reports latency percentiles and bytes read.
func BenchmarkSearchBackend(b *testing.B) {
	be, _ := largeBucket(b)
	start := time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)
	queries := map[string]string{
		"service":    `{ resource.service.name = "svc-3" }`,
		"dedicated":  `{ span.http.request.method = "DELETE" && status = error }`,
		"duration":   `{ duration > 900ms }`,
		"structural": `{ name = "charge" } >> { kind = client }`,
		"none":       `{ resource.service.name = "nope" }`,
	}
	for _, name := range []string{"service", "dedicated", "duration", "structural", "none"} {
		b.Run(name, func(b *testing.B) {
			q := New(be, nil, nil, nil, Config{})
			ctx := context.Background()
			var lat []time.Duration
			var bytes uint64
			n := 0
			for b.Loop() {
				t0 := time.Now()
				resp, err := q.Search(ctx, SearchRequest{Tenant: benchTenant, Query: queries[name], Start: start, End: start.Add(time.Hour), Limit: 20, SpansPerSpanSet: 3})
				lat = append(lat, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				bytes += resp.Metrics.InspectedBytes
				n++
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(bytes)/float64(n), "bytes/search")
		})
	}
}
