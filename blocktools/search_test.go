package blocktools_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/blocktools"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/traceql"
)

func searchFixtures(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "shared", "fixtures", "tempo-blocks"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("fixtures: %v", err)
	}
	return dir
}

func localBucket(t testing.TB, dir string) *backend.Backend {
	t.Helper()
	be, err := backend.Open(context.Background(), backend.Config{Backend: "local", Local: backend.LocalConfig{Path: dir}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	return be
}

func expectedTraces(t testing.TB, tenant string) []ptrace.Traces {
	t.Helper()
	f, err := os.Open(filepath.Join(searchFixtures(t), "expected", tenant+".json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []ptrace.Traces
	if _, err := model.ReadOTLPJSONLines(f, func(_ int, td ptrace.Traces) error {
		out = append(out, td)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func traceIDs(r *traceql.SearchResponse) []string {
	var out []string
	for _, t := range r.Traces {
		out = append(out, t.TraceID)
	}
	sort.Strings(out)
	return out
}

func TestSearchMatchesMemory(t *testing.T) {
	be := localBucket(t, searchFixtures(t))
	ctx := context.Background()
	for _, tenant := range []string{"multi", "rowgroups", "v4-tenant"} {
		mem := traceql.NewMemoryFetcher(expectedTraces(t, tenant)...)
		for _, q := range []string{
			`{ }`,
			`{ status = error }`,
			`{ resource.service.name = "checkout" && kind = server }`,
			`{ span.http.method = "POST" }`,
			`{ duration > 50ms } | count() > 2`,
		} {
			if tenant == "multi" && strings.Contains(q, "count()") {
				// Like Tempo, each block evaluates its part of a split
				// trace on its own: aggregates can differ from the whole.
				continue
			}
			got, err := blocktools.Search(ctx, be, tenant, q, blocktools.SearchOptions{Limit: 1 << 20})
			if err != nil {
				t.Fatalf("%s %s: %v", tenant, q, err)
			}
			want, err := traceql.NewEngine().ExecuteSearch(ctx, q, mem, traceql.SearchOptions{Limit: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			if w, g := strings.Join(traceIDs(want), ","), strings.Join(traceIDs(got), ","); w != g || len(want.Traces) == 0 {
				t.Errorf("%s %s: %d traces from blocks, %d expected", tenant, q, len(got.Traces), len(want.Traces))
			}
			for i := 1; i < len(got.Traces); i++ {
				if got.Traces[i-1].StartTimeUnixNano < got.Traces[i].StartTimeUnixNano {
					t.Fatalf("%s %s: not newest first", tenant, q)
				}
			}
			m := got.Metrics
			if m.TotalBlocks == 0 || m.CompletedJobs != m.TotalBlocks || m.InspectedBytes == 0 || m.TotalBlockBytes == 0 || m.InspectedTraces == 0 {
				t.Errorf("%s %s: metrics %+v", tenant, q, m)
			}
		}
	}
}

// The 45 traces split across two blocks of tenant multi come back once,
// merged.
func TestSearchMergesSplitTraces(t *testing.T) {
	be := localBucket(t, searchFixtures(t))
	f, err := os.Open(filepath.Join(searchFixtures(t), "multi-split.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	split := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if id := strings.TrimSpace(sc.Text()); id != "" && !strings.HasPrefix(id, "#") {
			split[strings.TrimLeft(strings.Fields(id)[0], "0")] = true
		}
	}
	if len(split) != 45 {
		t.Fatalf("%d split traces listed", len(split))
	}
	resp, err := blocktools.Search(context.Background(), be, "multi", `{ }`, blocktools.SearchOptions{Limit: 1 << 20, SpansPerSpanSet: 1})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, tr := range resp.Traces {
		seen[tr.TraceID]++
		if split[tr.TraceID] && len(tr.SpanSets) != 1 {
			t.Errorf("split trace %s has %d spansets", tr.TraceID, len(tr.SpanSets))
		}
	}
	for id := range split {
		if seen[id] != 1 {
			t.Errorf("split trace %s found %d times", id, seen[id])
		}
	}
	if len(resp.Traces) != 300 {
		t.Errorf("%d traces, want 300", len(resp.Traces))
	}
}

func TestSearchLimitAndWindow(t *testing.T) {
	be := localBucket(t, searchFixtures(t))
	ctx := context.Background()
	resp, err := blocktools.Search(ctx, be, "multi", `{ }`, blocktools.SearchOptions{Limit: 5, SpansPerSpanSet: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Traces) != 5 || resp.Metrics.CompletedJobs >= resp.Metrics.TotalBlocks {
		t.Fatalf("%d traces, metrics %+v: want 5 and an early stop", len(resp.Traces), resp.Metrics)
	}
	for _, tr := range resp.Traces {
		if n := len(tr.SpanSets[0].Spans); n > 2 || int(tr.SpanSets[0].Matched) < n {
			t.Fatalf("spss not applied: %d spans", n)
		}
	}
	start := time.Date(2026, 11, 23, 20, 48, 50, 0, time.UTC)
	resp, err = blocktools.Search(ctx, be, "multi", `{ }`, blocktools.SearchOptions{Start: start, End: start.Add(time.Minute), Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Traces) == 0 || resp.Metrics.TotalBlocks >= 4 {
		t.Fatalf("%d traces over %d blocks", len(resp.Traces), resp.Metrics.TotalBlocks)
	}
	for _, tr := range resp.Traces {
		end := tr.StartTimeUnixNano + uint64(tr.DurationMs+1)*uint64(time.Millisecond)
		if end < uint64(start.UnixNano()) {
			t.Fatalf("trace %s ends before the window", tr.TraceID)
		}
	}
}

func TestSearchErrors(t *testing.T) {
	be := localBucket(t, searchFixtures(t))
	ctx := context.Background()
	_, err := blocktools.Search(ctx, be, "single-tenant", `{ status = }`, blocktools.SearchOptions{})
	var pe *traceql.ParseError
	if !errors.As(err, &pe) || pe.Pos.Line != 1 {
		t.Fatalf("want a parse error with a position, got %v", err)
	}
	_, err = blocktools.Search(ctx, be, "single-tenant", `{ name = 1 }`, blocktools.SearchOptions{})
	var ve *traceql.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a validation error, got %v", err)
	}
	if _, err = blocktools.Search(ctx, be, "single-tenant", `{ } | rate()`, blocktools.SearchOptions{}); !errors.Is(err, traceql.ErrMetricsQuery) {
		t.Fatalf("metrics query: %v", err)
	}
	resp, err := blocktools.Search(ctx, be, "no-such-tenant", `{ }`, blocktools.SearchOptions{})
	if err != nil || len(resp.Traces) != 0 {
		t.Fatalf("unknown tenant: %v %v", resp, err)
	}
}

// copyTenant copies a fixture tenant into a temporary bucket.
func copyTenant(t *testing.T, tenant string) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join(searchFixtures(t), tenant)
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, tenant, rel)
		if info.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestSearchSkipsUnreadableBlock(t *testing.T) {
	dir := copyTenant(t, "multi")
	be := localBucket(t, dir)
	ctx := context.Background()
	metas, _, err := be.BlockMetas(ctx, "multi")
	if err != nil || len(metas) != 4 {
		t.Fatal(err, len(metas))
	}
	corrupt := func(m *backend.BlockMeta) {
		p := filepath.Join(dir, "multi", m.BlockID.String(), "data.parquet")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for i := 4; i < len(b)-8; i++ {
			b[i] ^= 0x5a
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	corrupt(metas[0])
	var bad []string
	resp, err := blocktools.Search(ctx, be, "multi", `{ }`, blocktools.SearchOptions{Limit: 1 << 20, OnBlockError: func(m *backend.BlockMeta, err error) {
		bad = append(bad, m.BlockID.String())
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) != 1 || bad[0] != metas[0].BlockID.String() || len(resp.Traces) == 0 || resp.Metrics.CompletedJobs != 3 {
		t.Fatalf("bad blocks %v, %d traces, metrics %+v", bad, len(resp.Traces), resp.Metrics)
	}
	for _, m := range metas[1:] {
		corrupt(m)
	}
	if _, err := blocktools.Search(ctx, be, "multi", `{ }`, blocktools.SearchOptions{}); !errors.Is(err, blocktools.ErrAllBlocksFailed) {
		t.Fatalf("every block bad: %v", err)
	}
}

func TestMergeTraceResult(t *testing.T) {
	ss := func(matched uint32, attrs ...traceql.KeyValue) *traceql.SpanSet {
		return &traceql.SpanSet{Matched: matched, Spans: []*traceql.SpanResult{}, Attributes: attrs}
	}
	str := func(s string) traceql.AnyValue { return traceql.AnyValue{StringValue: &s} }
	a := &traceql.TraceSearchMetadata{TraceID: "1", RootServiceName: traceql.RootSpanNotYetReceived, StartTimeUnixNano: 200, DurationMs: 5,
		ServiceStats: map[string]traceql.ServiceStats{"a": {SpanCount: 2, ErrorCount: 1}},
		SpanSets:     []*traceql.SpanSet{ss(1), ss(2, traceql.KeyValue{Key: "by(name)", Value: str("x")})}}
	b := &traceql.TraceSearchMetadata{TraceID: "1", RootServiceName: "gw", RootTraceName: "GET", StartTimeUnixNano: 100, DurationMs: 3,
		ServiceStats: map[string]traceql.ServiceStats{"a": {SpanCount: 1, ErrorCount: 2}, "b": {SpanCount: 4}},
		SpanSets:     []*traceql.SpanSet{ss(3), ss(1, traceql.KeyValue{Key: "by(name)", Value: str("y")})}}
	blocktools.MergeTraceResult(a, b)
	got, _ := json.Marshal(a)
	want := `{"traceID":"1","rootServiceName":"gw","rootTraceName":"GET","startTimeUnixNano":"100","durationMs":5,` +
		`"spanSet":{"spans":[],"matched":3},"spanSets":[{"spans":[],"matched":3},` +
		`{"spans":[],"matched":2,"attributes":[{"key":"by(name)","value":{"stringValue":"x"}}]},` +
		`{"spans":[],"matched":1,"attributes":[{"key":"by(name)","value":{"stringValue":"y"}}]}],` +
		`"serviceStats":{"a":{"spanCount":2,"errorCount":2},"b":{"spanCount":4}}}`
	if string(got) != want {
		t.Fatalf("merged\n got %s\nwant %s", got, want)
	}
}
