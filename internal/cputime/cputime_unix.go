//go:build unix

// Package cputime reads the CPU time the process has used, for benchmarks:
// on a shared machine a steadier figure than wall time, and work on other
// threads (the garbage collector, a syncer) counts too.
package cputime

import (
	"syscall"
	"time"
)

// Process is the user and system CPU time of every thread of the process
// so far (0 where it cannot be read).
func Process() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
