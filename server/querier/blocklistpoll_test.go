package querier

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestIndexMaxAge: storage.trace.blocklist_poll bounds how old a tenant
// index the querier trusts; past it the bucket is listed instead, and
// blocks the index does not name are found.
func TestIndexMaxAge(t *testing.T) {
	ctx := context.Background()
	be, _ := fixtureBucket(t, "multi")
	all, _, _, err := be.PollBlocks(ctx, "multi")
	if err != nil || len(all) < 2 {
		t.Fatalf("fixture blocks: %d, %v", len(all), err)
	}
	// An index naming one block only, as if written before the others.
	if err := be.WriteTenantIndex(ctx, "multi", all[:1], nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	for _, tt := range []struct {
		name   string
		maxAge time.Duration
		want   int
	}{
		{"index trusted", time.Hour, 1},
		{"index too old: bucket listed", time.Millisecond, len(all)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := New(be, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry(), Config{IndexMaxAge: tt.maxAge})
			got, err := q.blocks(ctx, "multi")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Errorf("%d blocks, want %d", len(got), tt.want)
			}
		})
	}
}
