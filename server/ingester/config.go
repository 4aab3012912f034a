// Package ingester keeps live traces, appends pushes to the WAL, cuts head
// blocks into complete blocks and flushes them to the backend.
package ingester

import "time"

// Config is the ingester section of the YAML (owner: ingester work).
type Config struct {
	TraceIdlePeriod      time.Duration `yaml:"trace_idle_period"`
	MaxBlockBytes        uint64        `yaml:"max_block_bytes"`
	MaxBlockDuration     time.Duration `yaml:"max_block_duration"`
	CompleteBlockTimeout time.Duration `yaml:"complete_block_timeout"`
}
