package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/tempoctl/tempoctl/blocktools"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

func init() { blocksSubcommands = append(blocksSubcommands, newBlocksCompactCmd) }

type blocksCompactOptions struct {
	Storage       storageFlags
	Tenant        string
	Window        time.Duration
	MaxObjects    int64
	MaxBlockBytes uint64
	RowGroupBytes int
	Plan          bool
	DryRun        bool
	Output        outputFlag
}

func newBlocksCompactCmd() *cobra.Command {
	opts := &blocksCompactOptions{}
	def := blocktools.DefaultCompactionConfig()
	cmd := &cobra.Command{
		Use:   "compact [--tenant T] [--window 1h] [--plan] [--dry-run]",
		Short: "Compact a tenant's blocks now, as the compactor in serve would",
		Long: `Plan and run one compaction pass over a tenant (every tenant without --tenant),
with the rules of Tempo's compactor: live blocks whose end falls in the same
--window, at the same compaction level while younger than 24h, same format and
dedicated columns, 2 to 4 at a time within --max-compaction-objects and
--max-block-bytes. Blocks with nocompact.flg are left out.

Each job merges its inputs streaming (traces combined by ID, duplicate spans
dropped), writes the output block completely (meta.json last), then marks the
inputs compacted (meta.compacted.json); they are deleted later by retention.
A job interrupted at any point (Ctrl-C, a crash) leaves every trace readable;
running the command again resumes it without writing any trace twice.

--plan prints which blocks would merge into what, and why, before anything is
written; --dry-run prints the plan and stops. Progress goes to stderr (a bar on
a terminal, log lines otherwise); the summary to stdout, as JSON with -o json.
The exit code is 1 when a job failed (the other jobs still ran).`,
		Example: `  tempoctl blocks compact --tenant acme --backend local --bucket ./tempo-data/traces --dry-run
  tempoctl blocks compact --tenant acme --window 4h --plan --config.file tempo.yaml
  tempoctl blocks compact --backend s3 --bucket tempo --s3-endpoint minio:9000 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Output.validate(); err != nil {
				return err
			}
			if opts.Window <= 0 {
				return usageErrorf("--window must be positive")
			}
			return runBlocksCompact(cmd.Context(), opts, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	opts.Storage.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&opts.Tenant, "tenant", "", "tenant to compact (default: every tenant)")
	fl.DurationVar(&opts.Window, "window", def.Window, "compaction_window: blocks whose end falls in the same window merge")
	fl.Int64Var(&opts.MaxObjects, "max-compaction-objects", def.MaxCompactionObjects, "max traces in one job's inputs (and one output block)")
	fl.Uint64Var(&opts.MaxBlockBytes, "max-block-bytes", def.MaxBlockBytes, "max bytes of one job's inputs (and one output block)")
	fl.IntVar(&opts.RowGroupBytes, "row-group-size-bytes", vparquet.DefaultRowGroupSizeBytes, "parquet row group size of the outputs")
	fl.BoolVar(&opts.Plan, "plan", false, "print the plan (what merges into what, and why) before compacting")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the plan and stop; nothing is written")
	opts.Output.register(cmd, "table", "table", "json")
	return cmd
}

type compactJobJSON struct {
	Inputs    []string `json:"inputs"`
	Level     uint32   `json:"outputLevel"`
	Window    string   `json:"window"`
	Objects   int64    `json:"inputObjects"`
	Bytes     uint64   `json:"inputBytes"`
	Reason    string   `json:"reason"`
	Outputs   []string `json:"outputs,omitempty"`
	Reused    int      `json:"reusedOutputs,omitempty"`
	TracesIn  int64    `json:"tracesIn,omitempty"`
	TracesOut int64    `json:"tracesOut,omitempty"`
	SpansOut  int64    `json:"spansOut,omitempty"`
	Seconds   float64  `json:"seconds,omitempty"`
	Error     string   `json:"error,omitempty"`
}

type compactTenantJSON struct {
	Tenant     string            `json:"tenant"`
	LiveBlocks int               `json:"liveBlocks"`
	Jobs       []*compactJobJSON `json:"jobs"`
	Skipped    []skippedJSON     `json:"skipped"`
	Unreadable []string          `json:"unreadable,omitempty"`
	Recovered  int               `json:"recoveredJournals,omitempty"`
}

type skippedJSON struct {
	Block  string `json:"block"`
	Reason string `json:"reason"`
}

type compactSummary struct {
	DryRun          bool                 `json:"dryRun"`
	Tenants         []*compactTenantJSON `json:"tenants"`
	BlocksCompacted int                  `json:"blocksCompacted"`
	BlocksWritten   int                  `json:"blocksWritten"`
	FailedJobs      int                  `json:"failedJobs"`
	Seconds         float64              `json:"seconds"`
}

func runBlocksCompact(ctx context.Context, opts *blocksCompactOptions, out, errOut io.Writer) error {
	start := time.Now()
	be, err := opts.Storage.open(ctx)
	if err != nil {
		return err
	}
	defer be.Close()
	tenants, err := resolveTenants(ctx, be, opts.Tenant)
	if err != nil {
		return err
	}
	cfg := blocktools.DefaultCompactionConfig()
	cfg.Window, cfg.MaxCompactionObjects, cfg.MaxBlockBytes = opts.Window, opts.MaxObjects, opts.MaxBlockBytes
	sum := &compactSummary{DryRun: opts.DryRun, Tenants: []*compactTenantJSON{}}
	human := opts.Output.Format == "table"
	var plans []*blocktools.TenantPlan
	for _, tenant := range tenants {
		tj := &compactTenantJSON{Tenant: tenant, Jobs: []*compactJobJSON{}, Skipped: []skippedJSON{}}
		if !opts.DryRun {
			rec, err := blocktools.RecoverJournals(ctx, be, tenant)
			if err != nil {
				return err
			}
			for _, r := range rec {
				fmt.Fprintf(errOut, "%s: finished an interrupted compaction: marked %d input block(s) compacted\n", tenant, len(r.Marked))
			}
			tj.Recovered = len(rec)
		}
		plan, err := blocktools.PlanTenant(ctx, be, tenant, cfg, time.Now(), nil)
		if err != nil {
			return err
		}
		plans = append(plans, plan)
		tj.LiveBlocks = plan.Live
		for _, j := range plan.Jobs {
			tj.Jobs = append(tj.Jobs, jobJSON(j, cfg.Window))
		}
		for _, s := range plan.Skipped {
			tj.Skipped = append(tj.Skipped, skippedJSON{s.Meta.BlockID.String(), s.Reason})
		}
		for _, u := range plan.Unreadable {
			tj.Unreadable = append(tj.Unreadable, u.Error())
		}
		sum.Tenants = append(sum.Tenants, tj)
		if human && (opts.Plan || opts.DryRun) {
			printPlan(out, tj, plan)
		}
	}
	if opts.DryRun {
		if !human {
			return printStructured(out, "json", sum)
		}
		return nil
	}

	prog := newProgressPrinter(errOut)
	for i, plan := range plans {
		tj := sum.Tenants[i]
		if len(plan.Jobs) == 0 {
			continue
		}
		res, err := blocktools.RunPlan(ctx, be, plan, blocktools.CompactOptions{
			Block:         block.Config{RowGroupSizeBytes: opts.RowGroupBytes},
			MaxBlockBytes: opts.MaxBlockBytes, MaxBlockObjects: opts.MaxObjects,
			Progress: prog.update,
		})
		prog.finish()
		if errors.Is(err, context.Canceled) {
			return interrupted(errOut, "the running job removed its partial output; its inputs are still live. Run the command again to go on.")
		}
		if err != nil {
			return err
		}
		for _, r := range res.Results {
			jj := findJob(tj, r.Job)
			for _, o := range r.Outputs {
				jj.Outputs = append(jj.Outputs, o.BlockID.String())
			}
			jj.Reused, jj.TracesIn, jj.TracesOut, jj.SpansOut = r.Reused, r.Stats.TracesIn, r.Stats.TracesOut, r.Stats.SpansOut
			jj.Seconds = r.Duration.Seconds()
			for _, e := range r.Unmarked {
				fmt.Fprintf(errOut, "warning: %v (its traces are also in the output; run compact again)\n", e)
			}
			sum.BlocksCompacted += len(r.Job.Inputs)
			sum.BlocksWritten += len(r.Outputs)
		}
		for _, f := range res.Failed {
			findJob(tj, f.Job).Error = f.Err.Error()
			sum.FailedJobs++
			fmt.Fprintf(errOut, "%s: job failed: %v\n", tj.Tenant, f.Err)
		}
		// The index follows the jobs that finished, even after a Ctrl-C.
		if err := blocktools.RewriteTenantIndex(context.WithoutCancel(ctx), be, tj.Tenant); err != nil {
			return fmt.Errorf("rewrite tenant index of %s: %w", tj.Tenant, err)
		}
	}
	sum.Seconds = time.Since(start).Seconds()
	if human {
		printCompactSummary(out, sum)
	} else if err := printStructured(out, "json", sum); err != nil {
		return err
	}
	if sum.FailedJobs > 0 {
		return silentError{code: exitFailure}
	}
	return nil
}

func jobJSON(j blocktools.Job, window time.Duration) *compactJobJSON {
	jj := &compactJobJSON{Level: j.Level + 1, Objects: j.Objects(), Bytes: j.Bytes(), Reason: j.Reason,
		Window: time.Unix(j.Window*int64(window/time.Second), 0).UTC().Format(time.RFC3339)}
	for _, m := range j.Inputs {
		jj.Inputs = append(jj.Inputs, m.BlockID.String())
	}
	return jj
}

func findJob(tj *compactTenantJSON, j blocktools.Job) *compactJobJSON {
	for _, jj := range tj.Jobs {
		if len(jj.Inputs) > 0 && jj.Inputs[0] == j.Inputs[0].BlockID.String() {
			return jj
		}
	}
	return &compactJobJSON{}
}

func printPlan(out io.Writer, tj *compactTenantJSON, plan *blocktools.TenantPlan) {
	fmt.Fprintf(out, "tenant %s: %d live block(s), %d job(s)\n", tj.Tenant, plan.Live, len(plan.Jobs))
	for i, j := range plan.Jobs {
		fmt.Fprintf(out, "job %d: %d blocks -> 1 block at level %d (<= %d traces, %s): %s\n",
			i+1, len(j.Inputs), j.Level+1, j.Objects(), humanBytes(j.Bytes()), j.Reason)
		t := newTable(out, "  INPUT", "LEVEL", "TRACES", "SIZE", "END")
		for _, m := range j.Inputs {
			t.row("  "+m.BlockID.String(), strconv.Itoa(int(m.CompactionLevel)), strconv.FormatInt(m.TotalObjects, 10),
				humanBytes(m.Size), m.EndTime.UTC().Format(time.RFC3339))
		}
		t.flush()
	}
	for _, s := range plan.Skipped {
		fmt.Fprintf(out, "skip %s: %s\n", s.Meta.BlockID, s.Reason)
	}
	for _, u := range plan.Unreadable {
		fmt.Fprintf(out, "unreadable %s: %v (run blocks verify)\n", u.ID, u.Err)
	}
}

func printCompactSummary(out io.Writer, sum *compactSummary) {
	for _, tj := range sum.Tenants {
		for _, j := range tj.Jobs {
			if j.Error != "" {
				fmt.Fprintf(out, "%s: FAILED %d blocks: %s\n", tj.Tenant, len(j.Inputs), j.Error)
				continue
			}
			reused := ""
			if j.Reused > 0 {
				reused = fmt.Sprintf(" (%d found from an interrupted run)", j.Reused)
			}
			fmt.Fprintf(out, "%s: compacted %d blocks (%d trace parts) into %d block(s) at level %d (%d traces)%s: %v\n",
				tj.Tenant, len(j.Inputs), j.TracesIn, len(j.Outputs), j.Level, j.TracesOut, reused, j.Outputs)
		}
	}
	if sum.BlocksCompacted == 0 && sum.FailedJobs == 0 {
		fmt.Fprintln(out, "nothing to compact")
		return
	}
	fmt.Fprintf(out, "compacted %d block(s) into %d in %s", sum.BlocksCompacted, sum.BlocksWritten, time.Duration(sum.Seconds*float64(time.Second)).Round(time.Millisecond))
	if sum.FailedJobs > 0 {
		fmt.Fprintf(out, "; %d job(s) failed", sum.FailedJobs)
	}
	fmt.Fprintln(out)
}
