// Package bloom is Tempo's sharded trace-ID bloom filter (spec/block-format.md §11),
// byte-compatible with the bloom-N objects Tempo writes.
package bloom

import "errors"

var errTODO = errors.New("bloom: not implemented yet")

// Sharded is a set of equally sized bloom filters; an ID goes to shard FNV-1(id) mod N.
type Sharded struct{}

// New sizes a sharded filter for n estimated IDs at false-positive rate fp
// with shards of shardSizeBytes each.
func New(fp float64, shardSizeBytes int, n int) *Sharded { return &Sharded{} }

// Add adds a 16-byte trace ID.
func (s *Sharded) Add(id []byte) {}

// ShardCount is the number of shards (meta.bloomShards).
func (s *Sharded) ShardCount() int { return 0 }

// Marshal returns each shard's serialized bytes, shard 0 first.
func (s *Sharded) Marshal() ([][]byte, error) { return nil, errTODO }

// ShardFor returns the shard an ID belongs to (shardCount 0 means the legacy 10).
func ShardFor(id []byte, shardCount int) int { return 0 }

// Test reports whether a serialized shard may contain id.
func Test(shard []byte, id []byte) (bool, error) { return false, errTODO }
