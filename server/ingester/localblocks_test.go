package ingester

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/storage/backend"
)

// TestLocalCopiesOfFlushedBlocks: a flushed block's data stays on the
// ingester's disk, byte for byte the backend's, until
// complete_block_timeout; then the hook runs and the copy goes. Copies
// from an earlier run are removed at start.
func TestLocalCopiesOfFlushedBlocks(t *testing.T) {
	ctx := context.Background()
	be, _ := backend.Open(ctx, backend.Config{Backend: "memory"})
	walDir := t.TempDir()
	local := filepath.Join(walDir, "blocks")
	stale := filepath.Join(local, "acme", uuid.NewString(), backend.DataName)
	if err := os.MkdirAll(filepath.Dir(stale), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}

	cfg := DefaultConfig()
	cfg.CompleteBlockTimeout, cfg.LocalBlocksPath = time.Hour, local
	in := newIngester(t, walDir, be, cfg)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("a copy left by an earlier run is still there: %v", err)
	}
	var dropped []uuid.UUID
	in.SetLocalBlockHook(func(tenant string, id uuid.UUID) {
		if tenant != "acme" {
			t.Errorf("hook for tenant %q", tenant)
		}
		dropped = append(dropped, id)
	})
	g := tracegen.New(9, tracegen.Config{})
	for range 20 {
		_, td := g.Trace()
		if err := in.Push(ctx, "acme", batch(t, td)); err != nil {
			t.Fatal(err)
		}
	}
	if err := in.CutAndFlush(ctx); err != nil {
		t.Fatal(err)
	}
	metas, _, err := be.BlockMetas(ctx, "acme")
	if err != nil || len(metas) != 1 {
		t.Fatalf("blocks: %v %v", metas, err)
	}
	id := metas[0].BlockID
	lbe, ok := in.LocalBlock("acme", id)
	if !ok {
		t.Fatal("no local copy of the flushed block")
	}
	if _, ok := in.LocalBlock("globex", id); ok {
		t.Error("local copy found under another tenant")
	}
	want, err := be.ReadObject(ctx, "acme", id, backend.DataName)
	if err != nil {
		t.Fatal(err)
	}
	got, err := lbe.ReadObject(ctx, "acme", id, backend.DataName)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("local copy differs from the backend's data.parquet (%d vs %d bytes, %v)", len(got), len(want), err)
	}
	entries, _ := os.ReadDir(local)
	for _, e := range entries {
		if !e.IsDir() {
			t.Errorf("temporary file left in %s: %s", local, e.Name())
		}
	}

	in.expireLocal(ctx, time.Now().Add(30*time.Minute))
	if len(dropped) != 0 {
		t.Fatalf("copy dropped before complete_block_timeout: %v", dropped)
	}
	in.expireLocal(ctx, time.Now().Add(2*time.Hour))
	if len(dropped) != 1 || dropped[0] != id {
		t.Fatalf("hook calls %v, want [%s]", dropped, id)
	}
	if _, ok := in.LocalBlock("acme", id); ok {
		t.Error("expired copy still offered")
	}
	if _, err := os.Stat(filepath.Join(local, "acme", id.String(), backend.DataName)); !os.IsNotExist(err) {
		t.Errorf("expired copy still on disk: %v", err)
	}
}

// TestNoLocalCopiesWithoutTimeout: complete_block_timeout 0 keeps nothing.
func TestNoLocalCopiesWithoutTimeout(t *testing.T) {
	ctx := context.Background()
	be, _ := backend.Open(ctx, backend.Config{Backend: "memory"})
	walDir := t.TempDir()
	cfg := DefaultConfig()
	cfg.CompleteBlockTimeout, cfg.LocalBlocksPath = 0, filepath.Join(walDir, "blocks")
	in := newIngester(t, walDir, be, cfg)
	_, td := tracegen.New(1, tracegen.Config{}).Trace()
	if err := in.Push(ctx, "acme", batch(t, td)); err != nil {
		t.Fatal(err)
	}
	if err := in.CutAndFlush(ctx); err != nil {
		t.Fatal(err)
	}
	metas, _, _ := be.BlockMetas(ctx, "acme")
	if len(metas) != 1 {
		t.Fatalf("%d blocks", len(metas))
	}
	if _, ok := in.LocalBlock("acme", metas[0].BlockID); ok {
		t.Error("a copy kept with complete_block_timeout 0")
	}
	if _, err := os.Stat(cfg.LocalBlocksPath); !os.IsNotExist(err) {
		t.Errorf("local blocks directory made: %v", err)
	}
}
