package main

import (
	"bytes"
	"cmp"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/creack/pty"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
)

// ptySession runs tempoctl under a pseudo-terminal of 80x24 and collects
// what it draws.
type ptySession struct {
	t    *testing.T
	cmd  *exec.Cmd
	tty  *os.File
	mu   sync.Mutex
	out  bytes.Buffer
	done chan error
}

func startPTY(t *testing.T, env []string, args ...string) *ptySession {
	t.Helper()
	// testscript.Main put this test binary in $PATH as tempoctl: the same
	// binary the CLI scripts run.
	bin, err := exec.LookPath("tempoctl")
	if err != nil {
		t.Fatalf("tempoctl not in PATH (set up by testscript.Main): %v", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color", "HOME="+t.TempDir())
	cmd.Env = append(cmd.Env, env...)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		t.Fatalf("start under a pty: %v", err)
	}
	s := &ptySession{t: t, cmd: cmd, tty: tty, done: make(chan error, 1)}
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := tty.Read(buf)
			s.mu.Lock()
			s.out.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-s.done
		}
		tty.Close()
	})
	return s
}

func (s *ptySession) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// waitFor waits until the screen output (escape sequences removed) holds
// every string.
func (s *ptySession) waitFor(want []string) string {
	s.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		plain := ansi.Strip(s.output())
		missing := false
		for _, w := range want {
			if !strings.Contains(plain, w) {
				missing = true
				break
			}
		}
		if !missing {
			return plain
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("the first screen never showed %q; output so far:\n%s", want, ansi.Strip(s.output()))
	return ""
}

// quit presses q and expects a clean exit.
func (s *ptySession) quit() {
	s.t.Helper()
	if _, err := s.tty.Write([]byte("q")); err != nil {
		s.t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Fatalf("tempoctl tui exited with %v; output:\n%s", err, ansi.Strip(s.output()))
		}
	case <-time.After(30 * time.Second):
		s.t.Fatal("tempoctl tui did not quit on q")
	}
}

// newestTraces lists the short IDs (as the results table shows them) of
// the n newest traces of a fixture tenant, from the OTLP that was pushed.
func newestTraces(t *testing.T, fixtures, tenant string, n int) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(fixtures, "expected", tenant+".json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type tr struct {
		id    string
		start uint64
	}
	var all []tr
	_, err = model.ReadOTLPJSONLines(f, func(_ int, td ptrace.Traces) error {
		ids, _ := model.SplitByTraceID(td)
		s, _, _ := model.TimeRange(td)
		all = append(all, tr{ids[0].Text(), s})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortStableFunc(all, func(a, b tr) int { return cmp.Compare(b.start, a.start) })
	var out []string
	for _, x := range all[:n] {
		out = append(out, x.id[:8])
	}
	return out
}

// TestTUIFirstScreenUnderPTY runs the binary in a pseudo-terminal against
// the fixture bucket: without any keypress the first screen lists the
// newest traces of the window, then q quits cleanly.
func TestTUIFirstScreenUnderPTY(t *testing.T) {
	fixtures, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "fixtures", "tempo-blocks"))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"tui", "--backend", "local", "--bucket", fixtures, "--tenant", "single-tenant",
		"--start", "2026-11-23T20:00:00Z", "--end", "2026-11-23T21:00:00Z", "--limit", "500", "--history", ""}
	// 80x24 leaves 18 result rows; the 12 newest must be on screen.
	want := append(newestTraces(t, fixtures, "single-tenant", 12), "200 traces", "Query › {}")

	t.Run("colour", func(t *testing.T) {
		s := startPTY(t, nil, args...)
		s.waitFor(want)
		s.quit()
		if !sgrColour.MatchString(s.output()) {
			t.Error("no colours drawn without NO_COLOR")
		}
	})
	// A Jaeger UI export with one trace opens that trace at once.
	t.Run("file", func(t *testing.T) {
		export := filepath.Join(fixtures, "..", "jaeger", "export-trace-json-cf65ef4defcce38b8165c065c04c5e9e.json")
		s := startPTY(t, nil, "tui", "--file", export, "--history", "")
		s.waitFor([]string{"Trace cf65ef4defcce38b8165c065c04c5e9e", "15 spans", "GET /api/products/{id}"})
		s.quit()
	})
	t.Run("NO_COLOR", func(t *testing.T) {
		s := startPTY(t, []string{"NO_COLOR=yes"}, args...)
		s.waitFor(want)
		s.quit()
		if m := sgrColour.FindString(s.output()); m != "" {
			t.Errorf("NO_COLOR output still sets colours: %q", m)
		}
	})
}

// sgrColour matches an SGR sequence that sets a foreground or background
// colour (16-colour, 256-colour or RGB).
var sgrColour = regexp.MustCompile(`\x1b\[(?:[0-9]+;)*(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9:]+)*m`)
