// Package wal is the ingester's write-ahead log: appends acknowledged only
// once durable (group commit), replay on start, truncation after flush.
package wal

// Config is storage.trace.wal (owner: WAL work).
type Config struct {
	Path string `yaml:"path"`
}
