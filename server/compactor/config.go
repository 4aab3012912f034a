// Package compactor is serve's background compaction: on every cycle it
// compacts each tenant's blocks (spec/block-format.md §13), applies
// retention, and rewrites the tenant index so readers poll one object.
package compactor

import (
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tempoctl/tempoctl/blocktools"
)

// Config is the `compactor` section of Tempo's YAML.
type Config struct {
	// Ring is accepted for Tempo configs; tempoctl runs one compactor per
	// bucket and does not shard tenants over a ring.
	Ring            yaml.Node        `yaml:"ring"`
	OverrideRingKey yaml.Node        `yaml:"override_ring_key"`
	Compaction      CompactionConfig `yaml:"compaction"`
}

// CompactionConfig is `compactor.compaction`.
type CompactionConfig struct {
	// CompactionWindow groups blocks whose end time falls in the same window.
	CompactionWindow time.Duration `yaml:"compaction_window"`
	// MaxCompactionObjects bounds the traces of one job's inputs (and of
	// one output block).
	MaxCompactionObjects int64 `yaml:"max_compaction_objects"`
	// MaxBlockBytes bounds one job's input bytes (and one output block).
	MaxBlockBytes uint64 `yaml:"max_block_bytes"`
	// BlockRetention deletes blocks whose end is older than this (0: the
	// default of 336h, unless retention_duration is set).
	BlockRetention time.Duration `yaml:"block_retention"`
	// RetentionDuration is the older name of block_retention; it applies
	// when block_retention is not set.
	RetentionDuration time.Duration `yaml:"retention_duration"`
	// CompactedBlockRetention keeps compacted blocks this long so readers
	// that polled before the compaction still find them.
	CompactedBlockRetention time.Duration `yaml:"compacted_block_retention"`
	// CompactionCycle is the pause between cycles.
	CompactionCycle time.Duration `yaml:"compaction_cycle"`
	// MaxTimePerTenant: no new job starts for a tenant past this much time
	// in one cycle, so one tenant cannot starve the others.
	MaxTimePerTenant time.Duration `yaml:"max_time_per_tenant"`
	// RetentionConcurrency, V2InBufferBytes, V2OutBufferBytes and
	// V2PrefetchTracesCount are accepted for Tempo configs and logged as
	// not used: tempoctl's merge streams one trace per input and writes row
	// group by row group, and retention deletes one block at a time.
	RetentionConcurrency  yaml.Node `yaml:"retention_concurrency"`
	V2InBufferBytes       yaml.Node `yaml:"v2_in_buffer_bytes"`
	V2OutBufferBytes      yaml.Node `yaml:"v2_out_buffer_bytes"`
	V2PrefetchTracesCount yaml.Node `yaml:"v2_prefetch_traces_count"`
}

// DefaultConfig returns Tempo's defaults.
func DefaultConfig() Config {
	d := blocktools.DefaultCompactionConfig()
	return Config{
		Compaction: CompactionConfig{
			CompactionWindow:        d.Window,
			MaxCompactionObjects:    d.MaxCompactionObjects,
			MaxBlockBytes:           d.MaxBlockBytes,
			CompactedBlockRetention: time.Hour,
			CompactionCycle:         30 * time.Second,
			MaxTimePerTenant:        5 * time.Minute,
		},
	}
}

// DefaultBlockRetention is Tempo's block_retention default (14 days).
const DefaultBlockRetention = 14 * 24 * time.Hour

// Retention is block_retention, else retention_duration, else 336h. (The
// default is not in DefaultConfig so that a YAML setting only the older
// retention_duration key is not overridden by it.)
func (c CompactionConfig) Retention() time.Duration {
	switch {
	case c.BlockRetention > 0:
		return c.BlockRetention
	case c.RetentionDuration > 0:
		return c.RetentionDuration
	}
	return DefaultBlockRetention
}

// TenantLimits are the per-tenant overrides the compactor honours; zero
// values fall back to the config.
type TenantLimits struct {
	BlockRetention     time.Duration
	CompactionWindow   time.Duration
	CompactionDisabled bool // skipped by compaction and retention, as Tempo does
	// MaxBytesPerTrace (the tenant's max_bytes_per_trace): a trace whose
	// parts together exceed it keeps only its first part when compacted.
	MaxBytesPerTrace int
}
