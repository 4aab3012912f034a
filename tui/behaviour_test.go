package tui

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tempoctl/tempoctl/client"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/traceql"
)

func typeText(st *screenTest, s string) {
	for _, r := range s {
		st.keys(press(r))
	}
}

// selectAll empties the search input (ctrl+u deletes to the line start).
func clearInput(st *screenTest) {
	st.keys(tea.KeyPressMsg{Code: tea.KeyEnd}, tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
}

func TestQueryErrorShownInlineWithPosition(t *testing.T) {
	st := startScreenTest(t, Options{Source: singleTenantSource(t), Range: TimeRange{All: true}}, 80, 24)
	st.waitFor("20 traces")
	st.keys(press('/'))
	clearInput(st)
	typeText(st, `{ .a = }`)
	st.keys(keyEnter)
	sc := ansi.Strip(st.waitFor("parse error"))
	lines := strings.Split(sc, "\n")
	// The caret sits under the column the parser reports (col 5 of the query,
	// after the "Query › " prompt).
	if !strings.HasPrefix(lines[2], strings.Repeat(" ", len([]rune("Query › "))+4)+"^ parse error at line 1, col 5") {
		t.Errorf("error line %q", lines[2])
	}
	// The old results stay and the TUI keeps working.
	if !strings.Contains(sc, "20 traces") {
		t.Errorf("results lost after a bad query:\n%s", sc)
	}
	st.keys(press('/'))
	clearInput(st)
	typeText(st, `{ status = error }`)
	st.keys(keyEnter)
	st.waitUntil("the error cleared", func(sc string) bool {
		return !strings.Contains(sc, "parse error") && strings.Contains(sc, "traces · ")
	})
}

func TestCompletionAndHistory(t *testing.T) {
	st := startScreenTest(t, Options{Source: singleTenantSource(t), Range: TimeRange{All: true},
		History: []string{`{ name = "old" }`}}, 100, 24)
	st.waitFor("20 traces")
	st.keys(press('/'))
	clearInput(st)
	typeText(st, `{ resource.service.na`)
	st.waitFor("resource.service.name")
	st.keys(keyTab) // accept
	typeText(st, ` = "fr`)
	st.waitFor(`"frontend"`)
	st.keys(keyTab)
	typeText(st, ` }`)
	sc := ansi.Strip(st.waitFor(`Query › { resource.service.name = "frontend" }`))
	_ = sc
	st.keys(keyEnter)
	st.waitFor("traces · ")

	// ↑ brings back the query just run, then the older one; ↓ goes forward.
	st.keys(press('/'))
	st.keys(tea.KeyPressMsg{Code: tea.KeyUp})
	st.waitFor(`Query › { resource.service.name = "frontend" }`)
	st.keys(tea.KeyPressMsg{Code: tea.KeyUp})
	st.waitFor(`Query › { name = "old" }`)
	st.keys(tea.KeyPressMsg{Code: tea.KeyDown})
	st.waitFor(`Query › { resource.service.name = "frontend" }`)
}

// scriptedSource answers searches from a list of canned responses (the
// last one repeats) and can fail on demand; traces come from a memory source.
type scriptedSource struct {
	*MemorySource
	mu    sync.Mutex
	resps []*traceql.SearchResponse
	fail  error
	calls int
}

func (s *scriptedSource) Search(context.Context, string, time.Time, time.Time, int) (*traceql.SearchResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail != nil {
		return nil, s.fail
	}
	r := s.resps[min(s.calls-1, len(s.resps)-1)]
	cp := *r
	cp.Traces = append([]*traceql.TraceSearchMetadata(nil), r.Traces...)
	return &cp, nil
}

func (s *scriptedSource) setFail(err error) {
	s.mu.Lock()
	s.fail = err
	s.mu.Unlock()
}

func meta(id string, startSec int) *traceql.TraceSearchMetadata {
	return &traceql.TraceSearchMetadata{TraceID: id, RootServiceName: "svc-" + id[:2], RootTraceName: "op " + id[:4],
		StartTimeUnixNano: uint64(testNow.Add(time.Duration(startSec) * time.Second).UnixNano()), DurationMs: 10,
		ServiceStats: map[string]traceql.ServiceStats{"svc": {SpanCount: 3}}}
}

// TestLiveKeepsTheCursor: a live poll adds new traces (newer ones sort
// above) while the selected trace stays selected on the same screen row.
func TestLiveKeepsTheCursor(t *testing.T) {
	first := &traceql.SearchResponse{}
	for i := range 30 {
		first.Traces = append(first.Traces, meta(fmt.Sprintf("%04x0000000000000000000000000000", 0x1000+i), -10-i))
	}
	second := &traceql.SearchResponse{Traces: []*traceql.TraceSearchMetadata{
		meta("dddd0000000000000000000000000004", -1), meta("eeee0000000000000000000000000005", -2), first.Traces[0]}}
	src := &scriptedSource{MemorySource: singleTenantSource(t), resps: []*traceql.SearchResponse{first, second}}
	// Polls are triggered by hand below, so the test does not race a timer.
	st := startScreenTest(t, Options{Source: src, Live: true, LiveEvery: time.Hour}, 80, 24)
	st.waitFor("30 traces")
	st.keys(press('G'), press('k'), press('k'), press('k')) // a row in the middle of the scrolled list
	sc := ansi.Strip(st.waitFor("▸ 101a0000"))
	row := rowOf(sc, "▸ 101a0000")
	st.tm.Send(liveTickMsg{})
	sc = ansi.Strip(st.waitFor("32 traces"))
	if got := rowOf(sc, "▸ 101a0000"); got != row {
		t.Fatalf("selection moved from row %d to %d:\n%s", row, got, sc)
	}
	if !strings.Contains(sc, "● live") {
		t.Fatalf("no live marker:\n%s", sc)
	}
	st.keys(press('g'))
	if sc := ansi.Strip(st.waitFor("▸ dddd0000")); !strings.Contains(sc, "eeee0000") {
		t.Fatalf("new traces not listed first:\n%s", sc)
	}

	// A failing poll shows an error line and the TUI keeps the results.
	src.setFail(errors.New("connection refused"))
	st.tm.Send(liveTickMsg{})
	sc = ansi.Strip(st.waitFor("live update: connection refused"))
	if !strings.Contains(sc, "▸ dddd0000") {
		t.Fatalf("results lost on a failing poll:\n%s", sc)
	}
	src.setFail(nil)
	st.tm.Send(liveTickMsg{})
	st.waitFor("32 traces · ")
}

func rowOf(screen, prefix string) int {
	for i, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(l, prefix) {
			return i
		}
	}
	return -1
}

