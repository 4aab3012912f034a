package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/tempoctl/tempoctl/blocktools"
	"github.com/tempoctl/tempoctl/migrate/jaeger"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

func init() {
	subcommands = append(subcommands, func(root *cobra.Command) {
		m := &cobra.Command{
			Use:   "migrate",
			Short: "Copy traces from other tracing systems into Tempo-format storage",
			Long:  "Commands that move traces out of another tracing backend into a bucket (or a running server).",
		}
		m.AddCommand(newMigrateJaegerCmd(nil))
		root.AddCommand(m)
	})
}

type migrateJaegerOptions struct {
	JaegerURL   string
	Files       []string
	Since       string
	Start, End  string
	Services    []string
	API         string
	Tenant      string
	Storage     storageFlags
	ToOTLP      string
	OTLPTLS     bool
	Rate        float64
	Checkpoint  string
	Resume      bool
	DryRun      bool
	Verify      int
	Concurrency int
	SearchLimit int
	Window      time.Duration
	Timeout     time.Duration
	Version     string
	MaxBytes    uint64
	MaxDuration time.Duration
	Output      outputFlag
}

func newMigrateJaegerCmd(runF func(context.Context, *migrateJaegerOptions, io.Reader, io.Writer, io.Writer) error) *cobra.Command {
	opts := &migrateJaegerOptions{}
	cmd := &cobra.Command{
		Use:   "jaeger (--jaeger-url URL [--since D | --start T [--end T]] | --file PATH...) [bucket flags | --to-otlp HOST:PORT]",
		Short: "Move a Jaeger's traces into a bucket or an OTLP endpoint",
		Long: `Copy traces out of a Jaeger into Tempo-format blocks, searchable at once.

Sources:
  --jaeger-url   a running Jaeger's query service (port 16686). api/v3 is used when
                 the server has it, else the v1 JSON API (--api forces one). Traces are
                 read raw, untouched by Jaeger's adjusters. The time range (--since, or
                 --start/--end; times are RFC3339, a date, now or now-2h) is enumerated
                 for every service (or the --service ones): searches that return
                 --search-limit traces are split until none does, trace IDs are
                 deduplicated, and every trace is fetched whole by ID. Traces still
                 being written at --end are copied as they are then: end a little
                 in the past (--end now-10m) on a live Jaeger.
  --file         files the Jaeger UI exports (Trace JSON, Download Results), api/v3
                 responses or OTLP JSON; a file, a directory, or - for stdin.

Jaeger's model is mapped to OTLP as the OpenTelemetry collector's Jaeger translator
does (as Tempo's Jaeger receiver would), with 64-bit trace IDs widened to 16 bytes.

Destinations:
  bucket flags   blocks written straight into the bucket for --tenant, partitioned by
                 time (each block's start/end covers exactly its traces) and cut at
                 --max-block-bytes; the tenant index is rewritten after every flush.
  --to-otlp      an OTLP gRPC endpoint (tempoctl serve, Tempo), with X-Scope-OrgID
                 set to --tenant and an optional --rate in spans per second.

--checkpoint FILE records finished windows (or files) and written blocks; after a
crash or Ctrl-C, the same command with --resume continues without duplicates (the
recorded time range is kept: --since is not applied again), and re-running a
finished migration writes nothing. --dry-run counts traces and spans per
service and window. --verify N reads N random traces again from the source and from
the bucket and compares them span by span.

Anything that cannot be migrated (a malformed trace, a trace gone before it was
fetched, a window Jaeger keeps failing) is skipped and listed; the exit code is then 1,
as it is when --verify finds a difference.`,
		Example: `  tempoctl migrate jaeger --jaeger-url http://jaeger:16686 --since 72h --backend local --bucket ./tempo-data/traces --checkpoint jaeger.ckpt
  tempoctl migrate jaeger --jaeger-url http://jaeger:16686 --start 2026-11-20 --end now-1h --service checkout --config.file tempo.yaml --verify 50
  tempoctl migrate jaeger --jaeger-url http://jaeger:16686 --since 2h --dry-run
  tempoctl migrate jaeger --jaeger-url http://jaeger:16686 --since 24h --to-otlp tempo:4317 --tenant acme --rate 20000
  tempoctl migrate jaeger --file ./jaeger-exports/ --backend s3 --bucket tempo --s3-endpoint minio:9000 --tenant acme`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Output.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
			}
			return runMigrateJaeger(cmd.Context(), opts, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.JaegerURL, "jaeger-url", "", "Jaeger query service, e.g. http://jaeger:16686")
	fl.StringArrayVar(&opts.Files, "file", nil, "Jaeger JSON file or directory to migrate (repeatable; - reads stdin)")
	fl.StringVar(&opts.Since, "since", "", "migrate the last DURATION (72h, 3d)")
	fl.StringVar(&opts.Start, "start", "", "start of the time range (RFC3339, date, now-2h)")
	fl.StringVar(&opts.End, "end", "now", "end of the time range")
	fl.StringArrayVar(&opts.Services, "service", nil, "only traces with spans of this service (repeatable; default all)")
	fl.StringVar(&opts.API, "api", "auto", "Jaeger API: auto, v3 or v1")
	fl.StringVar(&opts.Tenant, "tenant", "single-tenant", "tenant to write for (bucket) or send as X-Scope-OrgID (OTLP)")
	opts.Storage.register(cmd)
	fl.StringVar(&opts.ToOTLP, "to-otlp", "", "send to this OTLP gRPC endpoint (HOST:PORT) instead of a bucket")
	fl.BoolVar(&opts.OTLPTLS, "otlp-tls", false, "use TLS to reach --to-otlp")
	fl.Float64Var(&opts.Rate, "rate", 0, "with --to-otlp, at most this many spans per second (0: no limit)")
	fl.StringVar(&opts.Checkpoint, "checkpoint", "", "journal of finished windows and written blocks, for --resume")
	fl.BoolVar(&opts.Resume, "resume", false, "continue the migration recorded in --checkpoint")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "count traces and spans per service and window; write nothing")
	fl.IntVar(&opts.Verify, "verify", 0, "afterwards, compare N random traces in the source and the bucket")
	fl.IntVar(&opts.Concurrency, "concurrency", 4, "trace fetches in flight")
	fl.IntVar(&opts.SearchLimit, "search-limit", jaeger.DefaultSearchLimit, "traces asked per search; set it at or below a backend's own cap")
	fl.DurationVar(&opts.Window, "window", jaeger.DefaultChunk, "time range migrated and checkpointed as one unit")
	fl.DurationVar(&opts.Timeout, "timeout", time.Minute, "timeout of one request to Jaeger")
	fl.StringVar(&opts.Version, "version", "", "block format: vParquet5 or vParquet4 (default: the config's storage.trace.block.version, else vParquet5)")
	fl.Uint64Var(&opts.MaxBytes, "max-block-bytes", 0, "cut blocks past this many bytes of OTLP data, buffered in memory (default: the config's ingester.max_block_bytes, else 500 MiB)")
	fl.DurationVar(&opts.MaxDuration, "max-block-duration", 0, "cut a block when its traces' starts span more than this (0: no limit)")
	opts.Output.register(cmd, "table", "table", "json", "yaml")
	return cmd
}

