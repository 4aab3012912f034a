// Package bloom is Tempo's sharded trace-ID bloom filter (spec/block-format.md §11),
// byte-compatible with the bloom-N objects Tempo writes: murmur3-128 double
// hashing as in bits-and-blooms/bloom v3, shards picked by FNV-1 32.
package bloom

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Defaults from Tempo's config.
const (
	DefaultFP             = 0.01
	DefaultShardSizeBytes = 100 * 1024
	maxShards             = 1000
	legacyShardCount      = 10
	headerBytes           = 24
)

// filter is one shard: m bits, k hash functions.
type filter struct {
	m, k uint64
	bits []uint64
}

// Sharded is a set of equally sized filters; an ID goes to shard FNV-1(id) mod N.
type Sharded struct {
	shards []filter
}

// EstimateParameters returns (m, k) for n items at false-positive rate fp.
func EstimateParameters(n int, fp float64) (m, k uint64) {
	if n < 1 {
		n = 1
	}
	mf := math.Ceil(-float64(n) * math.Log(fp) / (math.Ln2 * math.Ln2))
	kf := math.Ceil(math.Ln2 * mf / float64(n))
	return uint64(mf), uint64(kf)
}

// New sizes a sharded filter for n estimated IDs at false-positive rate fp
// with shards of shardSizeBytes each.
func New(fp float64, shardSizeBytes int, n int) *Sharded {
	if fp <= 0 || fp >= 1 {
		fp = DefaultFP
	}
	if shardSizeBytes <= 0 {
		shardSizeBytes = DefaultShardSizeBytes
	}
	mTotal, k := EstimateParameters(n, fp)
	shardBits := uint64(shardSizeBytes) * 8
	count := int((mTotal + shardBits - 1) / shardBits)
	count = min(max(count, 1), maxShards)
	s := &Sharded{shards: make([]filter, count)}
	for i := range s.shards {
		s.shards[i] = filter{m: shardBits, k: k, bits: make([]uint64, (shardBits+63)/64)}
	}
	return s
}

// Add adds a 16-byte trace ID.
func (s *Sharded) Add(id []byte) {
	f := &s.shards[ShardFor(id, len(s.shards))]
	h := hashes(id)
	for i := uint64(0); i < f.k; i++ {
		b := location(h, i) % f.m
		f.bits[b/64] |= 1 << (b % 64)
	}
}

// ShardCount is the number of shards (meta.bloomShards).
func (s *Sharded) ShardCount() int { return len(s.shards) }

// Marshal returns each shard's serialized bytes, shard 0 first.
func (s *Sharded) Marshal() ([][]byte, error) {
	out := make([][]byte, len(s.shards))
	for i, f := range s.shards {
		b := make([]byte, headerBytes+8*len(f.bits))
		binary.BigEndian.PutUint64(b[0:], f.m)
		binary.BigEndian.PutUint64(b[8:], f.k)
		binary.BigEndian.PutUint64(b[16:], f.m)
		for j, w := range f.bits {
			binary.BigEndian.PutUint64(b[headerBytes+8*j:], w)
		}
		out[i] = b
	}
	return out, nil
}

// ShardFor returns the shard an ID belongs to (shardCount 0 means the legacy 10).
func ShardFor(id []byte, shardCount int) int {
	if shardCount <= 0 {
		shardCount = legacyShardCount
	}
	return int(fnv1(id) % uint32(shardCount))
}

// Test reports whether a serialized shard may contain id.
func Test(shard []byte, id []byte) (bool, error) {
	if len(shard) < headerBytes {
		return false, fmt.Errorf("bloom shard is %d bytes, shorter than its %d-byte header", len(shard), headerBytes)
	}
	m := binary.BigEndian.Uint64(shard[0:])
	k := binary.BigEndian.Uint64(shard[8:])
	avail := uint64(len(shard)-headerBytes) / 8 // words present; compared by division so a huge m cannot overflow
	if m == 0 || k == 0 || k > 64 || m/64+boolToUint(m%64 != 0) > avail {
		return false, fmt.Errorf("bloom shard is corrupt: m=%d k=%d, %d bytes", m, k, len(shard))
	}
	h := hashes(id)
	for i := uint64(0); i < k; i++ {
		b := location(h, i) % m
		w := binary.BigEndian.Uint64(shard[headerBytes+8*(b/64):])
		if w&(1<<(b%64)) == 0 {
			return false, nil
		}
	}
	return true, nil
}

// location is the i-th bit position before the modulo (spec §11).
func location(h [4]uint64, i uint64) uint64 {
	return h[i%2] + i*h[2+(((i+(i%2))%4)/2)]
}

// hashes returns h1..h4: murmur3 x64 128 of id, then of id with a 0x01 byte appended.
func hashes(id []byte) [4]uint64 {
	a1, a2 := murmur3x64(id, 0)
	var stack [33]byte // trace IDs are 16 bytes: no allocation on the hot path
	var buf []byte
	if len(id) < len(stack) {
		buf = stack[:len(id)+1]
	} else {
		buf = make([]byte, len(id)+1)
	}
	copy(buf, id)
	buf[len(id)] = 1
	b1, b2 := murmur3x64(buf, 0)
	return [4]uint64{a1, a2, b1, b2}
}

func boolToUint(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func fnv1(b []byte) uint32 {
	h := uint32(0x811c9dc5)
	for _, c := range b {
		h *= 0x01000193
		h ^= uint32(c)
	}
	return h
}
