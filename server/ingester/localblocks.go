package ingester

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/tempoctl/tempoctl/storage/backend"
)

// Complete blocks kept locally: after a flush the block's data.parquet
// stays on the ingester's disk for complete_block_timeout, laid out as a
// local backend, and queries read recent blocks from it instead of the
// object store.

// localBlock is one kept copy.
type localBlock struct {
	tenant string
	id     uuid.UUID
	at     time.Time // flushed
}

// initLocalBlocks prepares the directory of kept copies. Copies left by an
// earlier run are removed: their blocks are in the backend, and nothing
// tracks their age.
func (in *Ingester) initLocalBlocks(ctx context.Context) error {
	if in.cfg.CompleteBlockTimeout <= 0 || in.cfg.LocalBlocksPath == "" {
		return nil
	}
	if err := os.RemoveAll(in.cfg.LocalBlocksPath); err != nil {
		return fmt.Errorf("ingester: local blocks: %w", err)
	}
	if err := os.MkdirAll(in.cfg.LocalBlocksPath, 0o755); err != nil {
		return fmt.Errorf("ingester: local blocks: %w", err)
	}
	be, err := backend.Open(ctx, backend.Config{Backend: "local", Local: backend.LocalConfig{Path: in.cfg.LocalBlocksPath}})
	if err != nil {
		return fmt.Errorf("ingester: local blocks: %w", err)
	}
	in.localBE = be
	in.blockCfg.KeepDataIn = in.cfg.LocalBlocksPath
	return nil
}

// keptLocally records a flushed block whose data the writer kept.
func (in *Ingester) keptLocally(tenant string, id uuid.UUID, now time.Time) {
	in.mu.Lock()
	in.local = append(in.local, localBlock{tenant: tenant, id: id, at: now})
	in.mu.Unlock()
}

// expireLocal deletes the copies older than complete_block_timeout; queries
// then read those blocks from the backend.
func (in *Ingester) expireLocal(ctx context.Context, now time.Time) {
	in.mu.Lock()
	var expired []localBlock
	keep := in.local[:0]
	for _, b := range in.local {
		if now.Sub(b.at) >= in.cfg.CompleteBlockTimeout {
			expired = append(expired, b)
		} else {
			keep = append(keep, b)
		}
	}
	in.local = keep
	in.mu.Unlock()
	for _, b := range expired {
		if in.localHook != nil {
			in.localHook(b.tenant, b.id)
		}
		// Open readers keep reading the unlinked file until they let go.
		if err := in.localBE.DeleteBlock(ctx, b.tenant, b.id); err != nil {
			in.log.Warn("local copy of a flushed block not deleted", "tenant", b.tenant, "block", b.id, "err", err)
		}
	}
}

// LocalBlock returns the backend holding a kept copy of the block's data,
// false when there is none (never flushed here, or expired).
func (in *Ingester) LocalBlock(tenant string, id uuid.UUID) (*backend.Backend, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, b := range in.local {
		if b.id == id && b.tenant == tenant {
			return in.localBE, true
		}
	}
	return nil, false
}

// SetLocalBlockHook sets fn to run when a kept copy is about to be deleted
// (readers opened on it should be dropped). Call before Start.
func (in *Ingester) SetLocalBlockHook(fn func(tenant string, id uuid.UUID)) { in.localHook = fn }
