// Package backend is the bucket layer: objstore buckets opened from Tempo's
// storage.trace config, and the layout of tenants, blocks, metas and the
// tenant index on top of them (spec/block-format.md §1–§6; FORMAT.md here).
package backend

import (
	"errors"
	"path"
	"strconv"

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

// Root-level objects that are not tenants.
var notTenants = map[string]bool{"tempo_cluster_seed.json": true, "work.json": true, "": true}

// BloomName is the object name of bloom shard i ("bloom-0", "bloom-1", ...).
func BloomName(i int) string { return "bloom-" + strconv.Itoa(i) }

// ErrDoesNotExist is returned when an object or block is absent.
var ErrDoesNotExist = errors.New("does not exist")

// Backend wraps an objstore bucket with Tempo's layout.
type Backend struct {
	bkt objstore.Bucket
	// local is set for the filesystem backend, where "mark compacted" is a
	// rename, as Tempo's local backend does it.
	local string
}

// NewFromBucket wraps an already-open bucket.
func NewFromBucket(b objstore.Bucket) *Backend { return &Backend{bkt: b} }

// Bucket returns the underlying objstore bucket.
func (b *Backend) Bucket() objstore.Bucket { return b.bkt }

// Close releases the bucket's resources.
func (b *Backend) Close() error { return b.bkt.Close() }

// ObjectKey is the key of a block's object: <tenant>/<blockID>/<name>.
func ObjectKey(tenant string, id uuid.UUID, name string) string {
	return path.Join(tenant, id.String(), name)
}
