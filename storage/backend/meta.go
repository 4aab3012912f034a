package backend

import (
	"time"

	"github.com/google/uuid"
)

// Block versions tempoctl reads and writes.
const (
	VersionVParquet4 = "vParquet4"
	VersionVParquet5 = "vParquet5"
	DefaultVersion   = VersionVParquet5
)

// BlockMeta is meta.json (spec/block-format.md §3). Field order is the JSON key
// order Tempo writes; do not reorder.
type BlockMeta struct {
	Version           string           `json:"format"`
	BlockID           uuid.UUID        `json:"blockID"`
	TenantID          string           `json:"tenantID"`
	StartTime         time.Time        `json:"startTime"`
	EndTime           time.Time        `json:"endTime"`
	TotalObjects      int64            `json:"totalObjects"`
	Size              uint64           `json:"size,omitempty"`
	CompactionLevel   uint32           `json:"compactionLevel"`
	IndexPageSize     uint32           `json:"indexPageSize"`
	TotalRecords      uint32           `json:"totalRecords"`
	BloomShardCount   uint32           `json:"bloomShards"`
	FooterSize        uint32           `json:"footerSize"`
	DedicatedColumns  DedicatedColumns `json:"dedicatedColumns,omitempty"`
	ReplicationFactor uint32           `json:"replicationFactor,omitempty"`
}

// CompactedBlockMeta is a block whose meta.json was renamed to
// meta.compacted.json; CompactedTime comes from the object's modification time.
type CompactedBlockMeta struct {
	BlockMeta
	CompactedTime time.Time `json:"compactedTime"`
}

// DedicatedColumn is one entry of meta.json's dedicatedColumns (§3, §8).
// Keys are omitted when they hold their default.
type DedicatedColumn struct {
	Scope   string   `json:"s,omitempty"` // "span" (default, stored as ""), "resource", "event"
	Name    string   `json:"n"`
	Type    string   `json:"t,omitempty"` // "string" (default, stored as ""), "int"
	Options []string `json:"o,omitempty"` // "array", "blob"
}

// DedicatedColumns in assignment order.
type DedicatedColumns []DedicatedColumn
