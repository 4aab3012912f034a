package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/tempoctl/tempoctl/server/app"
	"github.com/tempoctl/tempoctl/server/config"
)

func init() {
	subcommands = append(subcommands, func(root *cobra.Command) {
		root.AddCommand(&cobra.Command{
			Use:   "serve [-config.file FILE] [-config.expand-env] [-config.verify] [-KEY=VALUE]...",
			Short: "Run the Tempo-compatible tracing backend",
			Long: `Run the tracing backend: receivers (OTLP gRPC :4317 and HTTP :4318, Zipkin :9411,
Jaeger thrift_http :14268 and gRPC :14250), distributor, ingester with its
write-ahead log, and blocks flushed to the configured bucket.

Without -config.file it runs on an embedded default: local storage under
./tempo-data, every receiver on its standard port, single tenant.
Tempo's YAML configs work unchanged. Every config key can be overridden by a
flag named by its dotted YAML path, e.g. -storage.trace.s3.endpoint=host:9000
or --ingester.max_block_duration=1m (one or two dashes).

Flags follow Go's flag syntax (this command does not use the CLI's flag parser
so Tempo's -config.file style works). Run "tempoctl serve -help" for every key.`,
			Example: `  tempoctl serve
  tempoctl serve -config.file=examples/tempo.yaml
  tempoctl serve -config.file=examples/tempo-s3.yaml -config.expand-env -storage.trace.s3.endpoint=127.0.0.1:9000 -storage.trace.s3.insecure=true
  tempoctl serve -config.file=tempo.yaml -config.verify`,
			DisableFlagParsing: true,
			RunE: func(cmd *cobra.Command, args []string) error {
				return runServe(cmd, args)
			},
		})
	})
}

func runServe(cmd *cobra.Command, args []string) error {
	// The flag package prints the error and every flag (hundreds: one per
	// config key) on any parse error; the error is returned below, and only
	// -help asks for the list.
	fs, opts := config.NewFlagSet(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(cmd.ErrOrStderr(), "Usage of tempoctl serve (every config key is a flag named by its dotted YAML path):")
			fs.SetOutput(cmd.ErrOrStderr())
			fs.PrintDefaults()
			return nil
		}
		return usageError{flagHint(fs, err)}
	}
	if fs.NArg() > 0 {
		return usageErrorf("serve takes no arguments, got %q (flags are -key=value)", fs.Arg(0))
	}
	cfg, raw, err := config.Load(opts)
	if err != nil {
		return usageError{err}
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	if opts.Verify {
		return verifyConfig(cmd.OutOrStdout(), &cfg, opts)
	}
	log, err := app.NewLogger(cmd.ErrOrStderr(), cfg.Server.LogLevel.String(), cfg.Server.LogFormat)
	if err != nil {
		return usageError{err}
	}
	setGCPercent(cfg.Target)
	a, err := app.New(cfg, raw, log, app.BuildInfo{Version: version, Revision: commit, BuildDate: date, GoVersion: runtime.Version()})
	if err != nil {
		return usageError{err}
	}
	return a.Run(cmd.Context(), nil)
}

// serveGCPercent is the GC target of processes running an ingester unless
// GOGC says otherwise. The ingester's heap is mostly request bytes without
// pointers, so collecting more often costs little CPU and keeps peak RSS
// about a seventh lower under load. Query-only targets keep Go's default:
// there a collection cycle competes with the lookups for the cores.
const serveGCPercent = 50

func setGCPercent(target string) {
	switch target {
	case "", "all", "ingester":
		if os.Getenv("GOGC") == "" {
			debug.SetGCPercent(serveGCPercent)
		}
	}
}

func verifyConfig(out io.Writer, cfg *config.Config, opts *config.Options) error {
	src := "embedded default"
	if opts.File != "" {
		src = opts.File
	}
	fmt.Fprintf(out, "config %s is valid (target %s, storage %s)\n", src, cfg.Target, cfg.Storage.Trace.Backend)
	for _, k := range config.NotUsedYetKeys(cfg) {
		fmt.Fprintf(out, "  accepted, not used yet: %s\n", k)
	}
	return nil
}
