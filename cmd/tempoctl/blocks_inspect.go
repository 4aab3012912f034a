package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/tempoctl/tempoctl/blocktools"
)

func init() { blocksSubcommands = append(blocksSubcommands, newBlocksInspectCmd) }

type blocksInspectOptions struct {
	Storage storageFlags
	Tenant  string
	Output  outputFlag
}

func newBlocksInspectCmd() *cobra.Command {
	opts := &blocksInspectOptions{}
	cmd := &cobra.Command{
		Use:   "inspect BLOCK_ID",
		Short: "Show a block's meta, row groups, columns, dedicated columns and bloom shards",
		Long: `Read a block's meta.json (or meta.compacted.json), its parquet footer and bloom
filter objects and print: the meta, each row group with its rows, sizes and
trace-ID range, the span count, every column's compressed and uncompressed
size (largest first), the dedicated attribute columns and the bloom shards.`,
		Example: `  tempoctl blocks inspect 14456428-33c7-433e-abcb-1d6dfb46c8f1 --tenant single-tenant --backend local --bucket ./tempo-data/traces
  tempoctl blocks inspect 14456428-33c7-433e-abcb-1d6dfb46c8f1 --tenant single-tenant --config.file tempo.yaml -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.validate(); err != nil {
				return err
			}
			id, err := uuid.Parse(args[0])
			if err != nil {
				return usageErrorf("block ID %q is not a UUID", args[0])
			}
			if opts.Tenant == "" {
				return usageErrorf("--tenant is required")
			}
			return runBlocksInspect(cmd.Context(), opts, id, cmd.OutOrStdout())
		},
	}
	opts.Storage.register(cmd)
	cmd.Flags().StringVar(&opts.Tenant, "tenant", "", "tenant that owns the block (required)")
	opts.Output.register(cmd, "text", "text", "json", "yaml")
	return cmd
}

func runBlocksInspect(ctx context.Context, opts *blocksInspectOptions, id uuid.UUID, out io.Writer) error {
	be, err := opts.Storage.open(ctx)
	if err != nil {
		return err
	}
	defer be.Close()
	ins, err := blocktools.Inspect(ctx, be, opts.Tenant, id)
	if err != nil {
		return err
	}
	if opts.Output.Format != "text" {
		return printStructured(out, opts.Output.Format, ins)
	}
	m := ins.Meta
	p := func(k, v string) { fmt.Fprintf(out, "%-18s %s\n", k+":", v) }
	p("Block", m.BlockID.String())
	p("Tenant", m.TenantID)
	p("Format", m.Version)
	p("Compacted", yesNo(ins.Compacted))
	p("Time range", m.StartTime.UTC().Format(time.RFC3339)+" – "+m.EndTime.UTC().Format(time.RFC3339))
	p("Traces", strconv.FormatInt(m.TotalObjects, 10))
	p("Spans", strconv.FormatInt(ins.Spans, 10))
	p("Data size", fmt.Sprintf("%s (%d bytes, footer %d)", humanBytes(uint64(ins.DataSize)), ins.DataSize, m.FooterSize))
	p("Compaction level", strconv.Itoa(int(m.CompactionLevel)))
	p("Replication", strconv.Itoa(int(m.ReplicationFactor)))
	p("Written by", ins.CreatedBy)

	fmt.Fprintf(out, "\nRow groups (%d):\n", len(ins.RowGroups))
	t := newTable(out, "  #", "ROWS", "COMPRESSED", "UNCOMPRESSED", "FIRST TRACE", "LAST TRACE")
	for i, rg := range ins.RowGroups {
		t.row("  "+strconv.Itoa(i), strconv.FormatInt(rg.Rows, 10), humanBytes(uint64(rg.CompressedSize)), humanBytes(uint64(rg.UncompressedSize)), rg.FirstTraceID, rg.LastTraceID)
	}
	if err := t.flush(); err != nil {
		return err
	}

	fmt.Fprintf(out, "\nDedicated columns (%d):\n", len(ins.DedicatedColumns))
	t = newTable(out, "  SCOPE", "NAME", "TYPE", "COLUMN")
	for _, d := range ins.DedicatedColumns {
		t.row("  "+d.Scope, d.Name, d.Type, d.Column)
	}
	if err := t.flush(); err != nil {
		return err
	}

	var bloomTotal int64
	for _, b := range ins.BloomShards {
		bloomTotal += b.Size
	}
	fmt.Fprintf(out, "\nBloom filter: %d shard(s), %s\n", len(ins.BloomShards), humanBytes(uint64(bloomTotal)))

	fmt.Fprintf(out, "\nColumns (%d, largest first):\n", len(ins.Columns))
	t = newTable(out, "  COLUMN", "COMPRESSED", "UNCOMPRESSED", "CODEC")
	for _, c := range ins.Columns {
		t.row("  "+strings.TrimSpace(c.Path), humanBytes(uint64(c.CompressedSize)), humanBytes(uint64(c.UncompressedSize)), c.Codec)
	}
	return t.flush()
}
