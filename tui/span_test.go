package tui

import (
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/tempoctl/tempoctl/tracetree"
)

func jaegerTrace(t *testing.T, file string) traceInfo {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtures(t), "jaeger", file))
	if err != nil {
		t.Fatal(err)
	}
	traces, err := DecodeTraceFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	return summarize(traces[0])
}

func findSpan(t *testing.T, info traceInfo, id string) *tracetree.Node {
	t.Helper()
	var found *tracetree.Node
	tracetree.Walk(info.roots, func(n *tracetree.Node, _ []bool) {
		if n.Span.SpanID().String() == id {
			found = n
		}
	})
	if found == nil {
		t.Fatalf("span %s not found", id)
	}
	return found
}

// TestSpanDetailGolden pins the span screen's content for spans that have
// what the fixture's features list: an error with its message and an
// exception event, and a consumer span with an event and a link.
func TestSpanDetailGolden(t *testing.T) {
	info := jaegerTrace(t, "export-trace-json-cf65ef4defcce38b8165c065c04c5e9e.json")
	for _, tc := range []struct {
		name, span string
		want       []string
	}{
		{"error-with-event", "20e2bd43e2e89325", []string{"! error: cart not found for user", "Events (1)", "exception"}},
		{"event-and-link", "126b95983fbfa2fb", []string{"Links (1)", "▸ trace cf65ef4defcce38b8165c065c04c5e9e span", "Events (1)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := findSpan(t, info, tc.span)
			lines, links := spanDetail(newStyles(true), n, info.start, 80, time.UTC, 0)
			out := strings.Join(lines, "\n")
			plain := ansi.Strip(out)
			for _, w := range tc.want {
				if !strings.Contains(plain, w) {
					t.Errorf("missing %q in\n%s", w, plain)
				}
			}
			for _, l := range lines {
				if ansi.StringWidth(l) > 80 {
					t.Errorf("line wider than 80: %q", ansi.Strip(l))
				}
			}
			if n.Span.Links().Len() != len(links) {
				t.Errorf("%d link lines for %d links", len(links), n.Span.Links().Len())
			}
			golden.RequireEqual(t, asciiScreen(t, out))
		})
	}
}

// TestEventTimesAreRelativeToTheSpan: an event's offset is its time minus
// the span's start.
func TestEventTimesAreRelativeToTheSpan(t *testing.T) {
	info := jaegerTrace(t, "export-trace-json-cf65ef4defcce38b8165c065c04c5e9e.json")
	n := findSpan(t, info, "20e2bd43e2e89325")
	ev := n.Span.Events().At(0)
	want := "+" + formatDuration(int64(ev.Timestamp())-int64(n.Span.StartTimestamp()))
	lines, _ := spanDetail(newStyles(true), n, info.start, 100, time.UTC, -1)
	for _, l := range lines {
		if strings.Contains(ansi.Strip(l), ev.Name()) {
			if !strings.Contains(ansi.Strip(l), want) {
				t.Errorf("event line %q lacks %s", ansi.Strip(l), want)
			}
			return
		}
	}
	t.Fatal("event line not found")
}

func TestServerSourceThroughTheTUI(t *testing.T) {
	src, _ := newFakeServer(t, "acme")
	st := startScreenTest(t, Options{Source: src, Query: "{ status = error }"}, 80, 24)
	sc := ansi.Strip(st.waitFor("2 traces · 14.3 KiB inspected"))
	if !strings.Contains(sc, "5b8efff7 shop-backend") || !strings.Contains(sc, "server ") {
		t.Fatalf("first screen:\n%s", sc)
	}
	st.keys(keyEnter)
	st.waitFor("Trace 5b8efff798038103d269b633813fc60c", "3 spans", "1 errors", "postgres query")
	st.keys(press('j'), keyEnter)
	st.waitFor("Links (1)", "span ID     eee19b7ec3c1b175")
	// The link's trace is not on the server: the span screen stays, with a notice.
	st.keys(keyTab, keyEnter)
	st.waitFor("linked trace 0af7651916cd43dd8448eb211c80319c: trace not found", "span ID     eee19b7ec3c1b175")
	// The second result has no root yet.
	st.keys(keyEsc, keyEsc, press('j'))
	st.waitFor("▸ af9a4d2f <root span …")
}

func TestMouseWheelScrolls(t *testing.T) {
	st := startScreenTest(t, Options{Source: singleTenantSource(t), Range: TimeRange{All: true}, Limit: 100}, 80, 24)
	st.waitFor("100 traces")
	first := firstRowID(t, st.screen())
	st.tm.Send(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	st.tm.Send(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	st.waitUntil("the selection six rows down", func(sc string) bool { return rowOf(sc, "▸ ") == rowOf(sc, "  TRACE")+7 })
	st.tm.Send(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	st.tm.Send(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	st.waitFor("▸ " + first)
}

func TestTimeRangeKeys(t *testing.T) {
	st := startScreenTest(t, Options{Source: singleTenantSource(t)}, 80, 24)
	// testNow is 21:00, the fixtures 20:25: the default last hour has them.
	st.waitStatus("20 traces")
	st.waitFor("last 1h")
	st.keys(press('t'))
	st.waitFor("last 6h")
	st.waitStatus("20 traces")
	st.keys(press('t'), press('t'), press('t'))
	st.waitFor("last 15m")
	sc := st.waitStatus("0 traces")
	if !strings.Contains(sc, "no traces match in last 15m") {
		t.Errorf("empty result not explained:\n%s", sc)
	}
	st.keys(press('T'))
	typeText(st, "yesterday")
	st.keys(keyEnter)
	st.waitFor(`range "yesterday": want a duration`)
	st.keys(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
	typeText(st, "2026-11-23T20:25:40Z 2026-11-23T20:25:45Z")
	st.keys(keyEnter)
	st.waitFor("2026-11-23 20:25:40 → 20:25:45")
	sc = st.waitStatus("20 traces")
	if strings.Contains(sc, "Range ›") {
		t.Errorf("custom range not applied:\n%s", sc)
	}
}

func TestLightBackgroundPalette(t *testing.T) {
	m := New(Options{Source: singleTenantSource(t)})
	dark := m.st.service("frontend").GetForeground()
	m.Update(tea.BackgroundColorMsg{Color: color.White})
	if m.dark {
		t.Fatal("a white background is not dark")
	}
	if light := m.st.service("frontend").GetForeground(); light == dark {
		t.Error("service colours did not change for a light background")
	}
}
