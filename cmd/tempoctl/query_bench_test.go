package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tempoctl/tempoctl/model"
)

// generate --ids-file fills a real server; query bench reads every trace
// back and runs the default searches.
func TestQueryBench(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	// Blocks are cut every second, so the lookups and searches read blocks.
	p := startServe(t, dir, "-ingester.max_block_duration=1s")
	idsFile := filepath.Join(dir, "ids.txt")
	code, out, stderr := run("generate", "--endpoint", p.otlpGRPC, "--traces", "300", "--batch-spans", "200", "--ids-file", idsFile)
	if code != 0 {
		t.Fatalf("generate: %d %s %s", code, out, stderr)
	}
	b, err := os.ReadFile(idsFile)
	if err != nil {
		t.Fatal(err)
	}
	ids := strings.Fields(string(b))
	if len(ids) != 300 {
		t.Fatalf("%d IDs in the file, want 300", len(ids))
	}

	waitFlushedAndListed(t, p, ids)

	bench := []string{"query", "bench", "--server", p.http, "--ids", idsFile, "--lookups", "20", "--searches", "2"}
	code, out, stderr = run(bench...)
	if code != 0 {
		t.Fatalf("bench: %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(out, "lookups: 20 of 300 IDs in the file, 20 found") {
		t.Errorf("lookups line missing:\n%s", out)
	}
	for _, q := range append([]string{"trace by ID"}, defaultBenchQueries...) {
		if !strings.Contains(out, q) {
			t.Errorf("no row for %s:\n%s", q, out)
		}
	}

	code, out, stderr = run(append(bench, "-o", "json")...)
	if code != 0 {
		t.Fatalf("bench json: %d %s", code, stderr)
	}
	var rep benchReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.LookupsOK != 20 || len(rep.NotFound) != 0 || len(rep.Rows) != 1+len(defaultBenchQueries) || rep.Rows[0].Count != 20 {
		t.Fatalf("report %+v", rep)
	}
	for _, r := range rep.Rows[1:] {
		// Every default query matches generate's traces.
		if r.Kind != "search" || r.Count != 2 || r.MeanTraces == nil || *r.MeanTraces == 0 || r.P50Ms <= 0 {
			t.Errorf("search row %+v", r)
		}
	}

	// An ID never sent: the figures still print, then exit 1 naming it.
	const never = "0123456789abcdef0123456789abcdef"
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte(strings.Join([]string{ids[0], ids[1], never, ids[2]}, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = run("query", "bench", "--server", p.http, "--ids", bad, "--lookups", "4", "--searches", "0")
	if code != 1 || !strings.Contains(stderr, "trace "+never+" not found on "+p.http) || !strings.Contains(stderr, "1 of 4 traces not found") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(out, "4 of 4 IDs in the file, 3 found") {
		t.Errorf("figures not printed:\n%s", out)
	}
}

// waitFlushedAndListed waits until no trace is left in the ingester and a
// search finds the flushed blocks: for up to the querier's block-list age
// after a flush, a search can miss traces that just left the ingester.
func waitFlushedAndListed(t *testing.T, p *serveProc, ids []string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, id := range ids {
		for {
			if code, _ := p.get(t, "/api/traces/"+id+"?mode=ingesters"); code == 404 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("trace %s still in the ingester after 30s", id)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	for {
		var a searchAnswer
		p.getJSON(t, "/api/search?since=1h&q=%7B%7D", &a)
		if len(a.Traces) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("flushed traces not searchable after 30s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestQueryBenchUsage(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.txt")
	if err := os.WriteFile(garbage, []byte("0123456789abcdef0123456789abcdef\nnot-an-id\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := "http://" + closedAddr(t)
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{}, "--ids FILE is needed"},
		{[]string{"--ids", filepath.Join(dir, "missing.txt")}, "--ids: open"},
		{[]string{"--ids", garbage}, "line 2"},
		{[]string{"--lookups", "0", "--since", "0s"}, "--since must be positive"},
		{[]string{"--lookups", "-1"}, "must not be negative"},
		{[]string{"--lookups", "0"}, "cannot reach"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := run(append([]string{"query", "bench", "--server", srv}, tc.args...)...)
			if code != 2 || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d, stderr %q (want 2, %q)", code, stderr, tc.stderr)
			}
		})
	}
}

func TestPickSpread(t *testing.T) {
	ids := make([]model.TraceID, 10)
	for i := range ids {
		ids[i][15] = byte(i)
	}
	idx := func(s []model.TraceID) []int {
		var out []int
		for _, id := range s {
			out = append(out, int(id[15]))
		}
		return out
	}
	tests := []struct {
		n           int
		timed, warm []int
	}{
		{5, []int{0, 2, 4, 6, 8}, []int{1, 3, 5, 7, 9}},
		{2, []int{0, 5}, []int{2, 7}},
		{10, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{50, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{0, nil, nil},
	}
	for _, tc := range tests {
		timed, warm := pickSpread(ids, tc.n)
		if !slices.Equal(idx(timed), tc.timed) || !slices.Equal(idx(warm), tc.warm) {
			t.Errorf("n=%d: timed %v warm %v, want %v %v", tc.n, idx(timed), idx(warm), tc.timed, tc.warm)
		}
	}
}

func TestLatencyRow(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		var out []time.Duration
		for _, v := range vs {
			out = append(out, time.Duration(v)*time.Millisecond)
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // unsorted on purpose
	}
	tests := []struct {
		lat           []time.Duration
		p50, p99, max float64
	}{
		{ms(hundred...), 50, 99, 100},
		{ms(3, 1, 2), 2, 3, 3},
		{ms(7), 7, 7, 7},
		{nil, 0, 0, 0},
	}
	for i, tc := range tests {
		r := latencyRow("k", "", tc.lat)
		if r.P50Ms != tc.p50 || r.P99Ms != tc.p99 || r.MaxMs != tc.max || r.Count != len(tc.lat) {
			t.Errorf("%d: %+v, want %v %v %v", i, r, tc.p50, tc.p99, tc.max)
		}
	}
}
