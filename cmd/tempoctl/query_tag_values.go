package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tempoctl/tempoctl/blocktools"
)

func init() { querySubcommands = append(querySubcommands, newQueryTagValuesCmd) }

type queryTagValuesOptions struct {
	Target queryTarget
	Query  string
	Limit  int
	Output outputFlag
}

func newQueryTagValuesCmd() *cobra.Command {
	opts := &queryTagValuesOptions{}
	cmd := &cobra.Command{
		Use:   "tag-values NAME",
		Short: "List the values of an attribute or intrinsic, from a server or straight from the bucket",
		Long: `List the distinct values of a tag in a tenant's blocks, with their types.

NAME is a TraceQL identifier: resource.service.name, span.http.method,
.foo (span or resource), name, status, kind, event:name, … A plain name
without a scope (service.name) is looked up in every scope, like Tempo's
v1 tag-values API. Values in dedicated columns are included; arrays give
one value per element. status and kind list their keywords; durations
have no value list.

--query is a TraceQL filter such as '{ resource.service.name = "cart" }':
only spans matching it contribute values (an incomplete filter is reduced
to the parts that parse, as Tempo does).

With --server URL (or when no bucket flag is given: http://localhost:3200)
the values come from that server's GET /api/v2/search/tag/NAME/values (a
plain name uses the v1 route, which lists string values only).

Output formats:
  table  value and type, sorted by value (default)
  json   the body of Tempo's GET /api/v2/search/tag/NAME/values
  yaml   the same as YAML

No values: a message on stderr and exit code 1.`,
		Example: `  tempoctl query tag-values resource.service.name --backend local --bucket ./tempo-data/traces
  tempoctl query tag-values span.http.route --query '{ resource.service.name = "cart" }' --since 1h --config.file tempo.yaml
  tempoctl query tag-values service.name --tenant acme -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.validate(); err != nil {
				return err
			}
			if opts.Limit < 0 {
				return usageErrorf("--limit must not be negative")
			}
			tag, err := parseTagArg(args[0])
			if err != nil {
				return err
			}
			return runQueryTagValues(cmd.Context(), opts, args[0], tag, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	opts.Target.register(cmd)
	cmd.Flags().StringVar(&opts.Query, "query", "", "TraceQL filter: only spans matching it contribute values")
	cmd.Flags().IntVar(&opts.Limit, "limit", 0, "maximum number of values (0 = all)")
	opts.Output.register(cmd, "table", "table", "json", "yaml")
	return cmd
}

// parseTagArg takes a TraceQL identifier, or a plain attribute name that
// is not one (service.name) as a name in any scope.
func parseTagArg(name string) (blocktools.TagName, error) {
	if name == "" {
		return blocktools.TagName{}, usageErrorf("tag name is empty")
	}
	tag, err := blocktools.ParseTagName(name)
	if err == nil {
		return tag, nil
	}
	if !strings.ContainsAny(name, " \t{}()=!<>&|~\"") && !strings.HasPrefix(name, ".") && !strings.Contains(name, ":") {
		return blocktools.RawTagName(name), nil
	}
	return blocktools.TagName{}, usageError{err}
}

func runQueryTagValues(ctx context.Context, opts *queryTagValuesOptions, name string, tag blocktools.TagName, out, errOut io.Writer) error {
	start, end, err := opts.Target.window(time.Now())
	if err != nil {
		return err
	}
	var resp *blocktools.TagValuesResponse
	if opts.Target.useServer() {
		if resp, err = tagValuesServer(ctx, opts, name, tag, start, end); err != nil {
			return err
		}
	} else {
		be, err := opts.Target.Storage.open(ctx)
		if err != nil {
			return err
		}
		defer be.Close()
		resp, err = blocktools.TagValues(ctx, be, opts.Target.Tenant, tag, blocktools.TagValuesOptions{
			Start: start, End: end, Query: opts.Query, Limit: opts.Limit,
			OnBlockError: blockWarning(errOut),
		})
		if err != nil {
			return err
		}
	}
	if len(resp.TagValues) == 0 {
		fmt.Fprintf(errOut, "no values for %s in tenant %q (%d blocks)\n", name, opts.Target.Tenant, resp.Metrics.TotalBlocks)
		return silentError{code: exitFailure}
	}
	if opts.Output.Format != "table" {
		return printStructured(out, opts.Output.Format, resp)
	}
	t := newTable(out, "VALUE", "TYPE")
	for _, v := range resp.TagValues {
		t.row(v.Value, v.Type)
	}
	return t.flush()
}
