package tui

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// The clock of the screen tests: an hour after the fixtures were written.
var testNow = time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)

// probeModel wraps the root model so a test can read the screen from
// inside the event loop (no data race with the program goroutine).
type probeModel struct{ *Model }

type probeMsg struct{ reply chan string }

func (p probeModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if pm, ok := msg.(probeMsg); ok {
		pm.reply <- p.Model.View().Content
		return p, nil
	}
	_, cmd := p.Model.Update(msg)
	return p, cmd
}

// asciiScreen renders a screen as a terminal with the ASCII profile shows
// it: colours dropped, bold/underline/reverse kept, so goldens are stable.
func asciiScreen(t testing.TB, content string) string {
	t.Helper()
	var buf bytes.Buffer
	w := &colorprofile.Writer{Forward: &buf, Profile: colorprofile.ASCII}
	if _, err := w.WriteString(content); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

type screenTest struct {
	t  *testing.T
	tm *teatest.TestModel
}

func startScreenTest(t *testing.T, opts Options, w, h int) *screenTest {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	m := New(opts)
	t.Cleanup(m.cancel)
	tm := teatest.NewTestModel(t, probeModel{m}, teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.ASCII)))
	st := &screenTest{t: t, tm: tm}
	t.Cleanup(func() { _ = tm.Quit() })
	return st
}

// screen returns the current screen content (with ANSI styles).
func (s *screenTest) screen() string {
	s.t.Helper()
	reply := make(chan string, 1)
	s.tm.Send(probeMsg{reply})
	select {
	case sc := <-reply:
		return sc
	case <-time.After(10 * time.Second):
		s.t.Fatal("the program did not answer the probe")
	}
	return ""
}

// waitFor polls the screen until it shows every want string (styles stripped).
func (s *screenTest) waitFor(want ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var plain string
	for time.Now().Before(deadline) {
		sc := s.screen()
		plain = ansi.Strip(sc)
		ok := true
		for _, w := range want {
			if !strings.Contains(plain, w) {
				ok = false
				break
			}
		}
		if ok {
			return sc
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("screen never showed %q; last screen:\n%s", want, plain)
	return ""
}

// waitUntil polls the screen (styles stripped) until ok says so.
func (s *screenTest) waitUntil(what string, ok func(plain string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var plain string
	for time.Now().Before(deadline) {
		plain = ansi.Strip(s.screen())
		if ok(plain) {
			return plain
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("screen never showed %s; last screen:\n%s", what, plain)
	return ""
}

// waitStatus waits until a search has finished with a status line that
// starts with prefix ("20 traces").
func (s *screenTest) waitStatus(prefix string) string {
	s.t.Helper()
	return s.waitUntil("status "+prefix, func(plain string) bool {
		for _, l := range strings.Split(plain, "\n") {
			if strings.HasPrefix(l, prefix+" · ") {
				return true
			}
		}
		return false
	})
}

func (s *screenTest) keys(keys ...tea.KeyPressMsg) {
	for _, k := range keys {
		s.tm.Send(k)
	}
}

func press(r rune) tea.KeyPressMsg { return tea.KeyPressMsg{Code: r, Text: string(r)} }

var (
	keyEnter = tea.KeyPressMsg{Code: tea.KeyEnter}
	keyEsc   = tea.KeyPressMsg{Code: tea.KeyEscape}
	keyTab   = tea.KeyPressMsg{Code: tea.KeyTab}
	keySpace = tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	keyBack  = tea.KeyPressMsg{Code: tea.KeyBackspace}
)

func singleTenantSource(t testing.TB) *MemorySource {
	return NewMemorySource("fixture single-tenant", expectedTraces(t, "single-tenant")...)
}

// TestFlowSearchTraceSpanBack drives the program like a user at 80x24:
// the first screen shows results without a keypress, enter opens the
// selected trace, enter opens the root span, esc goes back. Each screen is
// pinned as a golden file (go test ./tui -run Flow -update rewrites them).
func TestFlowSearchTraceSpanBack(t *testing.T) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"120x40", 120, 40}} {
		t.Run(size.name, func(t *testing.T) {
			st := startScreenTest(t, Options{
				Source: singleTenantSource(t),
				Query:  `{ resource.service.name = "frontend" && status = error }`,
				Range:  TimeRange{All: true},
			}, size.w, size.h)

			search := st.waitFor("traces · ", "took")
			t.Run("search", func(t *testing.T) { golden.RequireEqual(t, asciiScreen(t, search)) })
			first := firstRowID(t, search)

			st.keys(keyEnter)
			trace := st.waitFor("loaded in", "SPAN")
			if !strings.Contains(ansi.Strip(trace), first) {
				t.Fatalf("trace screen is not the selected trace %s:\n%s", first, ansi.Strip(trace))
			}
			t.Run("trace", func(t *testing.T) { golden.RequireEqual(t, asciiScreen(t, trace)) })

			st.keys(keyEnter)
			span := st.waitFor("Span attributes", "Resource attributes")
			t.Run("span", func(t *testing.T) { golden.RequireEqual(t, asciiScreen(t, span)) })

			st.keys(keyEsc)
			back := st.waitFor("loaded in", "SPAN")
			if back != trace {
				t.Errorf("esc from the span did not restore the trace screen:\n%s", ansi.Strip(back))
			}
			st.keys(keyBack)
			again := st.waitFor("traces · ")
			if again != search {
				t.Errorf("backspace from the trace did not restore the search screen:\n%s", ansi.Strip(again))
			}
			st.keys(press('q'))
			st.tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
		})
	}
}

// firstRowID is the short trace ID of the selected (first) results row.
func firstRowID(t *testing.T, screen string) string {
	t.Helper()
	for _, l := range strings.Split(ansi.Strip(screen), "\n") {
		if strings.HasPrefix(l, "▸ ") {
			if f := strings.Fields(l); len(f) > 1 {
				return f[1]
			}
		}
	}
	t.Fatalf("no selected row:\n%s", ansi.Strip(screen))
	return ""
}

var _ = base64.StdEncoding
