//go:build !linux

package wal

import "os"

// writeDurable appends bufs to f and returns once they are on disk.
func writeDurable(f *os.File, bufs [][]byte) error {
	for _, b := range bufs {
		if _, err := f.Write(b); err != nil {
			return err
		}
	}
	return f.Sync()
}
