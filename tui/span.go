package tui

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/tracetree"
)

// spanScreen shows everything about one span; links can be followed.
type spanScreen struct {
	node       *tracetree.Node
	traceStart uint64
	vp         viewport.Model
	links      []spanLink
	linkCur    int
	linkFocus  bool
	linkLines  []int // content line of each link, to keep it visible
}

type spanLink struct {
	trace model.TraceID
	span  string
}

func (s *spanScreen) open(m *Model, n *tracetree.Node, info traceInfo) {
	s.node, s.traceStart = n, info.start
	s.links = nil
	for i := 0; i < n.Span.Links().Len(); i++ {
		l := n.Span.Links().At(i)
		s.links = append(s.links, spanLink{trace: model.TraceID(l.TraceID()), span: l.SpanID().String()})
	}
	s.linkCur, s.linkFocus = 0, false
	s.vp = viewport.New()
	s.resize(m)
	s.vp.GotoTop()
}

// The scrolling part is the screen less title, span title, status and legend.
func (s *spanScreen) resize(m *Model) {
	if s.node == nil {
		return
	}
	s.vp.SetWidth(m.width)
	s.vp.SetHeight(max(m.height-4, 1))
	s.refresh(m)
}

func (s *spanScreen) refresh(m *Model) {
	cur := -1
	if s.linkFocus {
		cur = s.linkCur
	}
	lines, linkLines := spanDetail(m.st, s.node, s.traceStart, m.width, m.loc, cur)
	s.linkLines = linkLines
	s.vp.SetContentLines(lines)
}

func (s *spanScreen) scroll(d int) {
	if d < 0 {
		s.vp.ScrollUp(-d)
	} else {
		s.vp.ScrollDown(d)
	}
}

func (s *spanScreen) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	if s.node == nil {
		return nil
	}
	if s.linkFocus {
		switch {
		case key.Matches(msg, k.Up):
			s.linkCur = max(s.linkCur-1, 0)
		case key.Matches(msg, k.Down):
			s.linkCur = min(s.linkCur+1, len(s.links)-1)
		case key.Matches(msg, k.Tab):
			s.linkFocus = false
		case key.Matches(msg, k.Open):
			l := s.links[s.linkCur]
			return m.openLink(l.trace, l.span)
		}
		s.refresh(m)
		if s.linkCur < len(s.linkLines) {
			s.vp.EnsureVisible(s.linkLines[s.linkCur], 0, 0)
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.Up):
		s.vp.ScrollUp(1)
	case key.Matches(msg, k.Down):
		s.vp.ScrollDown(1)
	case key.Matches(msg, k.PageUp):
		s.vp.PageUp()
	case key.Matches(msg, k.PageDown):
		s.vp.PageDown()
	case key.Matches(msg, k.Top):
		s.vp.GotoTop()
	case key.Matches(msg, k.Bottom):
		s.vp.GotoBottom()
	case key.Matches(msg, k.Tab):
		if len(s.links) > 0 {
			s.linkFocus = true
			s.refresh(m)
			s.vp.EnsureVisible(s.linkLines[s.linkCur], 0, 0)
		}
	}
	return nil
}

// openLink follows a span link: the trace is fetched first and the screen
// changes only when it was found, so a dangling link leaves the user here.
func (m *Model) openLink(id model.TraceID, spanID string) tea.Cmd {
	if m.trace.have && id == m.trace.info.id {
		m.trace.selectSpan(spanID)
		m.trace.clamp(m)
		m.stack = []screen{screenSearch, screenTrace}
		return nil
	}
	src := m.src
	ctx, cancel := m.requestCtx()
	now := m.now
	return tea.Batch(m.startLoading(), func() tea.Msg {
		defer cancel()
		t0 := now()
		td, err := src.Trace(ctx, id)
		return linkDoneMsg{traceDoneMsg{id: id, td: td, err: err, took: now().Sub(t0), span: spanID}}
	})
}

// linkDoneMsg is a followed link's trace.
type linkDoneMsg struct{ traceDoneMsg }

