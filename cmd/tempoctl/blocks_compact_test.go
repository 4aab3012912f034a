package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// interruptOn sends SIGINT to this process (a real Ctrl-C, caught by
// Execute's signal context) the first time its output contains trigger.
type interruptOn struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	trigger string
	sent    bool
}

func (w *interruptOn) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.sent && strings.Contains(w.buf.String(), w.trigger) {
		w.sent = true
		if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Ctrl-C during `blocks compact` lets the finished job stand, starts no
// other, and exits 130 saying so; a second run does the rest.
func TestBlocksCompactCtrlC(t *testing.T) {
	fixtures, _ := filepath.Abs(filepath.Join("..", "..", "..", "shared", "fixtures", "tempo-blocks"))
	bucket := t.TempDir()
	if out, err := exec.Command("cp", "-r", filepath.Join(fixtures, "multi"), bucket).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var out, errOut bytes.Buffer
	if code := Execute([]string{"blocks", "import", "--tenant", "globex", "--max-block-bytes", "100000", "--backend", "local", "--bucket", bucket,
		filepath.Join(fixtures, "expected", "globex.json")}, nil, &out, &errOut); code != 0 {
		t.Fatalf("import: %d %s", code, errOut.String())
	}
	stderr := &interruptOn{trigger: "compact: compacted"}
	out.Reset()
	code := Execute([]string{"blocks", "compact", "--backend", "local", "--bucket", bucket}, nil, &out, stderr)
	if code != 130 || !strings.Contains(stderr.buf.String(), "interrupted:") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out.String(), stderr.buf.String())
	}
	live := func(tenant string) int {
		var o bytes.Buffer
		Execute([]string{"blocks", "list", "--backend", "local", "--bucket", bucket, "--tenant", tenant}, nil, &o, &o)
		return strings.Count(o.String(), " no\n")
	}
	// globex (first tenant): its job finished; multi: untouched.
	if g, m := live("globex"), live("multi"); g != 2 || m != 4 {
		t.Fatalf("after Ctrl-C: globex %d live blocks (want 2), multi %d (want 4)", g, m)
	}
	out.Reset()
	if code := Execute([]string{"blocks", "compact", "--backend", "local", "--bucket", bucket}, nil, &out, &errOut); code != 0 {
		t.Fatalf("second run: %d %s", code, errOut.String())
	}
	if m := live("multi"); m != 1 {
		t.Fatalf("multi: %d live blocks after the second run", m)
	}
}