func TestFailingSourceShowsErrorAndRecovers(t *testing.T) {
	src := &scriptedSource{MemorySource: singleTenantSource(t), resps: []*traceql.SearchResponse{
		{Traces: []*traceql.TraceSearchMetadata{meta("aaaa0000000000000000000000000001", -10)}}}}
	src.setFail(&client.HTTPError{Status: 503, Msg: "ingesters unavailable"})
	st := startScreenTest(t, Options{Source: src}, 80, 24)
	st.waitFor("✗ HTTP 503: ingesters unavailable")
	src.setFail(nil)
	st.keys(press('r'))
	st.waitFor("1 traces · ")
	// A trace the source cannot find: an error screen, esc goes back.
	st.keys(keyEnter)
	st.waitFor("trace aaaa0000000000000000000000000001 not found")
	st.keys(keyEsc)
	st.waitFor("1 traces · ")
}

func TestSortColumns(t *testing.T) {
	st := startScreenTest(t, Options{Source: singleTenantSource(t), Range: TimeRange{All: true}}, 80, 24)
	st.waitFor("20 traces")
	st.keys(press('s'))
	sc := ansi.Strip(st.waitFor("DURATION↓", "sort: duration ↓"))
	durs := columnValues(sc, "DURATION↓")
	if len(durs) < 10 {
		t.Fatalf("durations %v", durs)
	}
	for i := 1; i < len(durs); i++ {
		if durs[i] > durs[i-1] {
			t.Fatalf("not sorted by duration, descending: %v", durs)
		}
	}
	st.keys(press('S'))
	sc = ansi.Strip(st.waitFor("DURATION↑"))
	durs = columnValues(sc, "DURATION↑")
	for i := 1; i < len(durs); i++ {
		if durs[i] < durs[i-1] {
			t.Fatalf("not sorted ascending: %v", durs)
		}
	}
}

