package ingester

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
)

// TestLiveTracesStayOutOfTheBlock: at a cut, a trace that received spans
// within trace_idle_period stays in memory for a later block, so a trace
// sent in several pushes is whole in one block; its first push's WAL
// segment outlives the cut's flush, so a crash in between loses nothing;
// an idle trace goes into the block at once.
func TestLiveTracesStayOutOfTheBlock(t *testing.T) {
	ctx := context.Background()
	const idle = 300 * time.Millisecond
	tests := []struct {
		name         string
		maxBlockDur  time.Duration
		wantCarried  bool // is the live trace kept out of the first block
		crashBetween bool
	}{
		{"live trace carried", time.Hour, true, false},
		{"live trace carried, crash before its end", time.Hour, true, true},
		{"live longer than max_block_duration: not carried", 200 * time.Millisecond, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be, _ := backend.Open(ctx, backend.Config{Backend: "memory"})
			walDir := t.TempDir()
			cfg := DefaultConfig()
			cfg.TraceIdlePeriod, cfg.MaxBlockDuration = idle, tt.maxBlockDur
			in := newIngester(t, walDir, be, cfg)
			g := tracegen.New(11, tracegen.Config{MinSpans: 6, MaxSpans: 6})
			idleID, idleTrace := g.Trace()
			liveID, liveTrace := g.Trace()
			head, tail := splitSpans(liveTrace)

			push(t, in, idleTrace)
			push(t, in, head) // the live trace's first push: in the first WAL segment
			time.Sleep(idle + 50*time.Millisecond)
			push(t, in, splitAgain(head)) // touches the live trace again (a retry of its spans)
			if err := in.cutAndFlush(ctx, time.Now(), true); err != nil {
				t.Fatal(err)
			}
			first := blockTraces(t, be)
			if _, ok := first[idleID]; !ok {
				t.Fatalf("the idle trace is not in the first block (%d traces there)", len(first))
			}
			if _, inFirst := first[liveID]; inFirst == tt.wantCarried {
				t.Fatalf("live trace in the first block: %v, want %v", inFirst, !tt.wantCarried)
			}
			if tt.crashBetween {
				in.wal.Close()
				in = newIngester(t, walDir, be, cfg)
				td, ok := in.FindTraceByID("acme", liveID)
				if !ok || td.SpanCount() != head.SpanCount() {
					t.Fatalf("after a crash the live trace's first push is lost (found %v)", ok)
				}
			}
			push(t, in, tail)
			if err := in.CutAndFlush(ctx); err != nil {
				t.Fatal(err)
			}
			all := blockTraces(t, be)
			if tt.wantCarried {
				if n := all[liveID]; n != 1 {
					t.Fatalf("the live trace is in %d blocks, want 1", n)
				}
				if got := countSpans(t, be, liveID); got != liveTrace.SpanCount() {
					t.Fatalf("the live trace's block has %d spans, want %d", got, liveTrace.SpanCount())
				}
			} else if n := all[liveID]; n != 2 {
				t.Fatalf("a trace past max_block_duration is in %d blocks, want 2 (split)", n)
			}
		})
	}
}

func push(t *testing.T, in *Ingester, td ptrace.Traces) {
	t.Helper()
	if err := in.Push(context.Background(), "acme", batch(t, td)); err != nil {
		t.Fatal(err)
	}
}

// splitSpans cuts a one-resource, one-scope trace into its first half of
// spans and the rest.
func splitSpans(td ptrace.Traces) (ptrace.Traces, ptrace.Traces) {
	a, b := ptrace.NewTraces(), ptrace.NewTraces()
	td.CopyTo(a)
	td.CopyTo(b)
	n := 0
	for i := range td.ResourceSpans().Len() {
		for j := range td.ResourceSpans().At(i).ScopeSpans().Len() {
			n += td.ResourceSpans().At(i).ScopeSpans().At(j).Spans().Len()
		}
	}
	k := 0
	keepFirst := func(td ptrace.Traces, first bool) {
		k = 0
		for i := range td.ResourceSpans().Len() {
			for j := range td.ResourceSpans().At(i).ScopeSpans().Len() {
				td.ResourceSpans().At(i).ScopeSpans().At(j).Spans().RemoveIf(func(ptrace.Span) bool {
					k++
					return (k <= n/2) != first
				})
			}
		}
	}
	keepFirst(a, true)
	keepFirst(b, false)
	return a, b
}

// splitAgain returns a copy of td: the same spans pushed again.
func splitAgain(td ptrace.Traces) ptrace.Traces {
	out := ptrace.NewTraces()
	td.CopyTo(out)
	return out
}

// blockTraces counts, per trace ID, the blocks of tenant acme holding it.
func blockTraces(t *testing.T, be *backend.Backend) map[model.TraceID]int {
	t.Helper()
	ctx := context.Background()
	metas, _, _, err := be.PollBlocks(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	out := map[model.TraceID]int{}
	for _, m := range metas {
		r, err := block.Open(ctx, be, m)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Iterate(ctx, func(id model.TraceID, _ ptrace.Traces) error {
			out[id]++
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// countSpans counts id's spans over all blocks of tenant acme.
func countSpans(t *testing.T, be *backend.Backend, id model.TraceID) int {
	t.Helper()
	ctx := context.Background()
	metas, _, _, _ := be.PollBlocks(ctx, "acme")
	n := 0
	for _, m := range metas {
		r, err := block.Open(ctx, be, m)
		if err != nil {
			t.Fatal(err)
		}
		td, ok, err := r.FindTraceByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			n += td.SpanCount()
		}
	}
	return n
}
