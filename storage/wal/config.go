// Package wal is the ingester's write-ahead log: appends are acknowledged
// only once durable (group commit: one sync covers every append waiting for
// it), replayed on start, and dropped segment by segment once the blocks
// holding their data are in the backend.
package wal

import "time"

// Config is storage.trace.wal.
type Config struct {
	Path string `yaml:"path"`
	// SyncDelay lets appends gather before a sync (0: sync as soon as the
	// previous sync ends, which already batches under load).
	SyncDelay time.Duration `yaml:"sync_delay"`
}