func (o *migrateJaegerOptions) validate() error {
	switch {
	case o.JaegerURL == "" && len(o.Files) == 0:
		return usageErrorf("nothing to migrate: give --jaeger-url URL or --file PATH")
	case o.JaegerURL != "" && len(o.Files) > 0:
		return usageErrorf("--jaeger-url and --file cannot be combined: migrate them in two runs")
	case o.JaegerURL != "" && o.Since == "" && o.Start == "" && !o.Resume:
		return usageErrorf("give the time range: --since 72h, or --start T [--end T]")
	case o.Since != "" && o.Start != "":
		return usageErrorf("--since and --start cannot be combined")
	case len(o.Files) > 0 && (o.Since != "" || o.Start != "" || len(o.Services) > 0):
		return usageErrorf("--since, --start and --service select from a Jaeger; files are migrated whole")
	case o.Resume && o.Checkpoint == "":
		return usageErrorf("--resume needs --checkpoint FILE")
	case o.DryRun && (o.Checkpoint != "" || o.Verify > 0):
		return usageErrorf("--dry-run writes nothing: it takes no --checkpoint or --verify")
	case o.ToOTLP != "" && o.Storage.Backend+o.Storage.Bucket+o.Storage.ConfigFile != "":
		return usageErrorf("--to-otlp and bucket flags cannot be combined")
	case o.ToOTLP != "" && o.Verify > 0:
		return usageErrorf("--verify reads traces back from a bucket; it cannot be used with --to-otlp")
	case o.ToOTLP == "" && o.Rate != 0:
		return usageErrorf("--rate applies to --to-otlp")
	case o.Rate < 0 || o.Verify < 0 || o.Concurrency < 1 || o.SearchLimit < 1:
		return usageErrorf("--rate, --verify, --concurrency and --search-limit must be positive")
	case o.Version != "" && o.Version != backend.VersionVParquet5 && o.Version != backend.VersionVParquet4:
		return usageErrorf("--version %q: use vParquet5 or vParquet4", o.Version)
	}
	switch o.API {
	case "auto", "v3", "v1":
	default:
		return usageErrorf("--api %q: use auto, v3 or v1", o.API)
	}
	return nil
}

