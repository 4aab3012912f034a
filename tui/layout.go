package tui

import (
	"cmp"
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/tracetree"
)

// This file is the waterfall's geometry: which spans are visible, how deep,
// and where each bar starts and ends on a time axis of a given width. It
// knows nothing about colours or keys, so it is tested on fixture traces.

// wfRow is one visible span of the waterfall.
type wfRow struct {
	node      *tracetree.Node
	depth     int
	children  int  // direct children
	collapsed bool // children hidden
	hidden    int  // spans hidden below a collapsed row
}

// flatten lists the spans depth-first (parents first, siblings by start
// time), skipping the descendants of collapsed spans.
func flatten(roots []*tracetree.Node, collapsed map[pcommon.SpanID]bool) []wfRow {
	var rows []wfRow
	var rec func(ns []*tracetree.Node, depth int)
	rec = func(ns []*tracetree.Node, depth int) {
		for _, n := range ns {
			r := wfRow{node: n, depth: depth, children: len(n.Children)}
			if len(n.Children) > 0 && collapsed[n.Span.SpanID()] {
				r.collapsed = true
				r.hidden = countDescendants(n)
				rows = append(rows, r)
				continue
			}
			rows = append(rows, r)
			rec(n.Children, depth+1)
		}
	}
	rec(roots, 0)
	return rows
}

func countDescendants(n *tracetree.Node) int {
	c := 0
	for _, k := range n.Children {
		c += 1 + countDescendants(k)
	}
	return c
}

// timeScale maps the trace's [start, end] in nanoseconds onto width cells.
type timeScale struct {
	start, end uint64
	width      int
}

func newScale(start, end uint64, width int) timeScale {
	if end < start {
		end = start
	}
	return timeScale{start: start, end: end, width: max(width, 0)}
}

// pos is the cell a time falls in, as a fraction of the cells (not clamped).
func (s timeScale) pos(t uint64) float64 {
	total := s.end - s.start
	if total == 0 {
		return 0
	}
	return (float64(t) - float64(s.start)) / float64(total) * float64(s.width)
}

// bar returns the first cell and the number of cells of a span. Every span
// gets at least one cell, so instant spans stay visible, and never spills
// past the axis.
func (s timeScale) bar(start, end uint64) (off, w int) {
	if s.width == 0 {
		return 0, 0
	}
	if end < start {
		end = start
	}
	if s.end == s.start {
		return 0, s.width
	}
	lo := int(s.pos(start))
	hi := int(ceil(s.pos(end)))
	lo = min(max(lo, 0), s.width-1)
	hi = min(max(hi, lo+1), s.width)
	return lo, hi - lo
}

func ceil(f float64) float64 {
	i := float64(int64(f))
	if f > i {
		return i + 1
	}
	return i
}

// tick is a time label on the axis.
type tick struct {
	pos   int
	label string
}

// ticks labels the axis at 0, at the end, and at n-1 evenly spaced offsets
// between them, leaving out labels that would touch a neighbour.
func (s timeScale) ticks(n int) []tick {
	if s.width <= 0 || n <= 0 {
		return nil
	}
	total := int64(s.end - s.start)
	endLabel := formatDuration(total)
	endPos := s.width - ansi.StringWidth(endLabel)
	out := []tick{{pos: 0, label: "0"}}
	next := 2
	for i := 1; i < n; i++ {
		p := s.width * i / n
		label := formatDuration(total * int64(i) / int64(n))
		if p < next || p+ansi.StringWidth(label)+1 > endPos {
			continue
		}
		out = append(out, tick{pos: p, label: label})
		next = p + ansi.StringWidth(label) + 1
	}
	if endPos >= next {
		out = append(out, tick{pos: endPos, label: endLabel})
	}
	return out
}

// axis renders the ticks as one line of width cells.
func (s timeScale) axis(n int) string {
	line := []rune(strings.Repeat(" ", s.width))
	for _, t := range s.ticks(n) {
		for i, r := range []rune(t.label) {
			if t.pos+i < len(line) {
				line[t.pos+i] = r
			}
		}
	}
	return string(line)
}

// cellKind is what one cell of a bar shows.
type cellKind uint8

const (
	cellEmpty    cellKind = iota
	cellSpan              // the span runs here
	cellCritical          // the span runs here on the critical path
)

// barCells lays a span's bar out cell by cell, marking the cells its
// critical-path segments cover (segs may be nil).
func (s timeScale) barCells(start, end uint64, segs []segment) []cellKind {
	cells := make([]cellKind, s.width)
	off, w := s.bar(start, end)
	for i := off; i < off+w; i++ {
		cells[i] = cellSpan
	}
	for _, sg := range segs {
		so, sw := s.bar(sg.start, sg.end)
		for i := so; i < so+sw && i < len(cells); i++ {
			if i >= off && i < off+w {
				cells[i] = cellCritical
			}
		}
	}
	return cells
}

// truncate cuts s to w cells, ending with an ellipsis when it was longer.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// pad truncates or right-pads s to exactly w cells.
func pad(s string, w int) string {
	s = truncate(s, w)
	if n := ansi.StringWidth(s); n < w {
		s += strings.Repeat(" ", w-n)
	}
	return s
}

// padLeft truncates or left-pads s to exactly w cells (numbers).
func padLeft(s string, w int) string {
	s = truncate(s, w)
	if n := ansi.StringWidth(s); n < w {
		s = strings.Repeat(" ", w-n) + s
	}
	return s
}

// wfColumns splits the waterfall's width: a 2-cell mark gutter, the span
// name (tree), the duration and the bar.
type wfColumns struct {
	mark, name, dur, bar int
}

func waterfallColumns(width int) wfColumns {
	c := wfColumns{mark: 2, dur: 8}
	rest := width - c.mark - c.dur - 2 // two separating spaces
	if rest < 10 {
		c.name, c.bar = max(rest, 0), 0
		return c
	}
	// The name gets 45% (at least 16 cells when there is room), the bar the rest.
	c.name = max(rest*45/100, min(16, rest-4))
	c.bar = rest - c.name
	return c
}

// indent is the indentation of a span at depth: two cells per level, but
// never more than half the name column so deep traces keep their names.
func indent(depth, nameWidth int) int {
	return min(2*depth, nameWidth/2)
}

// traceInfo is the header of a trace screen.
type traceInfo struct {
	id         model.TraceID
	start, end uint64
	spans      int
	errors     int
	services   []string // by span count, most first
	roots      []*tracetree.Node
}

func summarize(td ptrace.Traces) traceInfo {
	info := traceInfo{roots: tracetree.Build(td)}
	counts := map[string]int{}
	tracetree.Walk(info.roots, func(n *tracetree.Node, _ []bool) {
		info.spans++
		if info.id.IsZero() {
			info.id = model.TraceID(n.Span.TraceID())
		}
		s, e := uint64(n.Span.StartTimestamp()), uint64(n.Span.EndTimestamp())
		if info.start == 0 || s < info.start {
			info.start = s
		}
		info.end = max(info.end, e, s)
		if n.Span.Status().Code() == ptrace.StatusCodeError {
			info.errors++
		}
		counts[n.Service]++
	})
	for s := range counts {
		info.services = append(info.services, s)
	}
	slices.SortFunc(info.services, func(a, b string) int {
		if c := cmp.Compare(counts[b], counts[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return info
}