// columnValues parses the duration column of the results table.
func columnValues(screen, header string) []time.Duration {
	var out []time.Duration
	lines := strings.Split(screen, "\n")
	col := -1
	for _, l := range lines {
		if i := strings.Index(l, header); i >= 0 && col < 0 {
			col = len([]rune(l[:i]))
			continue
		}
		if col < 0 || len([]rune(l)) < col+8 {
			continue
		}
		f := strings.TrimSpace(string([]rune(l)[col : col+8]))
		if d, err := time.ParseDuration(strings.Replace(f, "µ", "u", 1)); err == nil {
			out = append(out, d)
		}
	}
	return out
}

func TestTraceKeys(t *testing.T) {
	id := "c90f523bb53d9ce679be94860c69db98"
	tid, _ := model.ParseTraceID(id)
	st := startScreenTest(t, Options{Source: singleTenantSource(t), Range: TimeRange{All: true}, Trace: &tid}, 80, 24)
	st.waitFor("Trace "+id, "span 1/16")

	st.keys(keySpace) // collapse the root
	sc := ansi.Strip(st.waitFor("span 1/1 · 15 hidden"))
	if !strings.Contains(sc, "! ▸ frontend POST /api/checkout") {
		t.Errorf("collapsed root not marked:\n%s", sc)
	}
	st.keys(press('l')) // expand again
	st.waitFor("span 1/16")
	st.keys(press('-')) // collapse all
	st.waitFor("span 1/1 ")
	st.keys(press('+'))
	st.waitFor("span 1/16")

	st.keys(press('j'), press('h')) // second row: collapse it, then h again goes to the parent
	st.waitFor("span 2/15 · 1 hidden")
	st.keys(press('h'))
	st.waitFor("span 1/15 · 1 hidden")
	// tab moves to the span preview (j/k scroll it), tab again back.
	st.keys(keyTab)
	st.waitFor("─ span (tab: back to the waterfall)")
	st.keys(press('j'), keyTab)
	st.waitUntil("the waterfall focused", func(sc string) bool { return !strings.Contains(sc, "tab: back to the waterfall") })
	st.keys(press('c'))
	sc = ansi.Strip(st.waitFor("critical path ◆ (225ms)"))
	if !strings.Contains(sc, "!◆▾ frontend POST /api/checkout") {
		t.Errorf("root not marked on the critical path:\n%s", sc)
	}
	st.keys(press('G'))
	st.keys(press('g'))
	st.keys(press('y'))
	st.waitFor("copied trace ID " + id)
	// The program writes queued sequences on its next frame tick.
	osc52 := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(id))
	teatest.WaitFor(t, st.tm.Output(), func(out []byte) bool { return strings.Contains(string(out), osc52) },
		teatest.WithDuration(10*time.Second))
	st.keys(press('q'))
	st.tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}

func TestHelpOverlay(t *testing.T) {
	st := startScreenTest(t, Options{Source: singleTenantSource(t), Range: TimeRange{All: true}}, 80, 24)
	st.waitFor("20 traces")
	st.keys(press('?'))
	sc := ansi.Strip(st.waitFor("Keys", "critical path", "copy trace ID", "custom range"))
	for _, k := range newKeyMap().helpGroups() {
		for _, b := range k.bindings {
			if !strings.Contains(sc, b.Help().Desc) {
				t.Errorf("help lacks %q", b.Help().Desc)
			}
		}
	}
	st.keys(press('x')) // any key closes
	sc = ansi.Strip(st.waitFor("20 traces"))
	if strings.Contains(sc, "any key closes") {
		t.Error("help still open")
	}
}

