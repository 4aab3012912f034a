package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/blocktools"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

func init() { blocksSubcommands = append(blocksSubcommands, newBlocksImportCmd) }

type blocksImportOptions struct {
	Storage          storageFlags
	Tenant           string
	Version          string
	MaxBlockBytes    uint64
	MaxBlockDuration time.Duration
	RowGroupBytes    int
}

func newBlocksImportCmd() *cobra.Command {
	opts := &blocksImportOptions{}
	cmd := &cobra.Command{
		Use:   "import --tenant T FILE...",
		Short: "Backfill: write OTLP trace files into new blocks",
		Long: `Read OTLP traces and write them as new blocks of a tenant.

Input files are OTLP JSON with one TracesData per line (what the OpenTelemetry
Collector's file exporter writes) or a binary OTLP protobuf message; "-" reads
stdin. Spans of the same trace are combined, traces are partitioned by start
time into blocks of at most --max-block-bytes, each block is written sorted by
trace ID, and the tenant index is rewritten.

Lines that are not valid OTLP JSON are reported with their file and line
number and skipped; the command then exits with code 1 after writing the rest.`,
		Example: `  tempoctl blocks import --tenant acme --backend local --bucket ./tempo-data/traces traces.jsonl
  otelcol-export.sh | tempoctl blocks import --tenant acme --version vParquet4 --config.file tempo.yaml -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Tenant == "" {
				return usageErrorf("--tenant is required")
			}
			if opts.Version != backend.VersionVParquet5 && opts.Version != backend.VersionVParquet4 {
				return usageErrorf("--version %q: use vParquet5 or vParquet4", opts.Version)
			}
			return runBlocksImport(cmd.Context(), opts, args, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	opts.Storage.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&opts.Tenant, "tenant", "", "tenant to write the blocks for (required)")
	fl.StringVar(&opts.Version, "version", backend.VersionVParquet5, "block format: vParquet5 or vParquet4")
	fl.Uint64Var(&opts.MaxBlockBytes, "max-block-bytes", blocktools.DefaultImportMaxBlockBytes, "cut a new block past this many bytes of OTLP data")
	fl.DurationVar(&opts.MaxBlockDuration, "max-block-duration", 0, "cut a new block when trace starts span more than this (0: no limit)")
	fl.IntVar(&opts.RowGroupBytes, "row-group-size-bytes", vparquet.DefaultRowGroupSizeBytes, "parquet row group size")
	return cmd
}

func runBlocksImport(ctx context.Context, opts *blocksImportOptions, files []string, stdin io.Reader, out, errOut io.Writer) error {
	be, err := opts.Storage.open(ctx)
	if err != nil {
		return err
	}
	defer be.Close()
	im := blocktools.NewImporter()
	badLines := 0
	for _, name := range files {
		var r io.Reader = stdin
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return usageErrorf("input: %v", err)
			}
			defer f.Close()
			r = f
		}
		bad, err := blocktools.ReadTraceFile(r, func(td ptrace.Traces) error { im.Add(td); return nil })
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for _, b := range bad {
			fmt.Fprintf(errOut, "%s:%d: skipped: %v\n", name, b.Line, b.Err)
		}
		badLines += len(bad)
	}
	metas, err := im.Write(ctx, be, blocktools.ImportConfig{
		Tenant: opts.Tenant,
		Block: block.Config{
			Version:           opts.Version,
			RowGroupSizeBytes: opts.RowGroupBytes,
			DedicatedColumns:  vparquet.DefaultDedicatedColumns(),
		},
		MaxBlockBytes:    opts.MaxBlockBytes,
		MaxBlockDuration: opts.MaxBlockDuration,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "imported %d traces (%d spans) into %d block(s) for tenant %s\n", im.Traces(), im.Spans(), len(metas), opts.Tenant)
	if len(metas) > 0 {
		t := newTable(out, "BLOCK ID", "FORMAT", "TRACES", "SIZE", "START", "END")
		for _, m := range metas {
			t.row(m.BlockID.String(), m.Version, strconv.FormatInt(m.TotalObjects, 10), humanBytes(m.Size),
				m.StartTime.UTC().Format(time.RFC3339), m.EndTime.UTC().Format(time.RFC3339))
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	if badLines > 0 {
		fmt.Fprintf(errOut, "%d bad line(s) skipped\n", badLines)
		return silentError{code: exitFailure}
	}
	return nil
}
