package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// MarshalMeta encodes meta.json as Tempo does (compact, keys in struct order).
func MarshalMeta(m *BlockMeta) ([]byte, error) { return json.Marshal(m) }

// UnmarshalMeta decodes meta.json; unknown legacy keys are ignored.
func UnmarshalMeta(b []byte) (*BlockMeta, error) {
	var m BlockMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode block meta: %w", err)
	}
	if m.Version == "" {
		return nil, errors.New("decode block meta: format is empty")
	}
	if m.BlockID == uuid.Nil {
		return nil, errors.New("decode block meta: blockID is empty")
	}
	return &m, nil
}

// WriteMeta writes meta.json; call it last, it makes the block visible.
func (b *Backend) WriteMeta(ctx context.Context, m *BlockMeta) error {
	data, err := MarshalMeta(m)
	if err != nil {
		return err
	}
	return b.WriteObjectBytes(ctx, m.TenantID, m.BlockID, MetaName, data)
}

// ReadMeta reads meta.json of a live block (ErrDoesNotExist when absent).
func (b *Backend) ReadMeta(ctx context.Context, tenant string, id uuid.UUID) (*BlockMeta, error) {
	data, err := b.ReadObject(ctx, tenant, id, MetaName)
	if err != nil {
		return nil, err
	}
	m, err := UnmarshalMeta(data)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", tenant, id, err)
	}
	return m, nil
}

// ReadCompactedMeta reads meta.compacted.json, with the compacted time from
// the object's modification time (§4).
func (b *Backend) ReadCompactedMeta(ctx context.Context, tenant string, id uuid.UUID) (*CompactedBlockMeta, error) {
	key := ObjectKey(tenant, id, CompactedMetaName)
	data, err := b.readKey(ctx, key)
	if err != nil {
		return nil, err
	}
	m, err := UnmarshalMeta(data)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", tenant, id, err)
	}
	attrs, err := b.bkt.Attributes(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", key, err)
	}
	return &CompactedBlockMeta{BlockMeta: *m, CompactedTime: attrs.LastModified}, nil
}

// MarkCompacted turns meta.json into meta.compacted.json: a rename on the
// local backend, copy-then-delete on object stores.
func (b *Backend) MarkCompacted(ctx context.Context, tenant string, id uuid.UUID) error {
	if b.local != "" {
		dir := filepath.Join(b.local, tenant, id.String())
		if err := os.Rename(filepath.Join(dir, MetaName), filepath.Join(dir, CompactedMetaName)); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("mark %s/%s compacted: %w", tenant, id, ErrDoesNotExist)
			}
			return fmt.Errorf("mark %s/%s compacted: %w", tenant, id, err)
		}
		now := time.Now()
		_ = os.Chtimes(filepath.Join(dir, CompactedMetaName), now, now)
		return nil
	}
	data, err := b.ReadObject(ctx, tenant, id, MetaName)
	if err != nil {
		return fmt.Errorf("mark %s/%s compacted: %w", tenant, id, err)
	}
	if err := b.WriteObjectBytes(ctx, tenant, id, CompactedMetaName, data); err != nil {
		return fmt.Errorf("mark %s/%s compacted: %w", tenant, id, err)
	}
	if err := b.bkt.Delete(ctx, ObjectKey(tenant, id, MetaName)); err != nil && !b.notFound(err) {
		return fmt.Errorf("mark %s/%s compacted: delete meta.json: %w", tenant, id, err)
	}
	return nil
}

