package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/tempoctl/tempoctl/storage/backend"
)

func init() {
	subcommands = append(subcommands, func(root *cobra.Command) {
		blocks := &cobra.Command{
			Use:   "blocks",
			Short: "Inspect, import, compact and repair blocks in a bucket",
			Long:  "Commands that work offline on the blocks of a Tempo-format bucket (local, S3, GCS, Azure).",
		}
		blocks.AddCommand(newBlocksListCmd(nil))
		for _, add := range blocksSubcommands {
			blocks.AddCommand(add())
		}
		root.AddCommand(blocks)
	})
}

// blocksSubcommands lets each `blocks` subcommand live in its own file.
var blocksSubcommands []func() *cobra.Command

type blocksListOptions struct {
	Storage storageFlags
	Tenant  string
	Output  outputFlag
}

func newBlocksListCmd(runF func(context.Context, *blocksListOptions, io.Writer) error) *cobra.Command {
	opts := &blocksListOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the blocks of one tenant or all tenants",
		Long: `List one row per block: tenant, block ID, format, traces, size, start, end,
compaction level and whether it is compacted, with totals at the end.`,
		Example: `  tempoctl blocks list --backend local --bucket ./tempo-data/traces
  tempoctl blocks list --backend s3 --bucket tempo --s3-endpoint 127.0.0.1:9000 --s3-insecure --tenant acme -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Output.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts, cmd.OutOrStdout())
			}
			return runBlocksList(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	opts.Storage.register(cmd)
	cmd.Flags().StringVar(&opts.Tenant, "tenant", "", "only this tenant (default: all tenants)")
	opts.Output.register(cmd, "table", "table", "json", "yaml")
	return cmd
}

// blockRow is one block in `blocks list` output.
type blockRow struct {
	Tenant          string    `json:"tenant"`
	BlockID         string    `json:"blockID"`
	Format          string    `json:"format"`
	Traces          int64     `json:"traces"`
	Size            uint64    `json:"size"`
	Start           time.Time `json:"start"`
	End             time.Time `json:"end"`
	CompactionLevel uint32    `json:"compactionLevel"`
	Compacted       bool      `json:"compacted"`
}

type blocksListResult struct {
	Blocks      []blockRow `json:"blocks"`
	TotalBlocks int        `json:"totalBlocks"`
	TotalTraces int64      `json:"totalTraces"`
	TotalSize   uint64     `json:"totalSize"`
	Errors      []string   `json:"errors,omitempty"`
}

func runBlocksList(ctx context.Context, opts *blocksListOptions, out io.Writer) error {
	be, err := opts.Storage.open(ctx)
	if err != nil {
		return err
	}
	defer be.Close()
	tenants, err := resolveTenants(ctx, be, opts.Tenant)
	if err != nil {
		return err
	}
	res := blocksListResult{Blocks: []blockRow{}}
	for _, tenant := range tenants {
		metas, compacted, bad, err := be.PollBlocks(ctx, tenant)
		if err != nil {
			return err
		}
		for _, b := range bad {
			res.Errors = append(res.Errors, b.Error())
		}
		add := func(m *backend.BlockMeta, isCompacted bool) {
			res.Blocks = append(res.Blocks, blockRow{
				Tenant: tenant, BlockID: m.BlockID.String(), Format: m.Version, Traces: m.TotalObjects,
				Size: m.Size, Start: m.StartTime.UTC(), End: m.EndTime.UTC(), CompactionLevel: m.CompactionLevel, Compacted: isCompacted,
			})
			res.TotalTraces += m.TotalObjects
			res.TotalSize += m.Size
		}
		for _, m := range metas {
			add(m, false)
		}
		for _, c := range compacted {
			add(&c.BlockMeta, true)
		}
	}
	res.TotalBlocks = len(res.Blocks)
	if opts.Output.Format != "table" {
		return printStructured(out, opts.Output.Format, res)
	}
	t := newTable(out, "TENANT", "BLOCK ID", "FORMAT", "TRACES", "SIZE", "START", "END", "LEVEL", "COMPACTED")
	for _, b := range res.Blocks {
		t.row(b.Tenant, b.BlockID, b.Format, strconv.FormatInt(b.Traces, 10), humanBytes(b.Size),
			b.Start.Format(time.RFC3339), b.End.Format(time.RFC3339), strconv.Itoa(int(b.CompactionLevel)), yesNo(b.Compacted))
	}
	t.row("TOTAL", fmt.Sprintf("%d blocks", res.TotalBlocks), "", strconv.FormatInt(res.TotalTraces, 10), humanBytes(res.TotalSize), "", "", "", "")
	if err := t.flush(); err != nil {
		return err
	}
	for _, e := range res.Errors {
		fmt.Fprintln(out, "unreadable:", e)
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