func (m *Model) linkDone(msg linkDoneMsg) tea.Cmd {
	m.doneLoading()
	if msg.err != nil {
		return m.notify("linked trace %s: %v", msg.id, msg.err)
	}
	seq := m.trace.begin(msg.id)
	msg.seq = seq
	m.stack = []screen{screenSearch, screenTrace}
	return m.trace.done(m, msg.traceDoneMsg)
}

func (s *spanScreen) view(m *Model) string {
	st := m.st
	var b strings.Builder
	b.WriteString(m.titleBar())
	b.WriteByte('\n')
	if s.node == nil {
		return b.String()
	}
	title := st.bold.Render("Span ") + st.service(s.node.Service).Render(s.node.Service) + " " + st.bold.Render(s.node.Span.Name())
	b.WriteString(truncate(title, m.width))
	b.WriteByte('\n')
	b.WriteString(s.vp.View())
	b.WriteByte('\n')
	first := s.vp.YOffset() + 1
	last := min(s.vp.YOffset()+s.vp.Height(), s.vp.TotalLineCount())
	status := fmt.Sprintf("lines %d–%d of %d", first, last, s.vp.TotalLineCount())
	if len(s.links) > 0 {
		status += fmt.Sprintf(" · %d links (tab: select, enter: open)", len(s.links))
	}
	b.WriteString(m.statusLine(st.dim.Render(status)))
	b.WriteByte('\n')
	k := m.keys
	if s.linkFocus {
		b.WriteString(m.legend(k.Up, k.Down, k.Open, k.Tab, k.Back, k.Help, k.Quit))
	} else {
		b.WriteString(m.legend(k.Up, k.Down, k.Back, k.Tab, k.Copy, k.Help, k.Quit))
	}
	return b.String()
}

// attrLines renders a map as "key  value" lines sorted by key, keys padded
// to a common width (at most a third of the screen).
func attrLines(st styles, m pcommon.Map, width int, indentBy string) []string {
	type kv struct{ k, v string }
	var kvs []kv
	kw := 0
	m.Range(func(k string, v pcommon.Value) bool {
		kvs = append(kvs, kv{k, formatValue(v)})
		kw = max(kw, len([]rune(k)))
		return true
	})
	sort.Slice(kvs, func(i, j int) bool { return kvs[i].k < kvs[j].k })
	kw = min(kw, max(width/3, 8))
	out := make([]string, 0, len(kvs))
	for _, e := range kvs {
		out = append(out, truncate(indentBy+st.key.Render(pad(e.k, kw))+"  "+e.v, width))
	}
	return out
}

// formatValue shows a value with its type visible: strings quoted, the
// rest as OTLP's string form (arrays and maps as JSON).
func formatValue(v pcommon.Value) string {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return strconv.Quote(v.Str())
	case pcommon.ValueTypeBytes:
		return "bytes(" + v.AsString() + ")"
	}
	return v.AsString()
}

func kindName(k ptrace.SpanKind) string {
	switch k {
	case ptrace.SpanKindServer:
		return "server"
	case ptrace.SpanKindClient:
		return "client"
	case ptrace.SpanKindProducer:
		return "producer"
	case ptrace.SpanKindConsumer:
		return "consumer"
	case ptrace.SpanKindInternal:
		return "internal"
	}
	return "unspecified"
}

func statusText(st styles, s ptrace.Status) string {
	switch s.Code() {
	case ptrace.StatusCodeError:
		txt := "! error"
		if s.Message() != "" {
			txt += ": " + s.Message()
		}
		return st.errText.Render(txt)
	case ptrace.StatusCodeOk:
		return st.ok.Render("ok")
	}
	return "unset"
}

// spanSummary is the few lines the trace screen's preview shows.
func spanSummary(st styles, n *tracetree.Node, traceStart uint64, width int) []string {
	sp := n.Span
	s, e := spanTimes(n)
	head := fmt.Sprintf("%s %s · %s · %s · +%s", n.Service, sp.Name(), kindName(sp.Kind()),
		formatDuration(int64(e-s)), formatDuration(int64(s-traceStart)))
	lines := []string{truncate(head+" · "+statusText(st, sp.Status()), width)}
	lines = append(lines, attrLines(st, sp.Attributes(), width, "  ")...)
	if sp.Events().Len() > 0 {
		lines = append(lines, st.dim.Render(fmt.Sprintf("  %d events, enter for details", sp.Events().Len())))
	}
	return lines
}

