// Package backend is the bucket layer: objstore buckets opened from Tempo's
// storage.trace config, and the layout of tenants, blocks, metas and the
// tenant index on top of them (spec/block-format.md §1–§6).
package backend

import (
	"context"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/thanos-io/objstore"
)

// Object names inside a block directory (spec §1).
const (
	MetaName          = "meta.json"
	CompactedMetaName = "meta.compacted.json"
	DataName          = "data.parquet"
	IndexName         = "index"
	NoCompactFlagName = "nocompact.flg"
	TenantIndexJSON   = "index.json.gz"
	TenantIndexProto  = "index.pb.zst"
)

// BloomName is the object name of bloom shard i ("bloom-0", "bloom-1", ...).
func BloomName(i int) string { return "bloom-" + strconv.Itoa(i) }

// ErrDoesNotExist is returned when an object or block is absent.
var ErrDoesNotExist = errors.New("does not exist")

var errTODO = errors.New("backend: not implemented yet")

// Backend wraps an objstore bucket with Tempo's layout.
type Backend struct {
	bkt objstore.Bucket
}

// NewFromBucket wraps an already-open bucket.
func NewFromBucket(b objstore.Bucket) *Backend { return &Backend{bkt: b} }

// Bucket returns the underlying objstore bucket.
func (b *Backend) Bucket() objstore.Bucket { return b.bkt }

// TenantIndex is the content of index.json.gz / index.pb.zst (§5).
type TenantIndex struct {
	CreatedAt time.Time             `json:"created_at"`
	Meta      []*BlockMeta          `json:"meta"`
	Compacted []*CompactedBlockMeta `json:"compacted"`
}

// The methods below are the contract other packages code against.

// ReadObject reads a whole object of a block.
func (b *Backend) ReadObject(ctx context.Context, tenant string, id uuid.UUID, name string) ([]byte, error) {
	return nil, errTODO
}

// ReaderAt reads ranges of an object of known size (for Parquet footers and pages).
func (b *Backend) ReaderAt(ctx context.Context, tenant string, id uuid.UUID, name string, size int64) io.ReaderAt {
	return nil
}

// WriteObject writes an object of a block.
func (b *Backend) WriteObject(ctx context.Context, tenant string, id uuid.UUID, name string, r io.Reader) error {
	return errTODO
}

// WriteMeta writes meta.json; call it last, it makes the block visible.
func (b *Backend) WriteMeta(ctx context.Context, m *BlockMeta) error { return errTODO }

// ReadMeta reads meta.json of a live block (ErrDoesNotExist when absent).
func (b *Backend) ReadMeta(ctx context.Context, tenant string, id uuid.UUID) (*BlockMeta, error) {
	return nil, errTODO
}

// Tenants lists the tenants in the bucket.
func (b *Backend) Tenants(ctx context.Context) ([]string, error) { return nil, errTODO }

// BlockMetas returns a tenant's live and compacted blocks, from the tenant
// index when present, else by listing.
func (b *Backend) BlockMetas(ctx context.Context, tenant string) ([]*BlockMeta, []*CompactedBlockMeta, error) {
	return nil, nil, errTODO
}

// MarkCompacted turns meta.json into meta.compacted.json.
func (b *Backend) MarkCompacted(ctx context.Context, tenant string, id uuid.UUID) error {
	return errTODO
}

// DeleteBlock deletes every object of a block.
func (b *Backend) DeleteBlock(ctx context.Context, tenant string, id uuid.UUID) error {
	return errTODO
}

// WriteTenantIndex writes index.json.gz and index.pb.zst for tenant.
func (b *Backend) WriteTenantIndex(ctx context.Context, tenant string, metas []*BlockMeta, compacted []*CompactedBlockMeta) error {
	return errTODO
}

// ReadTenantIndex reads the tenant index (pb.zst first, then json.gz).
func (b *Backend) ReadTenantIndex(ctx context.Context, tenant string) (*TenantIndex, error) {
	return nil, errTODO
}
