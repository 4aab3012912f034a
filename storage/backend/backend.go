// Package backend is the bucket layer: objstore buckets opened from Tempo's
// storage.trace config, and the layout of tenants, blocks, metas and the
// tenant index on top of them (spec/block-format.md §1–§6).
package backend

import (
	"github.com/thanos-io/objstore"
)

// Backend wraps an objstore bucket with Tempo's layout.
type Backend struct {
	bkt objstore.Bucket
}

// NewFromBucket wraps an already-open bucket.
func NewFromBucket(b objstore.Bucket) *Backend { return &Backend{bkt: b} }

// Bucket returns the underlying objstore bucket.
func (b *Backend) Bucket() objstore.Bucket { return b.bkt }
