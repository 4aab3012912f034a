package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/tempoctl/tempoctl/blocktools"
)

func init() { querySubcommands = append(querySubcommands, newQueryTagsCmd) }

type queryTagsOptions struct {
	Target queryTarget
	Scope  string
	Query  string
	Limit  int
	Output outputFlag
}

func newQueryTagsCmd() *cobra.Command {
	opts := &queryTagsOptions{}
	cmd := &cobra.Command{
		Use:   "tags",
		Short: "List attribute names by scope, from a server or straight from the bucket",
		Long: `List the attribute (tag) names found in a tenant's blocks, by scope: resource,
span, event, link and instrumentation, plus the static list of intrinsics.
Attributes stored in dedicated columns are included. Names come from the
blocks' key dictionaries, so no span is decoded unless --query filters
the spans that contribute.

--scope is one of span, resource, event, link, instrumentation, intrinsic
(default: all). --query is a TraceQL filter such as '{ resource.service.name = "cart" }';
an incomplete one is reduced to the parts that parse, as Tempo does.

With --server URL (or when no bucket flag is given: http://localhost:3200)
the names come from that server's GET /api/v2/search/tags (live data
included; without --since/--start, the server's recent window).

Output formats:
  table  one line per scope and name (default)
  json   the body of Tempo's GET /api/v2/search/tags ({"scopes":[...],"metrics":{...}})
  yaml   the same as YAML

No attribute names: a message on stderr and exit code 1.`,
		Example: `  tempoctl query tags --backend local --bucket ./tempo-data/traces
  tempoctl query tags --scope resource --config.file tempo.yaml --tenant acme -o json
  tempoctl query tags --scope span --query '{ resource.service.name = "cart" }' --since 1h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.validate(); err != nil {
				return err
			}
			if _, _, err := blocktools.ParseTagScope(opts.Scope); err != nil {
				return usageErrorf("%v (span, resource, event, link, instrumentation or intrinsic)", err)
			}
			if opts.Limit < 0 {
				return usageErrorf("--limit must not be negative")
			}
			return runQueryTags(cmd.Context(), opts, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	opts.Target.register(cmd)
	cmd.Flags().StringVar(&opts.Scope, "scope", "", "only this scope: span, resource, event, link, instrumentation or intrinsic")
	cmd.Flags().StringVar(&opts.Query, "query", "", "TraceQL filter: only spans matching it contribute names")
	cmd.Flags().IntVar(&opts.Limit, "limit", 0, "maximum names per scope (0 = all)")
	opts.Output.register(cmd, "table", "table", "json", "yaml")
	return cmd
}

func runQueryTags(ctx context.Context, opts *queryTagsOptions, out, errOut io.Writer) error {
	start, end, err := opts.Target.window(time.Now())
	if err != nil {
		return err
	}
	var resp *blocktools.TagsResponse
	if opts.Target.useServer() {
		if resp, err = tagsServer(ctx, opts, start, end); err != nil {
			return err
		}
	} else {
		be, err := opts.Target.Storage.open(ctx)
		if err != nil {
			return err
		}
		defer be.Close()
		resp, err = blocktools.Tags(ctx, be, opts.Target.Tenant, blocktools.TagsOptions{
			Start: start, End: end, Scope: opts.Scope, Query: opts.Query, Limit: opts.Limit,
			OnBlockError: blockWarning(errOut),
		})
		if err != nil {
			return err
		}
	}
	if opts.Scope != "intrinsic" && len(resp.Names()) == 0 {
		fmt.Fprintf(errOut, "no attribute names found in tenant %q (%d blocks)\n", opts.Target.Tenant, resp.Metrics.TotalBlocks)
		return silentError{code: exitFailure}
	}
	if opts.Output.Format != "table" {
		return printStructured(out, opts.Output.Format, resp)
	}
	t := newTable(out, "SCOPE", "NAME")
	for _, s := range resp.Scopes {
		for _, n := range s.Tags {
			t.row(s.Name, n)
		}
	}
	return t.flush()
}