// spanDetail lays out the span detail screen: identity and timing,
// attributes grouped by scope (span, resource, instrumentation), events
// with their attributes and times relative to the span, links. It returns
// the lines and the line index of each link; linkCur is highlighted (-1:
// none).
func spanDetail(st styles, n *tracetree.Node, traceStart uint64, width int, loc *time.Location, linkCur int) ([]string, []int) {
	sp := n.Span
	s, e := spanTimes(n)
	var out []string
	field := func(k, v string) { out = append(out, truncate(st.dim.Render(pad(k, 12))+v, width)) }
	section := func(title string) {
		out = append(out, "", st.header.Render(title))
	}
	field("service", n.Service)
	field("kind", kindName(sp.Kind()))
	field("status", statusText(st, sp.Status()))
	field("duration", formatDuration(int64(e-s)))
	field("start", time.Unix(0, int64(s)).In(loc).Format("2006-01-02 15:04:05.000000 MST")+
		st.dim.Render(" (+"+formatDuration(int64(s-traceStart))+" into the trace)"))
	field("span ID", sp.SpanID().String())
	parent := "— (root)"
	if !sp.ParentSpanID().IsEmpty() {
		parent = sp.ParentSpanID().String()
	}
	field("parent", parent)
	field("trace ID", model.TraceID(sp.TraceID()).String())
	if ts := sp.TraceState().AsRaw(); ts != "" {
		field("trace state", ts)
	}

	section(fmt.Sprintf("Span attributes (%d)", sp.Attributes().Len()))
	out = append(out, attrLines(st, sp.Attributes(), width, "  ")...)
	section(fmt.Sprintf("Resource attributes (%d)", n.Resource.Attributes().Len()))
	out = append(out, attrLines(st, n.Resource.Attributes(), width, "  ")...)
	scope := n.Scope.Name()
	if v := n.Scope.Version(); v != "" {
		scope += " " + v
	}
	if scope == "" {
		scope = "(none)"
	}
	section("Instrumentation scope")
	out = append(out, truncate("  "+scope, width))
	out = append(out, attrLines(st, n.Scope.Attributes(), width, "  ")...)

	if sp.Events().Len() > 0 {
		section(fmt.Sprintf("Events (%d)", sp.Events().Len()))
		for i := 0; i < sp.Events().Len(); i++ {
			ev := sp.Events().At(i)
			rel := int64(ev.Timestamp()) - int64(s)
			when := "+" + formatDuration(rel)
			if rel < 0 {
				when = "-" + formatDuration(-rel)
			}
			out = append(out, truncate("  "+st.dim.Render(padLeft(when, 8))+"  "+st.bold.Render(ev.Name()), width))
			out = append(out, attrLines(st, ev.Attributes(), width, "            ")...)
		}
	}
	var linkLines []int
	if sp.Links().Len() > 0 {
		section(fmt.Sprintf("Links (%d)", sp.Links().Len()))
		for i := 0; i < sp.Links().Len(); i++ {
			l := sp.Links().At(i)
			line := fmt.Sprintf("  trace %s span %s", model.TraceID(l.TraceID()), l.SpanID())
			if i == linkCur {
				line = st.selected.Render(pad("▸"+line[1:], width))
			}
			linkLines = append(linkLines, len(out))
			out = append(out, truncate(line, width))
			out = append(out, attrLines(st, l.Attributes(), width, "      ")...)
		}
	}
	if sp.DroppedAttributesCount()+sp.DroppedEventsCount()+sp.DroppedLinksCount() > 0 {
		section("Dropped")
		out = append(out, fmt.Sprintf("  %d attributes, %d events, %d links",
			sp.DroppedAttributesCount(), sp.DroppedEventsCount(), sp.DroppedLinksCount()))
	}
	return out, linkLines
}
