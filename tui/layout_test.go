package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tempoctl/tempoctl/tracetree"
)

func TestScaleBar(t *testing.T) {
	s := newScale(1000, 1100, 10) // 100ns over 10 cells: 10ns a cell
	for _, tc := range []struct {
		name          string
		start, end    uint64
		wantOff, want int
	}{
		{"whole trace", 1000, 1100, 0, 10},
		{"first half", 1000, 1050, 0, 5},
		{"second half", 1050, 1100, 5, 5},
		{"inside one cell", 1052, 1055, 5, 1},
		{"across a cell edge", 1055, 1065, 5, 2},
		{"instant span at start", 1000, 1000, 0, 1},
		{"instant span at end stays on the axis", 1100, 1100, 9, 1},
		{"end before start is instant", 1050, 1040, 5, 1},
		{"starts before the trace", 900, 1020, 0, 2},
		{"ends after the trace", 1090, 1300, 9, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			off, w := s.bar(tc.start, tc.end)
			if off != tc.wantOff || w != tc.want {
				t.Errorf("bar(%d, %d) = %d+%d, want %d+%d", tc.start, tc.end, off, w, tc.wantOff, tc.want)
			}
		})
	}
	if off, w := newScale(5, 5, 8).bar(5, 5); off != 0 || w != 8 {
		t.Errorf("zero-length trace: %d+%d, want the whole axis", off, w)
	}
	if off, w := newScale(0, 10, 0).bar(0, 10); off != 0 || w != 0 {
		t.Errorf("zero-width axis: %d+%d", off, w)
	}
}

func TestBarCellsMarkCriticalSegments(t *testing.T) {
	s := newScale(0, 100, 10)
	got := s.barCells(20, 80, []segment{{start: 20, end: 40}, {start: 70, end: 80}})
	want := []cellKind{0, 0, 2, 2, 1, 1, 1, 2, 0, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("cells = %v, want %v", got, want)
		}
	}
}

// TestWaterfallGeometryOnFixtures checks, over every fixture trace and
// several widths, that bars stay on the axis, keep at least one cell, start
// in time order and that the trace-spanning root fills the axis.
func TestWaterfallGeometryOnFixtures(t *testing.T) {
	for _, tenant := range []string{"single-tenant", "v4-tenant"} {
		for _, td := range expectedTraces(t, tenant) {
			info := summarize(td)
			for _, width := range []int{1, 7, 38, 120} {
				s := newScale(info.start, info.end, width)
				type placed struct {
					start uint64
					off   int
				}
				var all []placed
				tracetree.Walk(info.roots, func(n *tracetree.Node, _ []bool) {
					st, en := spanTimes(n)
					off, w := s.bar(st, en)
					if off < 0 || w < 1 || off+w > width {
						t.Fatalf("%s span %s width %d: bar %d+%d leaves the axis", info.id, n.Span.SpanID(), width, off, w)
					}
					if st == info.start && en == info.end && (off != 0 || w != width) {
						t.Fatalf("%s: a span covering the trace got %d+%d of %d", info.id, off, w, width)
					}
					all = append(all, placed{st, off})
				})
				for _, a := range all {
					for _, b := range all {
						if a.start < b.start && a.off > b.off {
							t.Fatalf("%s width %d: earlier span drawn right of a later one", info.id, width)
						}
					}
				}
			}
		}
	}
}

// TestFlattenOnFixtures: expanded, every span is a row with its tree depth,
// parents first; collapsing a span hides exactly its descendants.
func TestFlattenOnFixtures(t *testing.T) {
	for _, td := range expectedTraces(t, "single-tenant")[:50] {
		info := summarize(td)
		rows := flatten(info.roots, nil)
		if len(rows) != info.spans || info.spans != td.SpanCount() {
			t.Fatalf("%s: %d rows, %d spans in tree, %d in trace", info.id, len(rows), info.spans, td.SpanCount())
		}
		seen := map[pcommon.SpanID]int{}
		for i, r := range rows {
			if r.depth != r.node.Depth {
				t.Fatalf("row %d depth %d, node depth %d", i, r.depth, r.node.Depth)
			}
			seen[r.node.Span.SpanID()] = i
			if p := r.node.Span.ParentSpanID(); !p.IsEmpty() {
				if pi, ok := seen[p]; ok && pi >= i {
					t.Fatalf("parent after child")
				} else if !ok && r.depth > 0 {
					t.Fatalf("%s: row %d at depth %d before its parent", info.id, i, r.depth)
				}
			}
			if r.children != len(r.node.Children) {
				t.Fatalf("children count")
			}
		}
		for _, r := range rows {
			if r.children == 0 {
				continue
			}
			col := map[pcommon.SpanID]bool{r.node.Span.SpanID(): true}
			got := flatten(info.roots, col)
			want := info.spans - countDescendants(r.node)
			if len(got) != want {
				t.Fatalf("%s: collapsing %s left %d rows, want %d", info.id, r.node.Span.SpanID(), len(got), want)
			}
			for _, g := range got {
				if g.node == r.node && (!g.collapsed || g.hidden != countDescendants(r.node)) {
					t.Fatalf("collapsed row not marked: %+v", g)
				}
			}
		}
	}
}

