package search

import (
	"context"
	"slices"
	"testing"

	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/vparquet"
	"github.com/tempoctl/tempoctl/traceql"
)

// TestRowGroupRanges: searching a block in row-group ranges (a query
// frontend's shards) finds exactly the traces of one search over it all.
func TestRowGroupRanges(t *testing.T) {
	_, gen := writeGenerated(t, backend.VersionVParquet5, 7, 300, false)
	blocks := map[string]*vparquet.Reader{"generated": gen}
	for i, r := range openTenant(t, fixtureBucket(t), "rowgroups") {
		blocks["rowgroups"+string(rune('0'+i))] = r
	}
	queries := []string{`{ }`, `{ status = error }`, `{ span.http.request.method = "GET" }`, `{ resource.service.name = "svc-1" }`}
	for name, r := range blocks {
		n := len(r.File().RowGroups())
		if n < 3 {
			t.Fatalf("%s: %d row groups, want several", name, n)
		}
		for _, q := range queries {
			whole := traceIDs(t, q, NewFetcher(r))
			for _, size := range []int{1, 2, n - 1} {
				var got []string
				groups := 0
				for start := 0; start < n; start += size {
					f := NewFetcher(r).RowGroups(start, size)
					got = append(got, traceIDs(t, q, f)...)
					groups += f.Stats().RowGroups
				}
				slices.Sort(got)
				if !slices.Equal(got, whole) {
					t.Errorf("%s %s by %d row groups: %d traces, whole block %d", name, q, size, len(got), len(whole))
				}
				if groups != n {
					t.Errorf("%s by %d: %d row groups counted, block has %d", name, size, groups, n)
				}
			}
			if got := traceIDs(t, q, NewFetcher(r).RowGroups(n, 5)); len(got) != 0 {
				t.Errorf("%s: a range past the end found %d traces", name, len(got))
			}
		}
	}
}

func traceIDs(t *testing.T, q string, f *Fetcher) []string {
	t.Helper()
	resp, err := traceql.NewEngine().ExecuteSearch(context.Background(), q, f, traceql.SearchOptions{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tr := range resp.Traces {
		out = append(out, tr.TraceID)
	}
	slices.Sort(out)
	return out
}
