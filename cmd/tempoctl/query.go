package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/tempoctl/tempoctl/blocktools"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/tracetree"
)

func init() {
	subcommands = append(subcommands, func(root *cobra.Command) {
		q := &cobra.Command{
			Use:   "query",
			Short: "Read traces from a bucket or a running server",
		}
		q.AddCommand(newQueryTraceCmd())
		for _, add := range querySubcommands {
			q.AddCommand(add())
		}
		root.AddCommand(q)
	})
}

// querySubcommands lets each `query` subcommand live in its own file.
var querySubcommands []func() *cobra.Command

type queryTraceOptions struct {
	Storage storageFlags
	Remote  serverFlags
	Tenant  string
	Output  outputFlag
}

func newQueryTraceCmd() *cobra.Command {
	opts := &queryTraceOptions{}
	cmd := &cobra.Command{
		Use:   "trace TRACE_ID",
		Short: "Print one trace, from a server or straight from the bucket",
		Long: `Look a trace up in every block of a tenant (bloom filter first, then the
block's trace-ID index) and print it, combining parts stored in several blocks.

With --server (or when no bucket flag is given: http://localhost:3200) the
trace comes from a running server's GET /api/traces/{id}, which also holds
the live data not yet flushed to blocks; --tenant is then sent as
X-Scope-OrgID and --header adds headers (e.g. for a proxy's auth).

Output formats:
  tree  a span tree with service, name, duration, offset and errors (default)
  json  OTLP JSON ({"resourceSpans":[...]}, hex IDs)

A trace that is not found is reported on stderr with exit code 1.`,
		Example: `  tempoctl query trace 4bf92f3577b34da6a3ce929d0e0e4736 --backend local --bucket ./tempo-data/traces --tenant single-tenant
  tempoctl query trace 4bf92f3577b34da6a3ce929d0e0e4736 --config.file tempo.yaml --tenant acme -o json
  tempoctl query trace 4bf92f3577b34da6a3ce929d0e0e4736 --server http://tempo:3200 --tenant acme --header "Authorization=Bearer $TOKEN"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.validate(); err != nil {
				return err
			}
			id, err := model.ParseTraceID(args[0])
			if err != nil {
				return usageErrorf("trace ID %q: %v", args[0], err)
			}
			if opts.Remote.useServer(&opts.Storage) {
				tenant := ""
				if cmd.Flags().Changed("tenant") {
					tenant = opts.Tenant
				}
				return runQueryTraceServer(cmd.Context(), opts, tenant, id, cmd.OutOrStdout(), cmd.ErrOrStderr())
			}
			return runQueryTrace(cmd.Context(), opts, id, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	opts.Storage.register(cmd)
	opts.Remote.register(cmd)
	cmd.Flags().StringVar(&opts.Tenant, "tenant", "single-tenant", "tenant to read")
	opts.Output.register(cmd, "tree", "tree", "json")
	return cmd
}

func runQueryTrace(ctx context.Context, opts *queryTraceOptions, id model.TraceID, out, errOut io.Writer) error {
	be, err := opts.Storage.open(ctx)
	if err != nil {
		return err
	}
	defer be.Close()
	res, err := blocktools.FindTrace(ctx, be, opts.Tenant, id)
	if err != nil {
		return err
	}
	for _, e := range res.Errors {
		fmt.Fprintln(errOut, "warning: skipped unreadable block:", e)
	}
	if !res.Found {
		fmt.Fprintf(errOut, "trace %s not found in tenant %q (%d blocks, %d searched)\n", id, opts.Tenant, res.Considered, res.Searched)
		return silentError{code: exitFailure}
	}
	if opts.Output.Format == "json" {
		b, err := model.MarshalOTLPJSON(res.Trace)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s\n", b)
		return err
	}
	return tracetree.Render(out, res.Trace)
}