// TestReadableAtAnySize: every screen fits the terminal exactly, at the
// minimum size of the issue and after resizes, with no line wider than the
// terminal.
func TestReadableAtAnySize(t *testing.T) {
	st := startScreenTest(t, Options{Source: singleTenantSource(t), Range: TimeRange{All: true}}, 80, 24)
	st.waitFor("20 traces")
	check := func(w, h int, what string) {
		t.Helper()
		sc := st.screen()
		lines := strings.Split(sc, "\n")
		if len(lines) != h {
			t.Errorf("%s at %dx%d: %d lines", what, w, h, len(lines))
		}
		for i, l := range lines {
			if lw := ansi.StringWidth(l); lw > w {
				t.Errorf("%s at %dx%d: line %d is %d wide: %q", what, w, h, i, lw, ansi.Strip(l))
			}
		}
	}
	sizes := [][2]int{{80, 24}, {60, 20}, {40, 12}, {132, 50}, {80, 24}}
	for _, screen := range []struct {
		name string
		keys []tea.KeyPressMsg
		want string
	}{
		{"search", nil, "traces · "},
		{"trace", []tea.KeyPressMsg{keyEnter}, "loaded in"},
		{"span", []tea.KeyPressMsg{keyEnter}, "lines "},
		{"help", []tea.KeyPressMsg{press('?')}, "any key closes"},
	} {
		st.keys(screen.keys...)
		for _, sz := range sizes {
			st.tm.Send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
			st.waitFor(screen.want)
			check(sz[0], sz[1], screen.name)
		}
	}
}

// TestFollowLink opens a span's link to another trace (Jaeger fixture:
// a FOLLOWS_FROM reference across traces).
func TestFollowLink(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(fixtures(t), "jaeger", "expected.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	traces, err := DecodeTraceFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	src := NewMemorySource("jaeger expected", traces...)
	from, _ := model.ParseTraceID("09607f1b0cea7ba8db40563f2f15084e")
	st := startScreenTest(t, Options{Source: src, Range: TimeRange{All: true}, Trace: &from}, 100, 30)
	st.waitFor("Trace 09607f1b0cea7ba8db40563f2f15084e", "loaded in")
	// The root span (selected) carries the link; tab selects it.
	st.keys(keyEnter)
	st.waitFor("1 links (tab: select, enter: open)")
	st.keys(keyTab)
	st.waitFor("Links (1)", "▸ trace 88300b8cb44988891c611f5b4a511ecd span c631c0c22433dc1c")
	st.keys(keyEnter)
	st.waitFor("Trace 88300b8cb44988891c611f5b4a511ecd", "loaded in")
	// The linked span is selected: enter shows its detail.
	st.keys(keyEnter)
	st.waitFor("span ID     c631c0c22433dc1c")
	// esc goes back to the linked trace, then to the search.
	st.keys(keyEsc)
	st.waitFor("Trace 88300b8cb44988891c611f5b4a511ecd")
	st.keys(keyEsc)
	st.waitFor("traces · ")
}

// TestResizeKeepsTheSelectedSpanVisible: after shrinking the terminal the
// selected span (reverse video) is still on screen.
func TestResizeKeepsTheSelectedSpanVisible(t *testing.T) {
	id, _ := model.ParseTraceID("c90f523bb53d9ce679be94860c69db98")
	st := startScreenTest(t, Options{Source: singleTenantSource(t), Range: TimeRange{All: true}, Trace: &id}, 80, 40)
	st.waitFor("span 1/16")
	st.keys(press('G'))
	st.waitFor("span 16/16")
	for _, h := range []int{24, 14, 10} {
		st.tm.Send(tea.WindowSizeMsg{Width: 80, Height: h})
		sc := st.waitUntil("the new height", func(sc string) bool { return len(strings.Split(sc, "\n")) == h })
		raw := st.screen()
		if !strings.Contains(raw, "\x1b[7m") || !strings.Contains(sc, "span 16/16") {
			t.Fatalf("height %d: selected span not visible:\n%s", h, sc)
		}
	}
}
