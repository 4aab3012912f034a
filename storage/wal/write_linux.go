package wal

import (
	"errors"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// iovMax is the most pieces one vectored write takes (IOV_MAX).
const iovMax = 1024

// noDSync records that the kernel refused RWF_DSYNC once, so later commits
// do not ask again.
var noDSync atomic.Bool

// writeDurable appends bufs to f and returns once they are on disk: one
// pwritev2(RWF_DSYNC) per 1024 pieces, which writes and syncs in a single
// call (a blocking call costs the Go scheduler a hand-off of the thread's
// processor, so one call per group commit instead of a write and an fsync).
// RWF_DSYNC has fdatasync's guarantee: the data and the size that makes it
// readable. Kernels before 4.7 lack it; writev and fsync stand in.
func writeDurable(f *os.File, bufs [][]byte) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	dsync := !noDSync.Load()
	for len(bufs) > 0 {
		chunk := bufs[:min(len(bufs), iovMax)]
		var n int
		var werr error
		if cerr := rc.Write(func(fd uintptr) bool {
			if dsync {
				// Offset -1: at the file's position (O_APPEND: its end).
				n, werr = unix.Pwritev2(int(fd), chunk, -1, unix.RWF_DSYNC)
				if errors.Is(werr, unix.ENOSYS) || errors.Is(werr, unix.EOPNOTSUPP) {
					dsync = false
					noDSync.Store(true)
				} else {
					return true
				}
			}
			n, werr = unix.Writev(int(fd), chunk)
			return true
		}); cerr != nil {
			return cerr
		}
		if werr == unix.EINTR {
			continue
		}
		if werr != nil {
			return werr
		}
		bufs = consume(bufs, n)
	}
	if !dsync {
		return f.Sync()
	}
	return nil
}
