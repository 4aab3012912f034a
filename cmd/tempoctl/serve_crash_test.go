package main

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
)

// TestServeLosesNoAcknowledgedSpanOnSIGKILL streams spans to the built
// binary, kills it with SIGKILL mid-stream, restarts it on the same WAL and
// bucket, several times; in the end every span whose push got an OK is in
// the blocks, read back with the storage package.
func TestServeLosesNoAcknowledgedSpanOnSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills the server several times")
	}
	dir := t.TempDir()
	// Short blocks, so kills land before, during and after flushes.
	flags := []string{"-ingester.max_block_duration=1s", "-limits.max_traces_per_user=0", "-limits.ingestion_rate_limit_bytes=0"}
	acked := map[model.TraceID]map[string]bool{} // trace → span IDs acknowledged
	gen := tracegen.New(7, tracegen.Config{MinSpans: 3, MaxSpans: 12})
	rnd := rand.New(rand.NewPCG(1, 2))
	const rounds = 4
	for round := range rounds {
		p := startServe(t, dir, flags...)
		conn, err := grpc.NewClient(p.otlpGRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		client := ptraceotlp.NewGRPCClient(conn)
		ctx, cancel := context.WithCancel(context.Background())
		var (
			mu     sync.Mutex
			sent   int
			failed int
			wg     sync.WaitGroup
		)
		// Two streams of 20-trace requests until the kill.
		for range 2 {
			reqs := make(chan ptrace.Traces, 1)
			wg.Add(2)
			go func() {
				defer wg.Done()
				defer close(reqs)
				for ctx.Err() == nil {
					td := ptrace.NewTraces()
					mu.Lock()
					for range 20 {
						_, tr := gen.Trace()
						tr.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
					}
					mu.Unlock()
					select {
					case reqs <- td:
					case <-ctx.Done():
						return
					}
				}
			}()
			go func() {
				defer wg.Done()
				for td := range reqs {
					rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
					_, err := client.Export(rctx, ptraceotlp.NewExportRequestFromTraces(td))
					rcancel()
					mu.Lock()
					if err != nil {
						failed++
					} else {
						sent++
						recordSpans(acked, td)
					}
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(800+rnd.IntN(1700)) * time.Millisecond)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-p.done
		cancel()
		wg.Wait()
		conn.Close()
		t.Logf("round %d: %d requests acknowledged, %d failed at the kill", round, sent, failed)
		if sent == 0 {
			t.Fatalf("round %d: nothing acknowledged before the kill\n%s", round, p.out.String())
		}
	}
	// A last start replays the WAL; a clean stop flushes it.
	p := startServe(t, dir, flags...)
	p.stop()

	ctx := context.Background()
	be, err := backend.Open(ctx, backend.Config{Backend: "local", Local: backend.LocalConfig{Path: filepath.Join(dir, "traces")}})
	if err != nil {
		t.Fatal(err)
	}
	metas, _, err := be.BlockMetas(ctx, "single-tenant")
	if err != nil {
		t.Fatal(err)
	}
	stored := map[model.TraceID]map[string]bool{}
	for _, m := range metas {
		r, err := block.Open(ctx, be, m)
		if err != nil {
			t.Fatalf("block %s: %v", m.BlockID, err)
		}
		if err := r.Iterate(ctx, func(id model.TraceID, td ptrace.Traces) error {
			recordSpans(stored, td)
			return nil
		}); err != nil {
			t.Fatalf("block %s: %v", m.BlockID, err)
		}
	}
	missing, spans := 0, 0
	for id, want := range acked {
		for sid := range want {
			spans++
			if !stored[id][sid] {
				missing++
				if missing <= 5 {
					t.Errorf("acknowledged span %s of trace %s is not in any block", sid, id)
				}
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged spans lost", missing, spans)
	}
	t.Logf("%d acknowledged spans of %d traces all found in %d blocks", spans, len(acked), len(metas))
}

func recordSpans(into map[model.TraceID]map[string]bool, td ptrace.Traces) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				s := spans.At(k)
				id := model.TraceID(s.TraceID())
				if into[id] == nil {
					into[id] = map[string]bool{}
				}
				into[id][s.SpanID().String()] = true
			}
		}
	}
}