func TestSummarizeFixture(t *testing.T) {
	// The trace the CLI's tree golden shows too (tenant multi, split across blocks).
	td := traceByID(t, "multi", "4595c8056ef50999d3b7e5ce62fc2dae")
	info := summarize(td)
	if info.spans != 12 || len(info.roots) != 1 || info.errors != 0 {
		t.Fatalf("spans %d roots %d errors %d", info.spans, len(info.roots), info.errors)
	}
	if got := strings.Join(info.services, ","); got != "checkout,frontend" {
		t.Errorf("services = %s, want checkout,frontend (6 spans each: ties by name)", got)
	}
	if d := formatDuration(int64(info.end - info.start)); d != "279ms" {
		t.Errorf("duration %s, want 279ms", d)
	}
	rows := flatten(info.roots, nil)
	depths := make([]int, len(rows))
	for i, r := range rows {
		depths[i] = r.depth
	}
	// Same shape as cmd/tempoctl/testdata/script/query_trace.txtar.
	if got, want := depths, []int{0, 1, 2, 1, 2, 3, 2, 3, 4, 1, 2, 3}; !equalInts(got, want) {
		t.Errorf("depths %v, want %v", got, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTicks(t *testing.T) {
	for _, width := range []int{6, 10, 20, 38, 60, 200} {
		s := newScale(0, 279_000_000, width)
		ticks := s.ticks(4)
		if len(ticks) == 0 || ticks[0].pos != 0 || ticks[0].label != "0" {
			t.Fatalf("width %d: ticks %v do not start at 0", width, ticks)
		}
		end := 0
		for i, tk := range ticks {
			if i > 0 && tk.pos <= end {
				t.Fatalf("width %d: label %q at %d touches the previous one", width, tk.label, tk.pos)
			}
			end = tk.pos + ansi.StringWidth(tk.label)
			if end > width {
				t.Fatalf("width %d: label %q runs past the axis", width, tk.label)
			}
		}
		if width >= 10 && ticks[len(ticks)-1].label != "279ms" {
			t.Errorf("width %d: last tick %q, want the trace duration", width, ticks[len(ticks)-1].label)
		}
		if a := s.axis(4); ansi.StringWidth(a) != width {
			t.Errorf("axis width %d, want %d", ansi.StringWidth(a), width)
		}
	}
}

func TestTruncateAndPad(t *testing.T) {
	for _, tc := range []struct {
		in   string
		w    int
		want string
	}{
		{"checkout", 10, "checkout"},
		{"checkout", 8, "checkout"},
		{"checkout", 7, "checko…"},
		{"checkout", 1, "…"},
		{"checkout", 0, ""},
		{"日本語のサービス", 7, "日本語…"},
		{"", 3, ""},
	} {
		if got := truncate(tc.in, tc.w); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.w, got, tc.want)
		}
		if got := pad(tc.in, tc.w); ansi.StringWidth(got) != tc.w {
			t.Errorf("pad(%q, %d) = %q: width %d", tc.in, tc.w, got, ansi.StringWidth(got))
		}
		if got := padLeft(tc.in, tc.w); ansi.StringWidth(got) != tc.w {
			t.Errorf("padLeft(%q, %d) width %d", tc.in, tc.w, ansi.StringWidth(got))
		}
	}
}

func TestColumnsFillTheWidth(t *testing.T) {
	for _, w := range []int{20, 40, 60, 80, 100, 200} {
		c := waterfallColumns(w)
		if got := c.mark + c.name + c.dur + c.bar + 2; w >= 24 && got != w {
			t.Errorf("waterfall at %d: columns add up to %d", w, got)
		}
		if w >= 40 && (c.name < 16 || c.bar < 4) {
			t.Errorf("waterfall at %d: name %d bar %d too small", w, c.name, c.bar)
		}
		cols := searchColumns(w)
		sum := 2 + len(cols) - 1
		for _, col := range cols {
			sum += col.width
		}
		if w >= 40 && sum != w {
			t.Errorf("search table at %d: columns add up to %d", w, sum)
		}
		hasTrace := cols[0].sort == sortTrace
		if hasTrace != (w >= 80) {
			t.Errorf("search table at %d: trace ID column shown=%v", w, hasTrace)
		}
	}
}

func TestIndentIsCapped(t *testing.T) {
	if indent(3, 40) != 6 || indent(30, 40) != 20 || indent(0, 40) != 0 {
		t.Error("indent: two cells per level, at most half the name column")
	}
}
