package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/tempoctl/tempoctl/blocktools"
)

func init() { blocksSubcommands = append(blocksSubcommands, newBlocksVerifyCmd) }

type blocksVerifyOptions struct {
	Storage storageFlags
	Tenant  string
	Repair  bool
	Output  outputFlag
}

func newBlocksVerifyCmd() *cobra.Command {
	opts := &blocksVerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify [--tenant T] [BLOCK_ID...] [--repair]",
		Short: "Read blocks fully and report (and with --repair fix) what is wrong",
		Long: `Read every block of a tenant (every tenant without --tenant, or only the
BLOCK_IDs given) from end to end and report, without stopping at the first:

  meta-missing      objects but no meta.json (directories younger than 1h are
                    blocks being written and are only listed as in-progress)
  meta-unparseable  meta.json is not a block meta, or names an unknown format
  data-missing      no data.parquet
  data-truncated    data.parquet shorter than meta.json says, or too short
  data-corrupt      bad footer, bad page (CRC mismatch), rows that do not decode
  schema-mismatch   the Parquet schema is not the format version's
  order             trace IDs not ascending (lookups by ID would miss traces)
  bloom             a bloom shard missing or corrupt, or a trace of the data the
                    bloom filter does not hold (lookups by ID miss it)
  index             the row-group index missing or not matching the data
  meta-mismatch     totalObjects, totalRecords, size, footerSize or the time
                    range disagreeing with the data

--repair then fixes what it can and prints what it did:
  - readable data: bloom, index and meta.json are rebuilt from the data (a
    missing or unparseable meta.json from the tenant index's entry, the only
    other place that knows the block's dedicated columns);
  - partly readable data (a corrupt row group): the readable traces are copied
    into a new block, and the original is quarantined;
  - unreadable data: the block is quarantined: nocompact.flg is written (so no
    compactor trips on it) and meta.json is renamed meta.quarantined.json, which
    takes it out of every reader's block list while keeping it in the bucket.
    To restore it, rename meta.quarantined.json back to meta.json; to drop it,
    delete its directory. The tenant index is rewritten after repairs.

The exit code is 1 when any problem was found (also with --repair: run verify
again to confirm the result), 0 when every block is sound.`,
		Example: `  tempoctl blocks verify --tenant acme --backend local --bucket ./tempo-data/traces
  tempoctl blocks verify --config.file tempo.yaml 2f1e0b5c-7c62-4d0e-a7c4-5b4f51f1e0aa --repair
  tempoctl blocks verify --backend s3 --bucket tempo --s3-endpoint minio:9000 -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.validate(); err != nil {
				return err
			}
			var ids []uuid.UUID
			for _, a := range args {
				id, err := uuid.Parse(a)
				if err != nil {
					return usageErrorf("block ID %q: %v", a, err)
				}
				ids = append(ids, id)
			}
			return runBlocksVerify(cmd.Context(), opts, ids, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	opts.Storage.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&opts.Tenant, "tenant", "", "only this tenant (default: every tenant)")
	fl.BoolVar(&opts.Repair, "repair", false, "rebuild bloom, index and meta from readable data; salvage or quarantine the rest")
	opts.Output.register(cmd, "table", "table", "json")
	return cmd
}

func runBlocksVerify(ctx context.Context, opts *blocksVerifyOptions, ids []uuid.UUID, out, errOut io.Writer) error {
	be, err := opts.Storage.open(ctx)
	if err != nil {
		return err
	}
	defer be.Close()
	vo := blocktools.VerifyOptions{Blocks: ids, Repair: opts.Repair}
	if opts.Tenant != "" {
		vo.Tenants = []string{opts.Tenant}
	}
	prog := newProgressPrinter(errOut)
	vo.Progress = prog.update
	res, err := blocktools.Verify(ctx, be, vo)
	prog.finish()
	if errors.Is(err, context.Canceled) {
		return interrupted(errOut, "the blocks checked so far are reported; nothing is left half-repaired.")
	}
	if err != nil {
		return err
	}
	if opts.Output.Format == "json" {
		if err := printStructured(out, "json", res); err != nil {
			return err
		}
	} else {
		printVerify(out, res)
	}
	if len(res.Missing) > 0 {
		fmt.Fprintf(errOut, "not found: %s\n", strings.Join(res.Missing, ", "))
	}
	if res.WithProblem > 0 || len(res.Missing) > 0 {
		return silentError{code: exitFailure}
	}
	return nil
}

func printVerify(out io.Writer, res *blocktools.VerifyResult) {
	t := newTable(out, "TENANT", "BLOCK ID", "STATE", "FORMAT", "TRACES", "RESULT")
	for _, b := range res.Blocks {
		result := "ok"
		switch b.State {
		case "compacted", "in-progress", "quarantined":
			result = "not checked"
		}
		if !b.OK() {
			result = fmt.Sprintf("%d problem(s)", len(b.Problems))
		}
		if b.Quarantined {
			result += ", quarantined"
		} else if len(b.Repairs) > 0 {
			result += ", repaired"
		}
		t.row(b.Tenant, b.BlockID, b.State, b.Version, strconv.FormatInt(b.Traces, 10), result)
	}
	t.flush()
	for _, b := range res.Blocks {
		if b.OK() && len(b.Repairs) == 0 {
			continue
		}
		fmt.Fprintf(out, "%s/%s:\n", b.Tenant, b.BlockID)
		for _, p := range b.Problems {
			fmt.Fprintf(out, "  %s: %s\n", p.Kind, p.Detail)
		}
		for _, r := range b.Repairs {
			fmt.Fprintf(out, "  repair: %s\n", r)
		}
	}
	fmt.Fprintf(out, "%d block(s) checked, %d with problems", res.Checked, res.WithProblem)
	if res.Repaired+res.Quarantined+res.Salvaged > 0 {
		fmt.Fprintf(out, "; %d repaired, %d salvaged, %d quarantined", res.Repaired, res.Salvaged, res.Quarantined)
	}
	fmt.Fprintln(out)
}
