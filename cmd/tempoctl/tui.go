package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/tui"
)

func init() {
	subcommands = append(subcommands, func(root *cobra.Command) {
		root.AddCommand(newTUICmd(nil))
	})
}

type tuiOptions struct {
	Storage storageFlags
	Tenant  string
	Server  string
	File    string
	Query   string
	Since   time.Duration
	Start   string
	End     string
	Limit   int
	Trace   string
	Live    bool
	Refresh time.Duration
	History string
}

func newTUICmd(runF func(context.Context, *tuiOptions, tui.Options) error) *cobra.Command {
	opts := &tuiOptions{}
	cmd := &cobra.Command{
		Use:   "tui",
		Short: "Browse traces in the terminal: TraceQL search, waterfall, span details",
		Long: `A terminal trace browser over a server, a bucket or a JSON file.

Sources (exactly one):
  --server URL          a Tempo-compatible HTTP API (X-Scope-OrgID from --tenant)
  bucket flags          --backend local --bucket DIR (or s3/gcs/azure, or --config.file),
                        read straight from the blocks of --tenant (default single-tenant)
  --file trace.json     OTLP JSON (one TracesData per line, or one object) or a
                        Jaeger UI export ({"data":[...]}); a file with one trace opens it

The first screen runs --query (default {}) over the time range (--since, default
1h; --start/--end for a fixed window; files default to all time) and shows the
results at once. --live polls the search and adds new traces as they arrive.

Screens: search (TraceQL with history and completion, sortable results), trace
(waterfall with collapsible subtrees and the critical path), span (attributes by
scope, events, links). Press ? for the keys. Colours are off with NO_COLOR; y
copies the trace ID through the terminal (OSC 52).

Queries are remembered in --history (default $XDG_STATE_HOME/tempoctl/tui_history,
empty to disable).`,
		Example: `  tempoctl tui --server http://localhost:3200
  tempoctl tui --server http://tempo:3200 --tenant acme --query '{ status = error }' --since 6h --live
  tempoctl tui --backend local --bucket ./tempo-data/traces --tenant single-tenant --since 24h
  tempoctl tui --backend s3 --bucket traces --s3-endpoint minio:9000 --start 2026-11-23T20:00:00Z --end 2026-11-23T21:00:00Z
  tempoctl tui --backend local --bucket ./tempo-data/traces --trace 4bf92f3577b34da6a3ce929d0e0e4736
  tempoctl tui --file trace.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			topts, err := opts.resolve(cmd, time.Now())
			if err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts, topts)
			}
			return runTUI(cmd.Context(), opts, topts, cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	opts.Storage.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&opts.Tenant, "tenant", "", "tenant: X-Scope-OrgID for --server, the bucket's tenant otherwise (default single-tenant)")
	fl.StringVar(&opts.Server, "server", "", "URL of a Tempo-compatible HTTP API")
	fl.StringVar(&opts.File, "file", "", "a trace file: OTLP JSON or a Jaeger UI export")
	fl.StringVar(&opts.Query, "query", "{}", "the first TraceQL search")
	fl.DurationVar(&opts.Since, "since", 0, "search the last DURATION (default 1h; all time for --file)")
	fl.StringVar(&opts.Start, "start", "", "window start: RFC 3339, Unix seconds, now or now-DURATION")
	fl.StringVar(&opts.End, "end", "", "window end (default now)")
	fl.IntVar(&opts.Limit, "limit", 20, "traces per search")
	fl.StringVar(&opts.Trace, "trace", "", "open this trace ID at start")
	fl.BoolVar(&opts.Live, "live", false, "poll the search and add new traces as they arrive")
	fl.DurationVar(&opts.Refresh, "refresh", 5*time.Second, "polling interval with --live")
	fl.StringVar(&opts.History, "history", defaultHistoryPath(), "file that keeps the query history (empty: none)")
	return cmd
}

func defaultHistoryPath() string {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "tempoctl", "tui_history")
}

// resolve checks the flags and builds everything but the source.
func (o *tuiOptions) resolve(cmd *cobra.Command, now time.Time) (tui.Options, error) {
	var t tui.Options
	bucket := o.Storage.Backend != "" || o.Storage.ConfigFile != ""
	n := 0
	for _, set := range []bool{o.Server != "", o.File != "", bucket} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return t, usageErrorf("no source: use --server URL, --file trace.json, or the bucket flags (--backend local --bucket DIR)")
	case n > 1:
		return t, usageErrorf("use only one source: --server, --file or the bucket flags")
	}
	if o.Limit <= 0 {
		return t, usageErrorf("--limit must be positive, got %d", o.Limit)
	}
	if o.Live && o.Refresh < 100*time.Millisecond {
		return t, usageErrorf("--refresh %s is too short (at least 100ms)", o.Refresh)
	}
	if o.Trace != "" {
		id, err := model.ParseTraceID(o.Trace)
		if err != nil {
			return t, usageErrorf("--trace %q: %v", o.Trace, err)
		}
		t.Trace = &id
	}
	rng, err := o.timeRange(cmd, now)
	if err != nil {
		return t, err
	}
	t.Range = rng
	t.Query = o.Query
	t.Limit = o.Limit
	t.Live = o.Live
	t.LiveEvery = o.Refresh
	return t, nil
}

func (o *tuiOptions) timeRange(cmd *cobra.Command, now time.Time) (tui.TimeRange, error) {
	since := cmd.Flags().Changed("since")
	if since && (o.Start != "" || o.End != "") {
		return tui.TimeRange{}, usageErrorf("--since and --start/--end exclude each other")
	}
	switch {
	case since:
		if o.Since <= 0 {
			return tui.TimeRange{}, usageErrorf("--since must be positive, got %s", o.Since)
		}
		return tui.TimeRange{Last: o.Since}, nil
	case o.Start != "" || o.End != "":
		end := now
		if o.End != "" {
			e, err := tui.ParseTime(o.End, now)
			if err != nil {
				return tui.TimeRange{}, usageErrorf("--end: %v", err)
			}
			end = e
		}
		start := end.Add(-time.Hour)
		if o.Start != "" {
			s, err := tui.ParseTime(o.Start, now)
			if err != nil {
				return tui.TimeRange{}, usageErrorf("--start: %v", err)
			}
			start = s
		}
		if !end.After(start) {
			return tui.TimeRange{}, usageErrorf("--end must be after --start")
		}
		return tui.TimeRange{Start: start, End: end}, nil
	case o.File != "":
		return tui.TimeRange{All: true}, nil
	}
	return tui.TimeRange{Last: time.Hour}, nil
}

func runTUI(ctx context.Context, o *tuiOptions, t tui.Options, in io.Reader, out io.Writer) error {
	inF, ok1 := in.(*os.File)
	outF, ok2 := out.(*os.File)
	if !ok1 || !ok2 || !term.IsTerminal(inF.Fd()) || !term.IsTerminal(outF.Fd()) {
		return usageErrorf("tui needs a terminal (stdin and stdout must be a TTY); for scripts use tempoctl query")
	}
	switch {
	case o.Server != "":
		src, err := tui.NewServerSource(o.Server, o.Tenant, nil)
		if err != nil {
			return usageError{err}
		}
		t.Source = src
	case o.File != "":
		src, err := tui.OpenFile(o.File)
		if err != nil {
			return usageErrorf("%v", err)
		}
		if ids := src.TraceIDs(); len(ids) == 1 && t.Trace == nil {
			t.Trace = &ids[0]
		}
		t.Source = src
	default:
		be, err := o.Storage.open(ctx)
		if err != nil {
			return err
		}
		defer be.Close()
		tenant := o.Tenant
		if tenant == "" {
			tenant = "single-tenant"
		}
		where := o.Storage.Bucket
		if o.Storage.ConfigFile != "" && where == "" {
			where = o.Storage.ConfigFile
		}
		t.Source = tui.NewBucketSource(be, tenant, fmt.Sprintf("bucket %s:%s tenant %s", o.Storage.Backend, where, tenant))
	}
	if o.History != "" {
		t.History = loadHistory(o.History)
		path := o.History
		t.SaveHistory = func(h []string) error { return saveHistory(path, h) }
	}
	progOpts := []tea.ProgramOption{tea.WithInput(inF), tea.WithOutput(outF)}
	// no-color.org: any non-empty NO_COLOR turns colours off (colorprofile
	// alone only honours values that parse as true).
	if os.Getenv("NO_COLOR") != "" {
		progOpts = append(progOpts, tea.WithColorProfile(colorprofile.ASCII))
	}
	return tui.Run(ctx, t, progOpts...)
}

func loadHistory(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// saveHistory writes one query per line (multi-line queries are joined),
// through a temporary file so a crash never truncates the history.
func saveHistory(path string, h []string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	var b strings.Builder
	for _, q := range h {
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(q, "\r", " "), "\n", " "))
		b.WriteByte('\n')
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return errors.Join(err, os.Remove(tmp))
	}
	return nil
}