// Tenants lists the tenants in the bucket, sorted.
func (b *Backend) Tenants(ctx context.Context) ([]string, error) {
	var out []string
	err := b.bkt.Iter(ctx, "", func(name string) error {
		if !strings.HasSuffix(name, "/") {
			return nil // root objects such as tempo_cluster_seed.json
		}
		t := strings.TrimSuffix(name, "/")
		if !notTenants[t] {
			out = append(out, t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	sort.Strings(out)
	return out, nil
}

// ListBlocks lists a tenant's block IDs by their meta objects: live blocks
// have meta.json, compacted ones only meta.compacted.json. Directories that
// are not UUIDs or hold neither meta are ignored (§1).
func (b *Backend) ListBlocks(ctx context.Context, tenant string) (live, compacted []uuid.UUID, err error) {
	var dirs []uuid.UUID
	err = b.bkt.Iter(ctx, tenant+"/", func(name string) error {
		if !strings.HasSuffix(name, "/") {
			return nil
		}
		id, perr := uuid.Parse(strings.TrimSuffix(strings.TrimPrefix(name, tenant+"/"), "/"))
		if perr == nil {
			dirs = append(dirs, id)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list blocks of tenant %s: %w", tenant, err)
	}
	for _, id := range dirs {
		hasMeta, err := b.bkt.Exists(ctx, ObjectKey(tenant, id, MetaName))
		if err != nil {
			return nil, nil, fmt.Errorf("list blocks of tenant %s: %w", tenant, err)
		}
		if hasMeta {
			live = append(live, id)
			continue
		}
		hasCompacted, err := b.bkt.Exists(ctx, ObjectKey(tenant, id, CompactedMetaName))
		if err != nil {
			return nil, nil, fmt.Errorf("list blocks of tenant %s: %w", tenant, err)
		}
		if hasCompacted {
			compacted = append(compacted, id)
		}
	}
	return live, compacted, nil
}

// MetaError is a block whose meta could not be read while listing.
type MetaError struct {
	Tenant string
	ID     uuid.UUID
	Err    error
}

func (e MetaError) Error() string { return fmt.Sprintf("block %s/%s: %v", e.Tenant, e.ID, e.Err) }

// PollBlocks lists a tenant's blocks and reads every meta (no tenant index).
// Unreadable metas are returned separately so one bad block never hides the others.
func (b *Backend) PollBlocks(ctx context.Context, tenant string) ([]*BlockMeta, []*CompactedBlockMeta, []MetaError, error) {
	live, compacted, err := b.ListBlocks(ctx, tenant)
	if err != nil {
		return nil, nil, nil, err
	}
	var metas []*BlockMeta
	var cmetas []*CompactedBlockMeta
	var bad []MetaError
	for _, id := range live {
		m, err := b.ReadMeta(ctx, tenant, id)
		if errors.Is(err, ErrDoesNotExist) {
			continue // compacted or deleted since the listing
		}
		if err != nil {
			bad = append(bad, MetaError{tenant, id, err})
			continue
		}
		metas = append(metas, m)
	}
	for _, id := range compacted {
		m, err := b.ReadCompactedMeta(ctx, tenant, id)
		if errors.Is(err, ErrDoesNotExist) {
			continue
		}
		if err != nil {
			bad = append(bad, MetaError{tenant, id, err})
			continue
		}
		cmetas = append(cmetas, m)
	}
	SortMetas(metas)
	sort.Slice(cmetas, func(i, j int) bool { return lessMeta(&cmetas[i].BlockMeta, &cmetas[j].BlockMeta) })
	return metas, cmetas, bad, nil
}

// SortMetas orders metas by start time, then block ID.
func SortMetas(ms []*BlockMeta) {
	sort.Slice(ms, func(i, j int) bool { return lessMeta(ms[i], ms[j]) })
}

func lessMeta(a, b *BlockMeta) bool {
	if !a.StartTime.Equal(b.StartTime) {
		return a.StartTime.Before(b.StartTime)
	}
	return bytes.Compare(a.BlockID[:], b.BlockID[:]) < 0
}

// BlockMetas returns a tenant's live and compacted blocks: from the tenant
// index when it is younger than DefaultIndexMaxAge (the default
// blocklist_poll), else by
// listing the bucket.
func (b *Backend) BlockMetas(ctx context.Context, tenant string) ([]*BlockMeta, []*CompactedBlockMeta, error) {
	return b.BlockMetasMaxAge(ctx, tenant, DefaultIndexMaxAge)
}

// BlockMetasMaxAge is BlockMetas with an explicit staleness bound for the index.
func (b *Backend) BlockMetasMaxAge(ctx context.Context, tenant string, maxIndexAge time.Duration) ([]*BlockMeta, []*CompactedBlockMeta, error) {
	idx, err := b.ReadTenantIndex(ctx, tenant)
	if err == nil && (maxIndexAge <= 0 || time.Since(idx.CreatedAt) <= maxIndexAge) {
		SortMetas(idx.Meta)
		return idx.Meta, idx.Compacted, nil
	}
	metas, compacted, _, err := b.PollBlocks(ctx, tenant)
	return metas, compacted, err
}

// DefaultIndexMaxAge is how old a tenant index may be before readers list the
// bucket instead: Tempo rewrites it every blocklist_poll (5m).
const DefaultIndexMaxAge = 5 * time.Minute