// window resolves --since/--start/--end against now.
func (o *migrateJaegerOptions) window(now time.Time) (jaeger.Window, error) {
	end, err := jaeger.ParseTime(o.End, now)
	if err != nil {
		return jaeger.Window{}, usageErrorf("--end: %v", err)
	}
	var start time.Time
	switch {
	case o.Since != "":
		d, err := jaeger.ParseDuration(o.Since)
		if err != nil {
			return jaeger.Window{}, usageErrorf("--since: %v", err)
		}
		start = end.Add(-d)
	case o.Start != "":
		if start, err = jaeger.ParseTime(o.Start, now); err != nil {
			return jaeger.Window{}, usageErrorf("--start: %v", err)
		}
	}
	if !start.Before(end) {
		return jaeger.Window{}, usageErrorf("the time range is empty: start %s is not before end %s", start.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	return jaeger.WindowOf(start, end), nil
}

func runMigrateJaeger(ctx context.Context, opts *migrateJaegerOptions, stdin io.Reader, out, errOut io.Writer) error {
	if err := opts.validate(); err != nil {
		return err
	}
	cfg := jaeger.Config{
		Services: opts.Services, Chunk: opts.Window, SearchLimit: opts.SearchLimit,
		Files: opts.Files, Stdin: stdin, DryRun: opts.DryRun,
		Checkpoint: opts.Checkpoint, Resume: opts.Resume, Verify: opts.Verify, Concurrency: opts.Concurrency,
	}
	if opts.JaegerURL != "" {
		// Resuming continues the recorded range; a relative --since would
		// have moved since, so it is not compared.
		resuming := opts.Resume && fileHasData(opts.Checkpoint)
		if opts.Start != "" || opts.Since != "" && !resuming {
			w, err := opts.window(time.Now())
			if err != nil {
				return err
			}
			cfg.Window = w
		}
		client, err := jaeger.NewClient(jaeger.ClientConfig{URL: opts.JaegerURL, Timeout: opts.Timeout})
		if err != nil {
			return usageErrorf("--jaeger-url: %v", err)
		}
		api, err := jaeger.Probe(ctx, client, jaeger.APIVersion(opts.API))
		if err != nil {
			return usageError{err}
		}
		cfg.API, cfg.SourceName = api, client.URL()
	} else {
		cfg.SourceName = "files"
	}
	if !opts.DryRun {
		sink, closeFn, err := opts.sink(ctx)
		if err != nil {
			return err
		}
		defer closeFn()
		cfg.Sink = sink
	}
	var pp *jaeger.ProgressPrinter
	if isTerminal(errOut) {
		pp = jaeger.NewProgressPrinter(errOut, 250*time.Millisecond)
		cfg.Progress = pp.Report
	}
	sum, err := jaeger.Run(ctx, cfg)
	if pp != nil {
		pp.Done()
	}
	if errors.Is(err, jaeger.ErrCheckpointExists) {
		return usageError{err}
	}
	if sum != nil && (err == nil || sum.Traces > 0 || sum.Interrupted) {
		if perr := printMigrateSummary(out, opts, sum); perr != nil {
			return perr
		}
	}
	if err != nil {
		if sum != nil && sum.Interrupted && opts.Checkpoint != "" {
			fmt.Fprintf(errOut, "interrupted: run the same command with --resume to continue from %s\n", opts.Checkpoint)
			return silentError{code: exitFailure}
		}
		return err
	}
	if sum.Failed() {
		return silentError{code: exitFailure}
	}
	return nil
}

func fileHasData(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Size() > 0
}

// sink opens the bucket (or the OTLP connection) the traces go to.
func (o *migrateJaegerOptions) sink(ctx context.Context) (jaeger.Sink, func(), error) {
	if o.ToOTLP != "" {
		s, err := jaeger.NewOTLPSink(jaeger.OTLPConfig{Endpoint: o.ToOTLP, Tenant: o.Tenant, TLS: o.OTLPTLS, SpansPerSecond: o.Rate})
		if err != nil {
			return nil, nil, usageError{err}
		}
		return s, func() {}, nil
	}
	be, err := o.Storage.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	bc := block.Config{Version: o.Version, DedicatedColumns: vparquet.DefaultDedicatedColumns()}
	maxBytes := o.MaxBytes
	if o.Storage.ConfigFile != "" {
		fc, err := blockSettingsFromConfig(o.Storage.ConfigFile)
		if err != nil {
			be.Close()
			return nil, nil, err
		}
		if bc.Version == "" {
			bc.Version = fc.Storage.Trace.Block.Version
		}
		if len(fc.Storage.Trace.Block.DedicatedColumns) > 0 {
			bc.DedicatedColumns = fc.Storage.Trace.Block.DedicatedColumns
		}
		bc.RowGroupSizeBytes = fc.Storage.Trace.Block.RowGroupSizeBytes
		if maxBytes == 0 {
			maxBytes = fc.Ingester.MaxBlockBytes
		}
	}
	if bc.Version == "" {
		bc.Version = backend.VersionVParquet5
	}
	if bc.Version != backend.VersionVParquet5 && bc.Version != backend.VersionVParquet4 {
		be.Close()
		return nil, nil, usageErrorf("block version %q: tempoctl writes vParquet5 or vParquet4", bc.Version)
	}
	s := jaeger.NewBucketSink(be, blocktools.ImportConfig{
		Tenant: o.Tenant, Block: bc, MaxBlockBytes: maxBytes, MaxBlockDuration: o.MaxDuration,
	})
	return s, func() { be.Close() }, nil
}

// blockSettings is what a migration takes from a serve config besides the
// bucket: the block format and size.
type blockSettings struct {
	Storage struct {
		Trace struct {
			Block block.Config `yaml:"block"`
		} `yaml:"trace"`
	} `yaml:"storage"`
	Ingester struct {
		MaxBlockBytes uint64 `yaml:"max_block_bytes"`
	} `yaml:"ingester"`
}

func blockSettingsFromConfig(path string) (*blockSettings, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("read config: %v", err)
	}
	var s blockSettings
	expanded := os.Expand(string(raw), func(k string) string { return os.Getenv(k) })
	if err := yaml.Unmarshal([]byte(expanded), &s); err != nil {
		return nil, usageErrorf("parse %s: %v", path, err)
	}
	return &s, nil
}

func printMigrateSummary(out io.Writer, opts *migrateJaegerOptions, s *jaeger.Summary) error {
	if opts.Output.Format != "table" {
		return printStructured(out, opts.Output.Format, s)
	}
	from := s.Source
	if s.API != "" {
		from += " (api " + s.API + ")"
	}
	if s.DryRun != nil {
		fmt.Fprintf(out, "dry run of %s: nothing written\n", from)
		t := newTable(out, "SERVICE", "TRACES", "SPANS")
		for _, c := range s.DryRun.Services {
			t.row(c.Name, strconv.Itoa(c.Traces), strconv.Itoa(c.Spans))
		}
		if err := t.flush(); err != nil {
			return err
		}
		fmt.Fprintln(out)
		t = newTable(out, "WINDOW/FILE", "TRACES", "SPANS")
		traces, spans := 0, 0
		for _, c := range s.DryRun.Units {
			t.row(c.Name, strconv.Itoa(c.Traces), strconv.Itoa(c.Spans))
			traces, spans = traces+c.Traces, spans+c.Spans
		}
		t.row("TOTAL", strconv.Itoa(traces), strconv.Itoa(spans))
		if err := t.flush(); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(out, "migrated %d traces (%d spans) from %s into %s: %d block(s), %s\n",
			s.Traces, s.Spans, from, s.Sink, len(s.Blocks), humanBytes(s.Bytes))
		if s.UnitsResumed > 0 || s.Already > 0 || s.Recovered > 0 {
			fmt.Fprintf(out, "resumed: %d of %d windows/files already done, %d traces already migrated, %d recovered from an interrupted write\n",
				s.UnitsResumed, s.Units, s.Already, s.Recovered)
		}
		if len(s.Blocks) > 0 {
			t := newTable(out, "BLOCK ID", "TRACES", "SIZE", "START", "END")
			for _, b := range s.Blocks {
				t.row(b.ID, strconv.FormatInt(b.Traces, 10), humanBytes(b.Size), b.Start.UTC().Format(time.RFC3339), b.End.UTC().Format(time.RFC3339))
			}
			if err := t.flush(); err != nil {
				return err
			}
		}
	}
	if len(s.Skipped) > 0 {
		fmt.Fprintf(out, "skipped %d:\n", len(s.Skipped))
		for _, sk := range s.Skipped {
			fmt.Fprintf(out, "  %s: %s\n", sk.What, sk.Reason)
		}
	}
	if v := s.Verify; v != nil {
		fmt.Fprintf(out, "verify: %d traces compared, %d differ\n", v.Checked, len(v.Differences))
		for _, d := range v.Differences {
			fmt.Fprintf(out, "  trace %s:\n", d.TraceID)
			for _, line := range d.Diffs {
				fmt.Fprintf(out, "    %s\n", line)
			}
		}
	}
	if s.Interrupted {
		fmt.Fprintln(out, "interrupted before the end")
	}
	return nil
}
