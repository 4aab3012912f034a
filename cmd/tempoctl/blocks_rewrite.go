package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/tempoctl/tempoctl/blocktools"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
	"github.com/tempoctl/tempoctl/traceql"
)

func init() { blocksSubcommands = append(blocksSubcommands, newBlocksRewriteCmd) }

type blocksRewriteOptions struct {
	Storage       storageFlags
	Tenant        string
	TraceIDs      []string
	TraceIDsFile  string
	Drop          string
	Redact        []string
	RedactWith    string
	To            string
	RowGroupBytes int
	DryRun        bool
	Output        outputFlag
}

func newBlocksRewriteCmd() *cobra.Command {
	opts := &blocksRewriteOptions{}
	cmd := &cobra.Command{
		Use:   "rewrite --tenant T [BLOCK_ID...] [--trace-id ID]... [--trace-ids-file F] [--drop QUERY] [--redact ATTR]... [--to VERSION]",
		Short: "Drop traces, redact attributes or convert blocks, then retire the originals",
		Long: `Write new blocks from a tenant's blocks (all live blocks, or the BLOCK_IDs given)
with traces removed, attributes redacted or the format converted, then retire
the originals: they are marked compacted and deleted by retention after
compacted_block_retention. Blocks the rewrite does not change are left alone.

  --trace-id ID         drop this trace (repeatable, or comma-separated)
  --trace-ids-file F    drop the traces listed in F (one ID per line, # comments)
  --drop QUERY          drop every trace with a span matching this TraceQL query,
                        e.g. '{ resource.service.name = "legacy" }'. A trace goes
                        from every block when its part in any block matches.
  --redact ATTR         remove this attribute wherever it is: span.user.email,
                        resource.host.ip, event.x, link.x, instrumentation.x, or
                        .user.email for every scope (repeatable)
  --redact-with S       overwrite redacted values with S instead of removing them
  --to VERSION          convert to vParquet4 or vParquet5

The blocks are read first; nothing is written with --dry-run. Then the blocks
that change get nocompact.flg (so a compactor does not copy traces being dropped
meanwhile), their replacements are written completely, and only then are the
originals retired and the tenant index rewritten. If the command is stopped at
any point (Ctrl-C, a crash), run it again with the same arguments: it finds the
blocks it already wrote, and every kept trace ends up readable exactly once.

The exit code is 1 when a block could not be rewritten.`,
		Example: `  # GDPR: remove one user's traces
  tempoctl blocks rewrite --tenant acme --trace-ids-file ids.txt --backend local --bucket ./tempo-data/traces
  # what would a TraceQL deletion remove?
  tempoctl blocks rewrite --tenant acme --drop '{ resource.service.name = "legacy" }' --dry-run --config.file tempo.yaml
  # strip e-mail addresses everywhere
  tempoctl blocks rewrite --tenant acme --redact .user.email --redact span.http.url --config.file tempo.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.validate(); err != nil {
				return err
			}
			ro, err := opts.toRewrite(args, cmd.Flags().Changed("redact-with"))
			if err != nil {
				return err
			}
			return runBlocksRewrite(cmd.Context(), &opts.Storage, ro, opts.Output.Format, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	opts.Storage.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&opts.Tenant, "tenant", "", "tenant whose blocks to rewrite (required)")
	fl.StringSliceVar(&opts.TraceIDs, "trace-id", nil, "trace ID to drop (repeatable, comma-separated allowed)")
	fl.StringVar(&opts.TraceIDsFile, "trace-ids-file", "", "file of trace IDs to drop, one per line")
	fl.StringVar(&opts.Drop, "drop", "", "TraceQL query: drop every trace with a matching span")
	fl.StringArrayVar(&opts.Redact, "redact", nil, "attribute to redact: span.x, resource.x, event.x, link.x, instrumentation.x or .x (repeatable)")
	fl.StringVar(&opts.RedactWith, "redact-with", "", "replace redacted values with this string instead of removing the attribute")
	fl.StringVar(&opts.To, "to", "", "convert to this block version: vParquet4 or vParquet5")
	fl.IntVar(&opts.RowGroupBytes, "row-group-size-bytes", vparquet.DefaultRowGroupSizeBytes, "parquet row group size of the new blocks")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "read and report what would change; write nothing")
	opts.Output.register(cmd, "table", "table", "json")
	return cmd
}

// toRewrite validates the flags into blocktools options (usage errors exit 2).
func (o *blocksRewriteOptions) toRewrite(args []string, redactWithSet bool) (*blocktools.RewriteOptions, error) {
	if o.Tenant == "" {
		return nil, usageErrorf("--tenant is required")
	}
	ro := &blocktools.RewriteOptions{Tenant: o.Tenant, DropQuery: o.Drop, ToVersion: o.To, DryRun: o.DryRun,
		Block: block.Config{RowGroupSizeBytes: o.RowGroupBytes}}
	for _, a := range args {
		id, err := uuid.Parse(a)
		if err != nil {
			return nil, usageErrorf("block ID %q: %v", a, err)
		}
		ro.Blocks = append(ro.Blocks, id)
	}
	for _, s := range o.TraceIDs {
		id, err := model.ParseTraceID(s)
		if err != nil {
			return nil, usageErrorf("--trace-id %q: %v", s, err)
		}
		ro.DropIDs = append(ro.DropIDs, id)
	}
	if o.TraceIDsFile != "" {
		b, err := os.ReadFile(o.TraceIDsFile)
		if err != nil {
			return nil, usageErrorf("--trace-ids-file: %v", err)
		}
		ids, err := blocktools.ParseTraceIDs(string(b))
		if err != nil {
			return nil, usageErrorf("--trace-ids-file %s: %v", o.TraceIDsFile, err)
		}
		if len(ids) == 0 {
			return nil, usageErrorf("--trace-ids-file %s lists no trace ID", o.TraceIDsFile)
		}
		ro.DropIDs = append(ro.DropIDs, ids...)
	}
	for _, r := range o.Redact {
		a, err := blocktools.ParseRedactAttr(r)
		if err != nil {
			return nil, usageErrorf("--%v", err)
		}
		ro.Redact = append(ro.Redact, a)
	}
	if redactWithSet {
		if len(ro.Redact) == 0 {
			return nil, usageErrorf("--redact-with needs --redact")
		}
		w := o.RedactWith
		ro.RedactWith = &w
	}
	if o.Drop != "" {
		q, err := traceql.Parse(o.Drop)
		if err != nil {
			return nil, usageErrorf("--drop: %v", err)
		}
		if q.IsMetrics() {
			return nil, usageErrorf("--drop: a metrics query selects no traces; use a spanset filter such as '{ resource.service.name = \"legacy\" }'")
		}
	}
	if o.To != "" && !validVersion(o.To) {
		return nil, usageErrorf("--to %q: use vParquet4 or vParquet5", o.To)
	}
	if len(ro.DropIDs) == 0 && ro.DropQuery == "" && len(ro.Redact) == 0 && ro.ToVersion == "" {
		return nil, usageErrorf("nothing to do: give --trace-id, --trace-ids-file, --drop, --redact or --to")
	}
	return ro, nil
}

func validVersion(v string) bool {
	for _, x := range block.Versions {
		if v == x {
			return true
		}
	}
	return false
}

func runBlocksRewrite(ctx context.Context, sf *storageFlags, ro *blocktools.RewriteOptions, format string, out, errOut io.Writer) error {
	be, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer be.Close()
	prog := newProgressPrinter(errOut)
	ro.Progress = prog.update
	res, err := blocktools.Rewrite(ctx, be, *ro)
	prog.finish()
	if errors.Is(err, context.Canceled) {
		return interrupted(errOut, "no original was retired unless all its replacements were complete. Run the same command again to finish.")
	}
	if err != nil {
		return err
	}
	if format == "json" {
		if err := printStructured(out, "json", res); err != nil {
			return err
		}
	} else {
		printRewrite(out, res)
	}
	notLive := 0
	for _, b := range res.Blocks {
		if b.Action == "not-live" {
			notLive++
			fmt.Fprintf(errOut, "block %s is not a live block of tenant %s\n", b.BlockID, ro.Tenant)
		}
	}
	if res.Failed > 0 || notLive > 0 {
		return silentError{code: exitFailure}
	}
	return nil
}

func printRewrite(out io.Writer, res *blocktools.RewriteResult) {
	t := newTable(out, "BLOCK", "ACTION", "TRACES", "DROPPED", "REDACTED", "NEW BLOCKS")
	for _, b := range res.Blocks {
		if b.Action == "unchanged" || b.Action == "not-live" {
			continue
		}
		news := ""
		for i, o := range b.Outputs {
			if i > 0 {
				news += ","
			}
			news += o.BlockID.String()
		}
		if b.Error != "" {
			news = "error: " + b.Error
		}
		t.row(b.BlockID, b.Action, strconv.FormatInt(b.Traces, 10), strconv.FormatInt(b.TracesDropped, 10), strconv.FormatInt(b.Redacted, 10), news)
	}
	t.flush()
	verb := "rewrote"
	if res.DryRun {
		verb = "would rewrite"
	}
	fmt.Fprintf(out, "%s %d block(s), removed %d, left %d unchanged; %d trace(s) dropped, %d attribute value(s) redacted",
		verb, res.Rewritten, res.Removed, res.Unchanged, res.TracesDropped, res.Redacted)
	if res.Failed > 0 {
		fmt.Fprintf(out, "; %d block(s) failed", res.Failed)
	}
	fmt.Fprintln(out)
}
