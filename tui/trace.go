package tui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/tracetree"
)

// traceScreen is the waterfall of one trace and a preview of the selected
// span.
type traceScreen struct {
	seq     int
	id      model.TraceID
	td      ptrace.Traces
	info    traceInfo
	have    bool
	loading bool
	err     error
	took    time.Duration

	collapsed map[pcommon.SpanID]bool
	rows      []wfRow
	cur, off  int

	critical  bool
	crit      map[*tracetree.Node][]segment
	critTotal int64
	svcCount  map[string]int

	previewFocus bool
	previewOff   int
}

func (t *traceScreen) loaded() bool { return t.have }

// begin resets the screen for a trace being fetched and returns the
// sequence number its answer must carry.
func (t *traceScreen) begin(id model.TraceID) int {
	t.seq++
	t.id, t.have, t.loading, t.err = id, false, true, nil
	return t.seq
}

func (t *traceScreen) done(m *Model, msg traceDoneMsg) tea.Cmd {
	if msg.seq != t.seq {
		return nil
	}
	t.loading = false
	t.took = msg.took
	if msg.err != nil {
		if errors.Is(msg.err, ErrTraceNotFound) {
			t.err = fmt.Errorf("trace %s not found", msg.id)
		} else {
			t.err = fmt.Errorf("trace %s: %w", msg.id, msg.err)
		}
		return nil
	}
	t.load(msg.td)
	if msg.span != "" {
		t.selectSpan(msg.span)
	}
	return nil
}

// load shows td, everything expanded, the root selected.
func (t *traceScreen) load(td ptrace.Traces) {
	t.td = td
	t.info = summarize(td)
	if !t.info.id.IsZero() {
		t.id = t.info.id
	}
	t.have, t.err = true, nil
	t.collapsed = map[pcommon.SpanID]bool{}
	segs := criticalPath(t.info.roots)
	t.crit = criticalBySpan(segs)
	t.critTotal = 0
	for _, sg := range segs {
		t.critTotal += int64(sg.end - sg.start)
	}
	// Counted once here: View runs on every key and must not walk the trace.
	t.svcCount = map[string]int{}
	tracetree.Walk(t.info.roots, func(n *tracetree.Node, _ []bool) { t.svcCount[n.Service]++ })
	t.cur, t.off, t.previewOff, t.previewFocus = 0, 0, 0, false
	t.rows = flatten(t.info.roots, t.collapsed)
}

func (t *traceScreen) selectSpan(spanID string) {
	for i, r := range t.rows {
		if r.node.Span.SpanID().String() == spanID {
			t.cur = i
			return
		}
	}
}

func (t *traceScreen) selected() *tracetree.Node {
	if t.cur >= 0 && t.cur < len(t.rows) {
		return t.rows[t.cur].node
	}
	return nil
}

// layout returns the heights of the waterfall and of the preview pane.
func (t *traceScreen) layout(m *Model) (rows, preview int) {
	body := m.height - 6 // title, header, services, column header, status, legend
	if m.height >= 20 {
		preview = min(6, body/3)
	}
	return max(body-preview, 1), preview
}

func (t *traceScreen) clamp(m *Model) {
	h, _ := t.layout(m)
	t.cur = min(max(t.cur, 0), max(len(t.rows)-1, 0))
	if t.cur < t.off {
		t.off = t.cur
	}
	if t.cur >= t.off+h {
		t.off = t.cur - h + 1
	}
	t.off = min(max(t.off, 0), max(len(t.rows)-h, 0))
}

func (t *traceScreen) move(m *Model, d int) {
	if t.previewFocus {
		t.previewOff = max(t.previewOff+d, 0)
		return
	}
	t.cur += d
	t.previewOff = 0
	t.clamp(m)
}

// setCollapsed collapses or expands the subtree of the selected span and
// keeps that span selected.
func (t *traceScreen) setCollapsed(n *tracetree.Node, v bool) {
	if len(n.Children) == 0 {
		return
	}
	if v {
		t.collapsed[n.Span.SpanID()] = true
	} else {
		delete(t.collapsed, n.Span.SpanID())
	}
	t.reflow(n)
}

func (t *traceScreen) reflow(keep *tracetree.Node) {
	t.rows = flatten(t.info.roots, t.collapsed)
	for i, r := range t.rows {
		if r.node == keep {
			t.cur = i
		}
	}
}

