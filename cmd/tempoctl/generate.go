package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/tempoctl/tempoctl/loadgen"
)

func init() {
	subcommands = append(subcommands, func(root *cobra.Command) { root.AddCommand(newGenerateCmd()) })
}

type generateOptions struct {
	cfg     loadgen.Config
	IDsFile string
	Output  outputFlag
}

func newGenerateCmd() *cobra.Command {
	opts := &generateOptions{}
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Send synthetic traces to an OTLP endpoint and report what was accepted",
		Long: `Send realistic synthetic traces (several services; span trees of 3–30 spans, each a
chain as deep as that, a fan-out as wide or a random tree; HTTP and database attributes,
errors, events) to an OTLP gRPC or HTTP endpoint, at a target rate or as fast as the
server accepts them, for a duration or a number of traces.

At the end it prints the accepted spans per second, errors by kind (gRPC code or
HTTP status) and the push latency p50/p99. It exits 1 if every request failed.
Use it to load-test tempoctl or Tempo, or to check a pipeline end to end.

--ids-file FILE writes the trace ID (32 hex digits) of every trace whose
request was accepted, one per line; traces of failed requests are left out.
"tempoctl query bench --ids FILE" reads them back to time lookups.

--shape sets how spans are grouped into requests. exporter (the default) sends
one resource per service in each request, spans of many traces under it, the
way an SDK exporter or a collector's batch processor does (about 300 bytes a
span). trace gives each trace's spans of a service their own resource, about
150 resources in a 500-span request: the costliest shape for a server.`,
		Example: `  tempoctl generate --endpoint 127.0.0.1:4317 --rate 20000 --duration 1m
  tempoctl generate --protocol http --endpoint http://127.0.0.1:4318 --traces 1000 --tenant acme
  tempoctl generate --duration 30s -o json
  tempoctl generate --traces 200000 --ids-file /tmp/ids.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Output.validate(); err != nil {
				return err
			}
			if opts.cfg.Protocol != "grpc" && opts.cfg.Protocol != "http" {
				return usageErrorf("--protocol %q: use grpc or http", opts.cfg.Protocol)
			}
			if opts.cfg.Shape != loadgen.ShapeExporter && opts.cfg.Shape != loadgen.ShapeTrace {
				return usageErrorf("--shape %q: use %s or %s", opts.cfg.Shape, loadgen.ShapeExporter, loadgen.ShapeTrace)
			}
			return runGenerate(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.cfg.Endpoint, "endpoint", "127.0.0.1:4317", "OTLP endpoint: host:port for grpc, http://host:port for http")
	fl.StringVar(&opts.cfg.Protocol, "protocol", "grpc", "grpc or http")
	fl.StringVar(&opts.cfg.Tenant, "tenant", "", "tenant (sent as X-Scope-OrgID)")
	fl.Float64Var(&opts.cfg.Rate, "rate", 0, "spans per second (0: as fast as accepted)")
	fl.DurationVar(&opts.cfg.Duration, "duration", 0, "how long to send (default 10s unless --traces is set)")
	fl.IntVar(&opts.cfg.Traces, "traces", 0, "stop after this many traces")
	fl.IntVar(&opts.cfg.BatchSpans, "batch-spans", 500, "spans per request")
	fl.IntVar(&opts.cfg.Connections, "connections", 4, "concurrent senders")
	fl.StringVar(&opts.cfg.Shape, "shape", loadgen.ShapeExporter, "how spans are grouped into requests: exporter (one resource per service, as SDKs and collectors batch) or trace (each trace's spans of a service under their own resource: the costliest for a server)")
	fl.Uint64Var(&opts.cfg.Seed, "seed", 1, "random seed")
	fl.StringVar(&opts.IDsFile, "ids-file", "", "write the IDs of the accepted traces to FILE, one per line")
	opts.Output.register(cmd, "text", "text", "json")
	return cmd
}

type generateSummary struct {
	SpansPerSecond float64          `json:"spansPerSecond"`
	SpansAccepted  int64            `json:"spansAccepted"`
	TracesAccepted int64            `json:"tracesAccepted"`
	Requests       int64            `json:"requests"`
	Failed         int64            `json:"failed"`
	Errors         map[string]int64 `json:"errors"`
	ElapsedSeconds float64          `json:"elapsedSeconds"`
	P50Millis      float64          `json:"latencyP50Ms"`
	P99Millis      float64          `json:"latencyP99Ms"`
}

func runGenerate(ctx context.Context, opts *generateOptions, out io.Writer) error {
	cfg := opts.cfg
	if opts.IDsFile != "" {
		// Created before sending, so an unwritable path costs no load.
		f, err := os.Create(opts.IDsFile)
		if err != nil {
			return usageErrorf("--ids-file: %v", err)
		}
		defer f.Close()
		cfg.IDs = f
	}
	res, runErr := loadgen.Run(ctx, cfg)
	if res == nil {
		return runErr
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	sum := generateSummary{SpansPerSecond: res.SpansPerSecond(), SpansAccepted: res.SpansAccepted, TracesAccepted: res.TracesAccepted,
		Requests: res.Requests, Failed: res.Failed, Errors: res.Errors, ElapsedSeconds: res.Elapsed.Seconds(),
		P50Millis: ms(res.P50), P99Millis: ms(res.P99)}
	if opts.Output.Format == "json" {
		if err := printStructured(out, "json", sum); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(out, "accepted %d spans (%d traces) in %.1fs: %.0f spans/s\n", sum.SpansAccepted, sum.TracesAccepted, sum.ElapsedSeconds, sum.SpansPerSecond)
		fmt.Fprintf(out, "requests %d, failed %d; push latency p50 %.2fms p99 %.2fms\n", sum.Requests, sum.Failed, sum.P50Millis, sum.P99Millis)
		kinds := make([]string, 0, len(res.Errors))
		for k := range res.Errors {
			kinds = append(kinds, k)
		}
		slices.Sort(kinds)
		for _, k := range kinds {
			fmt.Fprintf(out, "  error %s: %d\n", k, res.Errors[k])
		}
	}
	if runErr != nil {
		return fmt.Errorf("generate: %w", runErr)
	}
	if f, ok := cfg.IDs.(*os.File); ok {
		if err := f.Close(); err != nil {
			return fmt.Errorf("--ids-file: %w", err)
		}
	}
	return nil
}
