// Package ingester keeps live traces, appends pushes to the WAL before
// acknowledging them, cuts what it holds into blocks by size or age and
// flushes them to the backend, then drops the WAL segments they covered.
package ingester

import "time"

// Config is the ingester section of the YAML.
type Config struct {
	// TraceIdlePeriod: a trace without new spans for this long counts as
	// complete (no longer "live"); a cut keeps live traces for a later
	// block.
	TraceIdlePeriod time.Duration `yaml:"trace_idle_period"`
	// MaxBlockBytes cuts a block once this many bytes of spans are held.
	MaxBlockBytes uint64 `yaml:"max_block_bytes"`
	// MaxBlockDuration cuts a block once its oldest data is this old.
	MaxBlockDuration time.Duration `yaml:"max_block_duration"`
	// CompleteBlockTimeout is how long a flushed block's data stays on the
	// ingester's disk (under LocalBlocksPath) for queries of recent data;
	// 0 keeps no copy.
	CompleteBlockTimeout time.Duration `yaml:"complete_block_timeout"`
	// LocalBlocksPath holds those copies; set from the WAL path
	// (<wal>/blocks), not the YAML.
	LocalBlocksPath string `yaml:"-"`
	// FlushCheckPeriod is how often the cut conditions are checked.
	FlushCheckPeriod time.Duration `yaml:"flush_check_period"`
	// MaxTracesPerUser returns the tenant's live-trace limit (0: none); set
	// from the overrides, not the YAML.
	MaxTracesPerUser func(tenant string) int `yaml:"-"`
	// MaxBytesPerTrace returns the tenant's limit on a live trace's size
	// over all its pushes (0: none); set from the overrides.
	MaxBytesPerTrace func(tenant string) int `yaml:"-"`
}

// DefaultConfig are Tempo's ingester defaults.
func DefaultConfig() Config {
	return Config{
		TraceIdlePeriod:      10 * time.Second,
		MaxBlockBytes:        500 << 20,
		MaxBlockDuration:     30 * time.Minute,
		CompleteBlockTimeout: 15 * time.Minute,
		FlushCheckPeriod:     time.Second,
	}
}
