package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/tempoctl/tempoctl/blocktools"
	"github.com/tempoctl/tempoctl/traceql"
	"github.com/tempoctl/tempoctl/tracetree"
)

func init() { querySubcommands = append(querySubcommands, newQuerySearchCmd) }

type querySearchOptions struct {
	Target queryTarget
	Limit  int
	SPSS   int
	Output outputFlag
}

// maxSpansPerSpanSet is the API's max_spans_per_span_set default.
const maxSpansPerSpanSet = 100

func newQuerySearchCmd() *cobra.Command {
	opts := &querySearchOptions{}
	cmd := &cobra.Command{
		Use:   "search TRACEQL",
		Short: "Find traces with a TraceQL query, on a server or straight from the bucket",
		Long: `Run a TraceQL search over a tenant's blocks with the same engine the server
uses: conditions are checked on the needed Parquet columns first (row groups
and blocks that cannot match are skipped), and only matching traces are
decoded. A trace stored in several blocks is reported once.

The window is all time unless --since or --start/--end narrow it; blocks
are read newest first and the search stops at --limit traces.

With --server URL (or when no bucket flag is given: http://localhost:3200)
the query runs on that server's GET /api/search, over its live data too;
without --since/--start the server's default window applies (the last 15
minutes). --tenant is sent as X-Scope-OrgID, --header K=V adds headers.

Output formats:
  table  trace ID, root service, root span name, start, duration and matched
         spans, newest first (default); a summary goes to stderr
  json   the body of Tempo's GET /api/search ({"traces":[...],"metrics":{...}})
  yaml   the same as YAML

No matching trace: a message on stderr and exit code 1. An invalid query:
the error with its position and exit code 2.`,
		Example: `  tempoctl query search '{ status = error }' --backend local --bucket ./tempo-data/traces
  tempoctl query search '{ resource.service.name = "cart" && duration > 100ms }' --since 1h --config.file tempo.yaml --tenant acme
  tempoctl query search '{ span.http.request.method = "POST" } | count() > 2' --start now-2h --end now --limit 50 -o json
  tempoctl query search '{ status = error }' --server http://tempo:3200 --tenant acme --since 1h`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.validate(); err != nil {
				return err
			}
			if opts.Limit <= 0 {
				return usageErrorf("invalid limit: must be a positive number")
			}
			if opts.SPSS < 0 || opts.SPSS > maxSpansPerSpanSet {
				return usageErrorf("--spss must be between 0 (all spans) and %d, got %d", maxSpansPerSpanSet, opts.SPSS)
			}
			return runQuerySearch(cmd.Context(), opts, args[0], cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	opts.Target.register(cmd)
	cmd.Flags().IntVar(&opts.Limit, "limit", 20, "maximum number of traces")
	cmd.Flags().IntVar(&opts.SPSS, "spss", 3, "spans listed per span set (0 = all)")
	opts.Output.register(cmd, "table", "table", "json", "yaml")
	return cmd
}

// traceQLError turns parse and validation errors into usage errors (exit 2)
// that read like the API's 400 body.
func traceQLError(err error) error {
	var pe *traceql.ParseError
	var ve *traceql.ValidationError
	if errors.As(err, &pe) || errors.As(err, &ve) || errors.Is(err, traceql.ErrMetricsQuery) {
		return usageErrorf("invalid TraceQL query: %v", err)
	}
	return err
}

func runQuerySearch(ctx context.Context, opts *querySearchOptions, query string, out, errOut io.Writer) error {
	start, end, err := opts.Target.window(time.Now())
	if err != nil {
		return err
	}
	// Check the query before touching the bucket.
	if _, err := traceql.Parse(query); err != nil {
		return traceQLError(err)
	}
	var resp *traceql.SearchResponse
	if opts.Target.useServer() {
		if resp, err = searchServer(ctx, opts, query, start, end); err != nil {
			return err
		}
	} else {
		be, err := opts.Target.Storage.open(ctx)
		if err != nil {
			return err
		}
		defer be.Close()
		resp, err = blocktools.Search(ctx, be, opts.Target.Tenant, query, blocktools.SearchOptions{
			Start: start, End: end, Limit: opts.Limit, SpansPerSpanSet: opts.SPSS,
			OnBlockError: blockWarning(errOut),
		})
		if err != nil {
			return traceQLError(err)
		}
	}
	if len(resp.Traces) == 0 {
		fmt.Fprintf(errOut, "no traces match in tenant %q (searched %d of %d blocks)\n", opts.Target.Tenant, resp.Metrics.CompletedJobs, resp.Metrics.TotalBlocks)
		return silentError{code: exitFailure}
	}
	if opts.Output.Format != "table" {
		return printStructured(out, opts.Output.Format, resp)
	}
	t := newTable(out, "TRACE ID", "ROOT SERVICE", "ROOT NAME", "START", "DURATION", "MATCHED")
	for _, tr := range resp.Traces {
		matched := 0
		for _, ss := range tr.SpanSets {
			matched += int(ss.Matched)
		}
		t.row(tr.TraceID, orDash(tr.RootServiceName), orDash(tr.RootTraceName),
			time.Unix(0, int64(tr.StartTimeUnixNano)).UTC().Format("2006-01-02T15:04:05.000Z"),
			durationMs(tr.DurationMs), strconv.Itoa(matched))
	}
	if err := t.flush(); err != nil {
		return err
	}
	m := resp.Metrics
	fmt.Fprintf(errOut, "%d traces; inspected %d traces, %s in %d of %d blocks\n",
		len(resp.Traces), m.InspectedTraces, humanBytes(m.InspectedBytes), m.CompletedJobs, m.TotalBlocks)
	return nil
}

// durationMs shows the API's whole-millisecond trace duration.
func durationMs(ms uint32) string {
	if ms == 0 {
		return "<1ms"
	}
	return tracetree.FormatDuration(time.Duration(ms) * time.Millisecond)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
