package traceql

import "testing"

// RunConformance runs the conformance table through fetcher f, whose data
// must be the fixture expected/<fixture> (e.g. "single-tenant.json"), and
// compares each query's traces and spans with the JSON oracle. Storage
// packages' tests use it (from package traceql_test) to hold their fetchers
// to the same answers as the memory fetcher. The table's wantEmpty markers
// describe single-tenant.json, so they are only checked there.
func RunConformance(t *testing.T, fixture string, f Fetcher) {
	t.Helper()
	traces := loadOracle(t, fixture)
	if len(traces) == 0 {
		t.Fatalf("no traces in %s", fixture)
	}
	for _, c := range conformanceCases() {
		t.Run(c.q, func(t *testing.T) {
			want := expected(traces, c)
			if fixture == "single-tenant.json" && (len(want) == 0) != c.wantEmpty {
				t.Fatalf("oracle gives %d traces but wantEmpty=%v: fix the case", len(want), c.wantEmpty)
			}
			got, _ := runSearch(t, f, c.q)
			if d := diff(want, got); d != "" {
				t.Errorf("%s\n%s", c.q, d)
			}
		})
	}
}