func (t *traceScreen) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	if !t.have {
		return nil
	}
	h, _ := t.layout(m)
	sel := t.selected()
	switch {
	case key.Matches(msg, k.Up):
		t.move(m, -1)
	case key.Matches(msg, k.Down):
		t.move(m, 1)
	case key.Matches(msg, k.PageUp):
		t.move(m, -h)
	case key.Matches(msg, k.PageDown):
		t.move(m, h)
	case key.Matches(msg, k.Top):
		t.move(m, -len(t.rows)-t.previewOff)
	case key.Matches(msg, k.Bottom):
		t.move(m, len(t.rows))
	case key.Matches(msg, k.Tab):
		t.previewFocus = !t.previewFocus
	case key.Matches(msg, k.Open):
		if sel != nil {
			m.span.open(m, sel, t.info)
			m.push(screenSpan)
		}
	case key.Matches(msg, k.Fold):
		if sel != nil {
			t.setCollapsed(sel, !t.collapsed[sel.Span.SpanID()])
		}
	case key.Matches(msg, k.Collapse):
		if sel == nil {
			break
		}
		if len(sel.Children) > 0 && !t.collapsed[sel.Span.SpanID()] {
			t.setCollapsed(sel, true)
			break
		}
		// Already collapsed or a leaf: go to the parent, as tree views do.
		for i := t.cur - 1; i >= 0; i-- {
			if t.rows[i].depth < t.rows[t.cur].depth {
				t.cur = i
				break
			}
		}
	case key.Matches(msg, k.Expand):
		if sel != nil {
			t.setCollapsed(sel, false)
		}
	case key.Matches(msg, k.CollapseAll):
		tracetree.Walk(t.info.roots, func(n *tracetree.Node, _ []bool) {
			if len(n.Children) > 0 {
				t.collapsed[n.Span.SpanID()] = true
			}
		})
		root := sel
		for i := t.cur; i >= 0 && root != nil; i-- {
			if t.rows[i].depth == 0 {
				root = t.rows[i].node
				break
			}
		}
		t.reflow(root)
	case key.Matches(msg, k.ExpandAll):
		clear(t.collapsed)
		t.reflow(sel)
	case key.Matches(msg, k.Critical):
		t.critical = !t.critical
	}
	t.clamp(m)
	return nil
}

func (t *traceScreen) view(m *Model) string {
	st := m.st
	w := m.width
	var b strings.Builder
	b.WriteString(m.titleBar())
	b.WriteByte('\n')
	switch {
	case t.err != nil:
		b.WriteString(st.errText.Render(truncate("✗ "+t.err.Error(), w)))
		b.WriteString("\n\n")
		b.WriteString(st.dim.Render(truncate("esc: back to the results", w)))
		b.WriteString(strings.Repeat("\n", max(m.height-5, 0)))
		b.WriteString(m.legend(m.keys.Back, m.keys.Help, m.keys.Quit))
		return b.String()
	case !t.have:
		b.WriteString(st.dim.Render(truncate(m.spin.View()+" loading trace "+t.id.String()+"…", w)))
		b.WriteString(strings.Repeat("\n", max(m.height-2, 0)))
		b.WriteString(m.legend(m.keys.Back, m.keys.Help, m.keys.Quit))
		return b.String()
	}
	info := t.info
	// Header: ID, duration, counts; then the services in their colours.
	head := fmt.Sprintf("%s · %s · %d spans", info.id, formatDuration(int64(info.end-info.start)), info.spans)
	if info.errors > 0 {
		head += " · " + st.errText.Render(fmt.Sprintf("%d errors", info.errors))
	}
	b.WriteString(truncate(st.bold.Render("Trace ")+head, w))
	b.WriteByte('\n')
	b.WriteString(t.servicesLine(m))
	b.WriteByte('\n')

	cols := waterfallColumns(w)
	scale := newScale(info.start, info.end, cols.bar)
	hdr := pad("", cols.mark) + pad("SPAN", cols.name) + " " + padLeft("DURATION", cols.dur) + " " + scale.axis(4)
	b.WriteString(st.header.Render(truncate(hdr, w)))
	b.WriteByte('\n')

	h, preview := t.layout(m)
	for i := t.off; i < t.off+h; i++ {
		if i < len(t.rows) {
			b.WriteString(t.row(m, cols, scale, t.rows[i], i == t.cur))
		}
		b.WriteByte('\n')
	}
	if preview > 0 {
		b.WriteString(t.preview(m, preview))
	}
	status := fmt.Sprintf("span %d/%d", t.cur+1, len(t.rows))
	if hidden := info.spans - len(t.rows); hidden > 0 {
		status += fmt.Sprintf(" · %d hidden", hidden)
	}
	if t.critical {
		status += " · critical path ◆ (" + formatDuration(t.critTotal) + ")"
	}
	status += " · loaded in " + formatDuration(int64(t.took))
	b.WriteString(m.statusLine(st.dim.Render(status)))
	b.WriteByte('\n')
	k := m.keys
	b.WriteString(m.legend(k.Open, k.Back, k.Fold, k.Critical, k.Tab, k.Copy, k.Help, k.Quit))
	return b.String()
}

