package cputime

import (
	"runtime"
	"testing"
	"time"
)

func TestProcessCountsWork(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no getrusage on " + runtime.GOOS)
	}
	before := Process()
	x := 0
	for start := time.Now(); time.Since(start) < 50*time.Millisecond; {
		x++
	}
	if got := Process() - before; got <= 0 {
		t.Fatalf("50 ms of spinning counted %v of CPU (x=%d)", got, x)
	}
}
