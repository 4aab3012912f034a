//go:build unix

package api

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user and system, every thread, GC included)
// the process has used: on a shared machine a steadier figure than the
// wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