func (t *traceScreen) servicesLine(m *Model) string {
	counts := t.svcCount
	parts := []string{m.st.dim.Render(fmt.Sprintf("%d services:", len(t.info.services)))}
	for _, s := range t.info.services {
		name := s
		if name == "" {
			name = "(no service.name)"
		}
		parts = append(parts, m.st.service(s).Render("■ "+name)+m.st.dim.Render(fmt.Sprintf(" %d", counts[s])))
	}
	return truncate(strings.Join(parts, " "), m.width)
}

func (t *traceScreen) row(m *Model, cols wfColumns, scale timeScale, r wfRow, sel bool) string {
	st := m.st
	n := r.node
	segs := t.crit[n]
	onPath := t.critical && len(segs) > 0
	mark := []rune("  ")
	if n.Span.Status().Code() == ptrace.StatusCodeError {
		mark[0] = '!'
	}
	if onPath {
		mark[1] = '◆'
	}
	twisty := "  "
	switch {
	case r.collapsed:
		twisty = "▸ "
	case r.children > 0:
		twisty = "▾ "
	}
	ind := strings.Repeat(" ", indent(r.depth, cols.name))
	label := n.Span.Name()
	if r.collapsed {
		label += fmt.Sprintf(" (+%d)", r.hidden)
	}
	svc := n.Service
	// The name column: indent, twisty, service, name; truncated as a whole.
	plainName := pad(ind+twisty+svc+" "+label, cols.name)
	dur := padLeft(formatDuration(int64(n.Span.EndTimestamp())-int64(n.Span.StartTimestamp())), cols.dur)

	var bar strings.Builder
	var critSegs []segment
	if t.critical {
		critSegs = segs
	}
	s, e := spanTimes(n)
	for _, c := range scale.barCells(s, e, critSegs) {
		switch c {
		case cellEmpty:
			bar.WriteByte(' ')
		case cellSpan:
			if t.critical {
				bar.WriteString("░")
			} else {
				bar.WriteString("█")
			}
		case cellCritical:
			bar.WriteString("█")
		}
	}
	if sel {
		return st.selected.Render(string(mark) + plainName + " " + dur + " " + bar.String())
	}
	markS := string(mark)
	if mark[0] == '!' {
		markS = st.errText.Render("!") + st.critical.Render(string(mark[1]))
	} else if onPath {
		markS = " " + st.critical.Render(string(mark[1]))
	}
	// Colour the service inside the already padded name column.
	nameS := plainName
	prefix := ind + twisty
	if strings.HasPrefix(plainName, prefix) && svc != "" {
		rest := plainName[len(prefix):]
		if strings.HasPrefix(rest, svc) {
			nameS = prefix + st.service(svc).Render(svc) + rest[len(svc):]
		}
	}
	barStyle := st.service(svc)
	if onPath {
		barStyle = st.critical
	} else if t.critical {
		barStyle = st.dim
	}
	return markS + nameS + " " + st.dim.Render(dur) + " " + barStyle.Render(bar.String())
}

// preview is the pane under the waterfall: the selected span in short.
func (t *traceScreen) preview(m *Model, h int) string {
	st := m.st
	n := t.selected()
	title := "─ span "
	if t.previewFocus {
		title = "─ span (tab: back to the waterfall) "
	}
	sepStyle := st.dim
	if t.previewFocus {
		sepStyle = st.focus
	}
	line := sepStyle.Render(truncate(title+strings.Repeat("─", max(m.width-lipgloss.Width(title), 0)), m.width))
	var lines []string
	if n != nil {
		lines = spanSummary(st, n, t.info.start, m.width)
	}
	t.previewOff = min(t.previewOff, max(len(lines)-(h-1), 0))
	lines = lines[min(t.previewOff, len(lines)):]
	var b strings.Builder
	b.WriteString(line)
	b.WriteByte('\n')
	for i := 0; i < h-1; i++ {
		if i < len(lines) {
			b.WriteString(truncate(lines[i], m.width))
		}
		b.WriteByte('\n')
	}
	return b.String()
}
