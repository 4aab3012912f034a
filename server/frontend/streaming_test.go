package frontend_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/tempoctl/tempoctl/server/api"
	"github.com/tempoctl/tempoctl/server/frontend"
	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/server/tempopb"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/traceql"
)

// gatedExecutor runs each job on the real worker, then holds its answer
// until the test has received one more streamed message: the search
// cannot finish before progress was streamed, however fast the jobs are.
type gatedExecutor struct {
	*frontend.Worker
	gate chan struct{}
}

func (g gatedExecutor) RunSearchJob(ctx context.Context, req querier.SearchRequest, job querier.SearchJob) (*traceql.SearchResponse, error) {
	resp, err := g.Worker.RunSearchJob(ctx, req, job)
	select {
	case <-g.gate:
	case <-ctx.Done():
	}
	return resp, err
}

// A streaming search through the frontend reports from its first message
// on the totals the frontend planned (jobs, blocks, block bytes), the same
// as its final answer's.
func TestStreamingSearchTotals(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "fixtures", "tempo-blocks"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("fixtures: %v", err)
	}
	be, err := backend.Open(context.Background(), backend.Config{Backend: "local", Local: backend.LocalConfig{Path: dir}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })

	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	q := querier.New(be, nil, nil, nil, querier.Config{})
	cfg := frontend.DefaultConfig()
	cfg.Search.ConcurrentJobs = 1
	gate := make(chan struct{}, 1000) // one token per message received
	exec := gatedExecutor{frontend.NewWorker(q, frontend.DefaultQuerierConfig()), gate}
	f := frontend.New(cfg, q, exec, frontend.Options{Now: func() time.Time { return now }})

	gs := grpc.NewServer()
	api.RegisterStreaming(gs, f, api.Options{MultitenancyEnabled: true, StreamInterval: time.Millisecond, Now: func() time.Time { return now }})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })

	ctx := metadata.AppendToOutgoingContext(context.Background(), api.TenantMetadataKey, "multi")
	stream, err := tempopb.NewStreamingQuerierClient(conn).Search(ctx, &tempopb.SearchRequest{Query: "{ }", Limit: 1000, Start: 1795464000, End: 1795467600})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []*tempopb.SearchResponse
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
		gate <- struct{}{}
	}
	final := msgs[len(msgs)-1].Metrics
	if final == nil || final.TotalJobs == 0 || final.TotalBlocks == 0 || final.CompletedJobs != final.TotalJobs {
		t.Fatalf("final metrics %+v", final)
	}
	partial := 0
	for i, m := range msgs {
		got := m.Metrics
		if got == nil || got.TotalJobs != final.TotalJobs || got.TotalBlocks != final.TotalBlocks || got.TotalBlockBytes != final.TotalBlockBytes {
			t.Fatalf("message %d of %d: metrics %+v, final %+v", i, len(msgs), got, final)
		}
		if got.CompletedJobs < got.TotalJobs {
			partial++
		}
	}
	if partial == 0 {
		t.Fatalf("no progress before the final answer (%d messages)", len(msgs))
	}
	t.Logf("%d messages, %d before all jobs completed; final %+v", len(msgs), partial, final)
}
