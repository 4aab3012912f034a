package main

import (
	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/tempoctl/tempoctl/blocktools"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

func init() { blocksSubcommands = append(blocksSubcommands, newBlocksConvertCmd) }

type blocksConvertOptions struct {
	Storage       storageFlags
	Tenant        string
	To            string
	RowGroupBytes int
	DryRun        bool
	Output        outputFlag
}

func newBlocksConvertCmd() *cobra.Command {
	opts := &blocksConvertOptions{}
	cmd := &cobra.Command{
		Use:   "convert BLOCK_ID... --tenant T --to vParquet4|vParquet5",
		Short: "Convert blocks to another format version in the bucket",
		Long: `Rewrite blocks in another format version: vParquet5 (Tempo 3's default) or
vParquet4 (readable by every Tempo since 2.5, e.g. before a downgrade). Each
new block gets a new ID, keeps the tenant, compaction level, replication
factor and dedicated columns (those the target version can hold), and the
original is retired (marked compacted, deleted by retention later).
Blocks already in the target version are left alone.

Like blocks rewrite, it is safe to interrupt: run it again to finish.`,
		Example: `  tempoctl blocks convert 11bccac9-5959-4123-be30-7bef8c0fa52c --tenant acme --to vParquet5 --backend local --bucket ./tempo-data/traces
  tempoctl blocks convert 11bccac9-5959-4123-be30-7bef8c0fa52c --tenant acme --to vParquet4 --config.file tempo.yaml -o json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.validate(); err != nil {
				return err
			}
			if opts.Tenant == "" {
				return usageErrorf("--tenant is required")
			}
			if !validVersion(opts.To) {
				return usageErrorf("--to %q: use vParquet4 or vParquet5", opts.To)
			}
			ro := &blocktools.RewriteOptions{Tenant: opts.Tenant, ToVersion: opts.To, DryRun: opts.DryRun,
				Block: block.Config{RowGroupSizeBytes: opts.RowGroupBytes}}
			for _, a := range args {
				id, err := uuid.Parse(a)
				if err != nil {
					return usageErrorf("block ID %q: %v", a, err)
				}
				ro.Blocks = append(ro.Blocks, id)
			}
			return runBlocksRewrite(cmd.Context(), &opts.Storage, ro, opts.Output.Format, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	opts.Storage.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&opts.Tenant, "tenant", "", "tenant of the blocks (required)")
	fl.StringVar(&opts.To, "to", "", "target version: vParquet4 or vParquet5 (required)")
	fl.IntVar(&opts.RowGroupBytes, "row-group-size-bytes", vparquet.DefaultRowGroupSizeBytes, "parquet row group size of the new blocks")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "report what would be converted; write nothing")
	opts.Output.register(cmd, "table", "table", "json")
	return cmd
}
