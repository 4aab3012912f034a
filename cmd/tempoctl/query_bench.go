package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tempoctl/tempoctl/client"
	"github.com/tempoctl/tempoctl/model"
)

func init() { querySubcommands = append(querySubcommands, newQueryBenchCmd) }

// defaultBenchQueries match what `tempoctl generate` sends (services
// svc-0..svc-5, HTTP status codes 200/201/404/500, a fifth of the spans in
// error, span durations up to 200 ms): each finds traces.
var defaultBenchQueries = []string{
	`{}`,
	`{ resource.service.name = "svc-1" }`,
	`{ span.http.response.status_code >= 500 }`,
	`{ status = error }`,
	`{ duration > 100ms }`,
}

type queryBenchOptions struct {
	Remote   serverFlags
	Tenant   string
	IDsFile  string
	Lookups  int
	Queries  []string
	Searches int
	Since    time.Duration
	Limit    int
	Warmup   bool
	Output   outputFlag
}

func newQueryBenchCmd() *cobra.Command {
	opts := &queryBenchOptions{}
	cmd := &cobra.Command{
		Use:   "bench --ids FILE",
		Short: "Time trace-by-ID lookups and TraceQL searches against a running server",
		Long: `Measure a running server's read path as a client sees it, one request at a
time (latency, not throughput):

  trace by ID  GET /api/traces/{id} (protobuf) for --lookups IDs taken evenly
               spread over --ids FILE (as written by "tempoctl generate
               --ids-file"); the same IDs on every run. Every trace must be
               found: a missing one is reported and the command exits 1
               after printing the figures.
  search       GET /api/search for each --query, --searches times, over the
               last --since (the server's now is the window's end) with
               --limit.

Each kind gets its count and p50, p99 (nearest rank) and max latency; a
search also gets the mean number of traces returned and of bytes the
server inspected (from the response's metrics).

By default one untimed warm-up pass runs first — lookups of other IDs of
the file (between the timed ones) and each query once — so opening blocks
and reading their indexes and bloom filters the first time is not counted;
--warmup=false skips it (block readers a previous run opened stay open).

Output: a table (default) or -o json with the same figures.`,
		Example: `  tempoctl generate --traces 200000 --ids-file /tmp/ids.txt
  tempoctl query bench --ids /tmp/ids.txt
  tempoctl query bench --ids /tmp/ids.txt --server http://tempo:3200 --tenant acme --lookups 1000 -o json
  tempoctl query bench --lookups 0 --query '{ span.http.request.method = "POST" }' --searches 50 --since 15m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Output.validate(); err != nil {
				return err
			}
			switch {
			case opts.Lookups < 0 || opts.Searches < 0:
				return usageErrorf("--lookups and --searches must not be negative")
			case opts.Lookups > 0 && opts.IDsFile == "":
				return usageErrorf("--ids FILE is needed for the lookups (or --lookups 0)")
			case opts.Since <= 0:
				return usageErrorf("--since must be positive")
			case opts.Limit <= 0:
				return usageErrorf("--limit must be positive")
			}
			if !cmd.Flags().Changed("query") {
				opts.Queries = defaultBenchQueries
			}
			return runQueryBench(cmd.Context(), opts, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	opts.Remote.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&opts.Tenant, "tenant", "", "tenant sent as X-Scope-OrgID (default: none)")
	fl.StringVar(&opts.IDsFile, "ids", "", "file of trace IDs, one per line (generate --ids-file)")
	fl.IntVar(&opts.Lookups, "lookups", 200, "trace-by-ID lookups to time (0: none)")
	fl.StringArrayVar(&opts.Queries, "query", nil, "TraceQL query to time (repeatable; default: a set matching generate's traces)")
	fl.IntVar(&opts.Searches, "searches", 20, "timed runs of each query (0: no searches)")
	fl.DurationVar(&opts.Since, "since", time.Hour, "search window: the last DURATION")
	fl.IntVar(&opts.Limit, "limit", 20, "traces per search")
	fl.BoolVar(&opts.Warmup, "warmup", true, "run one untimed pass first")
	opts.Output.register(cmd, "table", "table", "json")
	return cmd
}

// benchRow is one line of the report.
type benchRow struct {
	Kind  string  `json:"kind"` // "trace by ID" or "search"
	Query string  `json:"query,omitempty"`
	Count int     `json:"count"`
	P50Ms float64 `json:"p50Ms"`
	P99Ms float64 `json:"p99Ms"`
	MaxMs float64 `json:"maxMs"`
	// Searches only.
	MeanTraces         *float64 `json:"meanTraces,omitempty"`
	MeanInspectedBytes *uint64  `json:"meanInspectedBytes,omitempty"`
}

type benchReport struct {
	Server    string     `json:"server"`
	IDs       int        `json:"ids"`
	Since     string     `json:"since"`
	Limit     int        `json:"limit"`
	Warmup    bool       `json:"warmup"`
	Rows      []benchRow `json:"rows"`
	NotFound  []string   `json:"notFound"`
	LookupsOK int        `json:"lookupsFound"`
}

func runQueryBench(ctx context.Context, opts *queryBenchOptions, out, errOut io.Writer) error {
	var ids []model.TraceID
	if opts.Lookups > 0 {
		var err error
		if ids, err = readTraceIDs(opts.IDsFile); err != nil {
			return err
		}
		if len(ids) == 0 {
			return usageErrorf("--ids %s: no trace IDs", opts.IDsFile)
		}
	}
	c, err := opts.Remote.client(opts.Tenant)
	if err != nil {
		return err
	}
	timed, warm := pickSpread(ids, opts.Lookups)
	searches := opts.Searches
	rep := benchReport{Server: c.URL(), IDs: len(ids), Since: opts.Since.String(), Limit: opts.Limit, Warmup: opts.Warmup, NotFound: []string{}, Rows: []benchRow{}}

	if opts.Warmup {
		for _, id := range warm {
			if _, err := c.TraceByID(ctx, id, client.TraceOptions{}); err != nil && !errors.Is(err, client.ErrNotFound) {
				return serverError(c, err)
			}
		}
		if searches > 0 {
			for _, q := range opts.Queries {
				if _, err := c.Search(ctx, benchSearch(opts, q)); err != nil {
					return serverError(c, err)
				}
			}
		}
	}

	if len(timed) > 0 {
		lat := make([]time.Duration, 0, len(timed))
		for _, id := range timed {
			t0 := time.Now()
			td, err := c.TraceByID(ctx, id, client.TraceOptions{})
			d := time.Since(t0)
			if err == nil && td.SpanCount() == 0 {
				err = client.ErrNotFound
			}
			if errors.Is(err, client.ErrNotFound) {
				rep.NotFound = append(rep.NotFound, id.String())
				continue
			}
			if err != nil {
				return serverError(c, err)
			}
			lat = append(lat, d)
		}
		rep.LookupsOK = len(lat)
		rep.Rows = append(rep.Rows, latencyRow("trace by ID", "", lat))
	}

	for _, q := range opts.Queries {
		if searches == 0 {
			break
		}
		lat := make([]time.Duration, 0, searches)
		var traces, inspected uint64
		for range searches {
			t0 := time.Now()
			resp, err := c.Search(ctx, benchSearch(opts, q))
			d := time.Since(t0)
			if err != nil {
				return serverError(c, err)
			}
			lat = append(lat, d)
			traces += uint64(len(resp.Traces))
			inspected += resp.Metrics.InspectedBytes
		}
		row := latencyRow("search", q, lat)
		meanTraces := float64(traces) / float64(searches)
		meanBytes := inspected / uint64(searches)
		row.MeanTraces, row.MeanInspectedBytes = &meanTraces, &meanBytes
		rep.Rows = append(rep.Rows, row)
	}

	if err := printBenchReport(out, opts.Output.Format, &rep, len(timed)); err != nil {
		return err
	}
	if len(rep.NotFound) > 0 {
		const shown = 5
		for i, id := range rep.NotFound {
			if i == shown {
				fmt.Fprintf(errOut, "…\n")
				break
			}
			fmt.Fprintf(errOut, "trace %s not found on %s\n", id, c.URL())
		}
		fmt.Fprintf(errOut, "%d of %d traces not found\n", len(rep.NotFound), len(timed))
		return silentError{code: exitFailure}
	}
	return nil
}

func benchSearch(opts *queryBenchOptions, q string) client.SearchRequest {
	return client.SearchRequest{Query: q, Since: opts.Since, Limit: opts.Limit, SpansPerSpanSet: -1}
}

// readTraceIDs reads one hex trace ID per line; blank lines are skipped.
func readTraceIDs(path string) ([]model.TraceID, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageErrorf("--ids: %v", err)
	}
	defer f.Close()
	var ids []model.TraceID
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		id, err := model.ParseTraceID(s)
		if err != nil {
			return nil, usageErrorf("--ids %s line %d: %v", path, line, err)
		}
		ids = append(ids, id)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--ids %s: %w", path, err)
	}
	return ids, nil
}

// pickSpread takes n IDs evenly spread over ids (the same ones every run)
// and, for the warm-up, the IDs halfway between them: the same blocks are
// opened without caching the timed traces' own pages. With fewer than 2n
// IDs the warm-up repeats the timed IDs.
func pickSpread(ids []model.TraceID, n int) (timed, warm []model.TraceID) {
	n = min(n, len(ids))
	for i := range n {
		timed = append(timed, ids[i*len(ids)/n])
	}
	if len(ids) < 2*n {
		return timed, timed
	}
	for i := range n {
		warm = append(warm, ids[(2*i+1)*len(ids)/(2*n)])
	}
	return timed, warm
}

// latencyRow summarises latencies: p50 and p99 by nearest rank.
func latencyRow(kind, query string, lat []time.Duration) benchRow {
	row := benchRow{Kind: kind, Query: query, Count: len(lat)}
	if len(lat) == 0 {
		return row
	}
	slices.Sort(lat)
	// Nearest rank in integers: ceil(n·pct/100) - 1, no float rounding.
	rank := func(pct int) time.Duration { return lat[max((len(lat)*pct+99)/100-1, 0)] }
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	row.P50Ms, row.P99Ms, row.MaxMs = ms(rank(50)), ms(rank(99)), ms(lat[len(lat)-1])
	return row
}

func printBenchReport(out io.Writer, format string, rep *benchReport, lookups int) error {
	if format == "json" {
		return printStructured(out, "json", rep)
	}
	warm := "after an untimed warm-up pass"
	if !rep.Warmup {
		warm = "no warm-up"
	}
	fmt.Fprintf(out, "server %s; searches over the last %s, limit %d; %s\n", rep.Server, rep.Since, rep.Limit, warm)
	if lookups > 0 {
		fmt.Fprintf(out, "lookups: %d of %d IDs in the file, %d found\n", lookups, rep.IDs, rep.LookupsOK)
	}
	t := newTable(out, "KIND", "QUERY", "COUNT", "P50", "P99", "MAX", "TRACES", "INSPECTED")
	for _, r := range rep.Rows {
		traces, inspected := "-", "-"
		if r.MeanTraces != nil {
			traces = strconv.FormatFloat(*r.MeanTraces, 'f', 1, 64)
			inspected = humanBytes(*r.MeanInspectedBytes)
		}
		t.row(r.Kind, orDash(r.Query), strconv.Itoa(r.Count), benchMs(r.P50Ms), benchMs(r.P99Ms), benchMs(r.MaxMs), traces, inspected)
	}
	return t.flush()
}

func benchMs(ms float64) string { return strconv.FormatFloat(ms, 'f', 2, 64) + "ms" }
