package tui

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/traceql"
)

// maxHistory bounds the query history kept and saved.
const maxHistory = 200

// maxLiveResults bounds what live polling accumulates.
const maxLiveResults = 5000

type inputMode int

const (
	inputNone inputMode = iota
	inputQuery
	inputRange
)

// sortColumn is a results table column that can be sorted.
type sortColumn int

const (
	sortStart sortColumn = iota
	sortDuration
	sortSpans
	sortErrors
	sortService
	sortName
	sortTrace
	numSortColumns
)

var sortNames = [...]string{"start", "duration", "spans", "errors", "service", "name", "trace ID"}

// searchScreen is the TraceQL input, the results table and its status.
type searchScreen struct {
	m          *Model
	input      textinput.Model
	rangeInput textinput.Model
	mode       inputMode

	history []string
	histPos int
	draft   string

	results []*traceql.TraceSearchMetadata
	cur     int
	off     int
	sortBy  sortColumn
	desc    bool

	seq       int
	searching bool // a search (not a live poll) is in flight
	cancel    context.CancelFunc
	lastQuery string
	metrics   traceql.SearchMetrics
	took      time.Duration
	searched  bool
	err       error
	warn      error // results came back incomplete (blocks skipped)
	qerr      *QueryError
	errQuery  string
	rangeErr  error

	tags    []string
	values  map[string][]string
	pending map[string]bool
	comp    completion
	compIdx int
}

func newSearchScreen(m *Model, query string, history []string) *searchScreen {
	s := &searchScreen{m: m, desc: true, values: map[string][]string{}, pending: map[string]bool{}}
	s.input = textinput.New()
	s.input.Prompt = "Query › "
	s.input.Placeholder = "{ resource.service.name = \"frontend\" && status = error }"
	s.input.SetVirtualCursor(false)
	s.input.SetValue(query)
	s.rangeInput = textinput.New()
	s.rangeInput.Prompt = "Range › "
	s.rangeInput.Placeholder = "2h | all | 2026-11-23T20:00:00Z 2026-11-23T21:00:00Z | now-2h now-1h"
	s.rangeInput.SetVirtualCursor(false)
	s.history = append([]string(nil), history...)
	s.histPos = len(s.history)
	s.restyle()
	return s
}

func (s *searchScreen) restyle() {
	for _, in := range []*textinput.Model{&s.input, &s.rangeInput} {
		st := in.Styles()
		st.Focused.Prompt = s.m.st.focus
		st.Blurred.Prompt = s.m.st.dim
		st.Focused.Placeholder = s.m.st.dim
		st.Blurred.Placeholder = s.m.st.dim
		st.Cursor.Blink = false
		in.SetStyles(st)
	}
}

func (s *searchScreen) resize() {
	w := max(s.m.width-lipgloss.Width(s.input.Prompt)-1, 10)
	s.input.SetWidth(w)
	s.rangeInput.SetWidth(w)
	s.clamp()
}

func (s *searchScreen) typing() bool { return s.mode != inputNone }

// rowsVisible is the table's height: the screen less title, input, info,
// header, status and legend lines.
func (s *searchScreen) rowsVisible() int { return max(s.m.height-6, 1) }

// run starts the search in the input (live: re-runs the last query).
func (s *searchScreen) run(live bool) tea.Cmd {
	q := strings.TrimSpace(s.input.Value())
	if live {
		q = s.lastQuery
		if q == "" {
			return nil
		}
	} else {
		if q == "" {
			q = "{}"
			s.input.SetValue(q)
		}
		s.seq++
		s.searching = true
		if s.cancel != nil {
			s.cancel()
		}
	}
	seq := s.seq
	src := s.m.src
	start, end := s.m.rng.Bounds(s.m.now())
	limit := s.m.opts.Limit
	ctx, cancel := s.m.requestCtx()
	if !live {
		s.cancel = cancel
	}
	now := s.m.now
	return tea.Batch(s.m.startLoading(), func() tea.Msg {
		defer cancel()
		t0 := now()
		resp, err := src.Search(ctx, q, start, end, limit)
		return searchDoneMsg{seq: seq, resp: resp, err: err, took: now().Sub(t0), live: live, query: q}
	})
}

func (s *searchScreen) done(msg searchDoneMsg) tea.Cmd {
	if msg.seq != s.seq {
		return nil // an older search, superseded
	}
	if !msg.live {
		s.searching = false
	}
	var partial *PartialError
	if errors.As(msg.err, &partial) && msg.resp != nil {
		msg.err = nil
	} else {
		partial = nil
	}
	if msg.err != nil {
		if msg.live {
			s.err = fmt.Errorf("live update: %w", msg.err)
			return nil
		}
		s.searched = true
		if qe := asQueryError(msg.err); qe != nil {
			s.qerr, s.errQuery, s.err = qe, msg.query, nil
		} else if ctxErr := s.m.ctx.Err(); ctxErr == nil {
			s.err, s.qerr = msg.err, nil
		}
		return nil
	}
	s.err, s.qerr = nil, nil
	s.warn = nil
	if partial != nil {
		s.warn = partial
	}
	s.searched = true
	s.took = msg.took
	if msg.resp.Metrics != nil {
		s.metrics = *msg.resp.Metrics
	}
	selected := ""
	if t := s.selected(); t != nil {
		selected = t.TraceID
	}
	screenRow := s.cur - s.off
	if msg.live {
		s.results = mergeResults(s.results, msg.resp.Traces)
	} else {
		s.results = slices.Clone(msg.resp.Traces)
		if msg.query != s.lastQuery {
			selected = ""
		}
		s.lastQuery = msg.query
	}
	s.sortResults()
	s.cur, s.off = 0, 0
	if selected != "" {
		for i, t := range s.results {
			if t.TraceID == selected {
				// Same trace, same screen row: new traces arrive around it.
				s.cur = i
				s.off = max(i-screenRow, 0)
				break
			}
		}
	}
	s.clamp()
	return nil
}

// mergeResults updates known traces and adds new ones (live polling).
func mergeResults(old, fresh []*traceql.TraceSearchMetadata) []*traceql.TraceSearchMetadata {
	idx := map[string]int{}
	out := slices.Clone(old)
	for i, t := range out {
		idx[t.TraceID] = i
	}
	for _, t := range fresh {
		if i, ok := idx[t.TraceID]; ok {
			out[i] = t
			continue
		}
		idx[t.TraceID] = len(out)
		out = append(out, t)
	}
	if len(out) > maxLiveResults {
		slices.SortStableFunc(out, func(a, b *traceql.TraceSearchMetadata) int {
			return cmp.Compare(b.StartTimeUnixNano, a.StartTimeUnixNano)
		})
		out = out[:maxLiveResults]
	}
	return out
}

func spanCounts(t *traceql.TraceSearchMetadata) (spans, errs int, ok bool) {
	if t.ServiceStats == nil {
		return 0, 0, false
	}
	for _, st := range t.ServiceStats {
		spans += int(st.SpanCount)
		errs += int(st.ErrorCount)
	}
	return spans, errs, true
}

func (s *searchScreen) sortResults() {
	by := s.sortBy
	slices.SortStableFunc(s.results, func(a, b *traceql.TraceSearchMetadata) int {
		var c int
		switch by {
		case sortStart:
			c = cmp.Compare(a.StartTimeUnixNano, b.StartTimeUnixNano)
		case sortDuration:
			c = cmp.Compare(a.DurationMs, b.DurationMs)
		case sortSpans:
			as, _, _ := spanCounts(a)
			bs, _, _ := spanCounts(b)
			c = cmp.Compare(as, bs)
		case sortErrors:
			_, ae, _ := spanCounts(a)
			_, be, _ := spanCounts(b)
			c = cmp.Compare(ae, be)
		case sortService:
			c = strings.Compare(a.RootServiceName, b.RootServiceName)
		case sortName:
			c = strings.Compare(a.RootTraceName, b.RootTraceName)
		case sortTrace:
			c = strings.Compare(fmt.Sprintf("%032s", a.TraceID), fmt.Sprintf("%032s", b.TraceID))
		}
		if c == 0 && by != sortStart {
			c = cmp.Compare(b.StartTimeUnixNano, a.StartTimeUnixNano) // newest first among equals
			return c
		}
		if s.desc {
			c = -c
		}
		return c
	})
}

func (s *searchScreen) selected() *traceql.TraceSearchMetadata {
	if s.cur >= 0 && s.cur < len(s.results) {
		return s.results[s.cur]
	}
	return nil
}

func (s *searchScreen) clamp() {
	n := len(s.results)
	s.cur = min(max(s.cur, 0), max(n-1, 0))
	h := s.rowsVisible()
	if s.cur < s.off {
		s.off = s.cur
	}
	if s.cur >= s.off+h {
		s.off = s.cur - h + 1
	}
	s.off = min(max(s.off, 0), max(n-h, 0))
}

func (s *searchScreen) move(d int) {
	s.cur += d
	s.clamp()
}

func (s *searchScreen) tagsDone(msg tagsDoneMsg) {
	if msg.err == nil {
		s.tags = msg.names
		s.updateCompletion()
	}
}

func (s *searchScreen) tagValuesDone(msg tagValuesDoneMsg) tea.Cmd {
	delete(s.pending, msg.tag)
	if msg.err != nil {
		s.values[msg.tag] = nil
	} else {
		s.values[msg.tag] = msg.values
	}
	return s.updateCompletion()
}

// updateCompletion recomputes the completion at the cursor and fetches the
// values of the attribute being compared when they are not known yet.
func (s *searchScreen) updateCompletion() tea.Cmd {
	if s.mode != inputQuery {
		s.comp = completion{}
		return nil
	}
	c := completeAt(s.input.Value(), s.input.Position(), s.tags, func(tag string) ([]string, bool) {
		if vs, ok := staticValues[tag]; ok {
			return vs, true
		}
		vs, ok := s.values[tag]
		return vs, ok
	})
	if s.comp.start != c.start || s.comp.prefix != c.prefix || s.comp.tag != c.tag {
		s.compIdx = 0
	}
	s.comp = c
	if c.values && c.tag != "" {
		_, known := s.values[c.tag]
		_, static := staticValues[c.tag]
		if !known && !static && !s.pending[c.tag] {
			s.pending[c.tag] = true
			return s.m.fetchTagValues(c.tag)
		}
	}
	return nil
}

func (s *searchScreen) focusInput() tea.Cmd {
	s.mode = inputQuery
	s.input.CursorEnd()
	cmd := s.input.Focus()
	return tea.Batch(cmd, s.updateCompletion())
}

func (s *searchScreen) blur() {
	s.mode = inputNone
	s.input.Blur()
	s.rangeInput.Blur()
	s.comp = completion{}
}

// other passes non-key messages (cursor blink, paste) to the input.
func (s *searchScreen) other(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	switch s.mode {
	case inputQuery:
		s.input, cmd = s.input.Update(msg)
		return tea.Batch(cmd, s.updateCompletion())
	case inputRange:
		s.rangeInput, cmd = s.rangeInput.Update(msg)
	}
	return cmd
}

func (s *searchScreen) typingKey(msg tea.KeyPressMsg) tea.Cmd {
	k := s.m.keys
	if s.mode == inputRange {
		switch msg.String() {
		case "enter":
			r, err := ParseRange(s.rangeInput.Value(), s.m.now())
			if err != nil {
				s.rangeErr = err
				return nil
			}
			s.rangeErr = nil
			s.blur()
			return s.setRange(r)
		case "esc":
			s.rangeErr = nil
			s.blur()
			return nil
		}
		var cmd tea.Cmd
		s.rangeInput, cmd = s.rangeInput.Update(msg)
		return cmd
	}
	switch {
	case key.Matches(msg, k.Run):
		q := strings.TrimSpace(s.input.Value())
		s.addHistory(q)
		s.blur()
		return tea.Batch(s.run(false), s.saveHistory())
	case key.Matches(msg, k.Leave):
		s.blur()
		return nil
	case key.Matches(msg, k.Complete):
		if len(s.comp.items) > 0 {
			item := s.comp.items[min(s.compIdx, len(s.comp.items)-1)]
			text, pos := s.comp.apply(s.input.Value(), item)
			s.input.SetValue(text)
			s.input.SetCursor(pos)
			s.compIdx = 0
			return s.updateCompletion()
		}
		s.blur()
		return nil
	case key.Matches(msg, k.NextCompletion):
		if n := len(s.comp.items); n > 0 {
			s.compIdx = (s.compIdx + 1) % n
		}
		return nil
	case key.Matches(msg, k.PrevCompletion):
		if n := len(s.comp.items); n > 0 {
			s.compIdx = (s.compIdx + n - 1) % n
		}
		return nil
	case msg.String() == "up":
		s.historyStep(-1)
		return s.updateCompletion()
	case msg.String() == "down":
		s.historyStep(1)
		return s.updateCompletion()
	}
	var cmd tea.Cmd
	s.input, cmd = s.input.Update(msg)
	return tea.Batch(cmd, s.updateCompletion())
}

func (s *searchScreen) addHistory(q string) {
	if q == "" {
		return
	}
	if n := len(s.history); n == 0 || s.history[n-1] != q {
		s.history = append(s.history, q)
	}
	if len(s.history) > maxHistory {
		s.history = s.history[len(s.history)-maxHistory:]
	}
	s.histPos = len(s.history)
	s.draft = ""
}

// historyStep walks the history; the text being typed is kept as a draft
// at the end of the list.
func (s *searchScreen) historyStep(d int) {
	if len(s.history) == 0 {
		return
	}
	if s.histPos == len(s.history) {
		s.draft = s.input.Value()
	}
	p := min(max(s.histPos+d, 0), len(s.history))
	if p == s.histPos {
		return
	}
	s.histPos = p
	if p == len(s.history) {
		s.input.SetValue(s.draft)
	} else {
		s.input.SetValue(s.history[p])
	}
	s.input.CursorEnd()
}

func (s *searchScreen) saveHistory() tea.Cmd {
	save := s.m.opts.SaveHistory
	if save == nil {
		return nil
	}
	h := slices.Clone(s.history)
	return func() tea.Msg { return historySaved{err: save(h)} }
}

func (s *searchScreen) setRange(r TimeRange) tea.Cmd {
	s.m.rng = r
	if r.custom() {
		c := r
		s.m.custom = &c
	}
	s.values = map[string][]string{}
	return tea.Batch(s.run(false), s.m.fetchTags())
}

func (s *searchScreen) key(msg tea.KeyPressMsg) tea.Cmd {
	k := s.m.keys
	switch {
	case key.Matches(msg, k.Up):
		s.move(-1)
	case key.Matches(msg, k.Down):
		s.move(1)
	case key.Matches(msg, k.Top):
		s.cur = 0
		s.clamp()
	case key.Matches(msg, k.Bottom):
		s.cur = len(s.results) - 1
		s.clamp()
	case key.Matches(msg, k.PageUp):
		s.move(-s.rowsVisible())
	case key.Matches(msg, k.PageDown):
		s.move(s.rowsVisible())
	case key.Matches(msg, k.Open):
		if t := s.selected(); t != nil {
			id, err := model.ParseTraceID(t.TraceID)
			if err != nil {
				return s.m.notify("bad trace ID %q in results: %v", t.TraceID, err)
			}
			return s.m.openTrace(id, "")
		}
	case key.Matches(msg, k.Tab):
		return s.focusInput()
	case key.Matches(msg, k.Sort):
		s.sortBy = (s.sortBy + 1) % numSortColumns
		// Times, durations and counts read best largest first, text A→Z.
		s.desc = s.sortBy <= sortErrors
		s.resort()
	case key.Matches(msg, k.Reverse):
		s.desc = !s.desc
		s.resort()
	case key.Matches(msg, k.Range):
		s.m.rng = nextRange(s.m.rng, s.m.custom)
		s.values = map[string][]string{}
		return tea.Batch(s.run(false), s.m.fetchTags())
	case key.Matches(msg, k.CustomRange):
		s.mode = inputRange
		s.rangeErr = nil
		s.rangeInput.SetValue("")
		return s.rangeInput.Focus()
	case key.Matches(msg, k.Refresh):
		return s.run(false)
	}
	return nil
}

// resort sorts again keeping the selected trace selected.
func (s *searchScreen) resort() {
	sel := s.selected()
	s.sortResults()
	for i, t := range s.results {
		if t == sel {
			s.cur = i
		}
	}
	s.clamp()
}

// cursor is the terminal cursor while typing (the real one: no blinking
// timers, and terminals draw it as the user configured).
func (s *searchScreen) cursor() *tea.Cursor {
	var c *tea.Cursor
	switch s.mode {
	case inputQuery:
		c = s.input.Cursor()
	case inputRange:
		c = s.rangeInput.Cursor()
	}
	if c != nil {
		c.Position.Y += 1 // below the title bar
	}
	return c
}

// searchCol is one column of the results table.
type searchCol struct {
	title string
	width int
	right bool
	sort  sortColumn
}

// searchColumns fits the table to width: fixed columns for numbers and
// times, the rest shared by service (2/5) and root span name (3/5). The
// trace ID column goes first on narrow terminals, then the start time.
func searchColumns(width int) []searchCol {
	trace := searchCol{"TRACE", 8, false, sortTrace}
	svc := searchCol{"SERVICE", 0, false, sortService}
	name := searchCol{"NAME", 0, false, sortName}
	start := searchCol{"START", 14, false, sortStart}
	// Numeric columns leave room for the sort arrow after their title.
	dur := searchCol{"DURATION", 9, true, sortDuration}
	spans := searchCol{"SPANS", 6, true, sortSpans}
	errs := searchCol{"ERR", 4, true, sortErrors}
	avail := width - 2 // cursor gutter
	cols := []searchCol{trace, svc, name, start, dur, spans, errs}
	fixed := func(cs []searchCol) int {
		n := len(cs) - 1 // single spaces between columns
		for _, c := range cs {
			n += c.width
		}
		return n
	}
	if avail-fixed(cols) < 24 {
		cols = []searchCol{svc, name, start, dur, spans, errs}
	}
	if avail-fixed(cols) < 20 {
		cols = []searchCol{svc, name, dur, spans, errs}
	}
	flex := max(avail-fixed(cols), 2)
	for i := range cols {
		switch cols[i].sort {
		case sortService:
			cols[i].width = flex * 2 / 5
		case sortName:
			cols[i].width = flex - flex*2/5
		}
	}
	return cols
}

func (s *searchScreen) cell(c searchCol, t *traceql.TraceSearchMetadata) string {
	switch c.sort {
	case sortTrace:
		// A short ID, as git shows commits: enough to tell rows apart.
		return t.TraceID[:min(len(t.TraceID), c.width)]
	case sortService:
		return t.RootServiceName
	case sortName:
		return t.RootTraceName
	case sortStart:
		return formatStart(t.StartTimeUnixNano, s.m.now(), s.m.loc)
	case sortDuration:
		if t.DurationMs == 0 {
			return "<1ms"
		}
		return formatDuration(int64(t.DurationMs) * int64(time.Millisecond))
	case sortSpans:
		if n, _, ok := spanCounts(t); ok {
			return strconv.Itoa(n)
		}
		return "-"
	case sortErrors:
		if _, e, ok := spanCounts(t); ok {
			return strconv.Itoa(e)
		}
		return "-"
	}
	return ""
}

func (s *searchScreen) view() string {
	st := s.m.st
	w := s.m.width
	var b strings.Builder
	b.WriteString(s.m.titleBar())
	b.WriteByte('\n')
	// Input line.
	if s.mode == inputRange {
		b.WriteString(s.rangeInput.View())
	} else {
		b.WriteString(s.input.View())
	}
	b.WriteByte('\n')
	b.WriteString(s.infoLine())
	b.WriteByte('\n')
	// Header.
	cols := searchColumns(w)
	hdr := []string{"  "}
	for i, c := range cols {
		title := c.title
		if c.sort == s.sortBy {
			if s.desc {
				title += "↓"
			} else {
				title += "↑"
			}
		}
		if i > 0 {
			hdr = append(hdr, " ")
		}
		if c.right {
			hdr = append(hdr, padLeft(title, c.width))
		} else {
			hdr = append(hdr, pad(title, c.width))
		}
	}
	b.WriteString(st.header.Render(strings.Join(hdr, "")))
	b.WriteByte('\n')
	// Rows.
	h := s.rowsVisible()
	switch {
	case len(s.results) == 0 && !s.searched:
		b.WriteString(st.dim.Render("  searching…"))
		b.WriteString(strings.Repeat("\n", h))
	case len(s.results) == 0:
		b.WriteString(st.dim.Render(truncate("  no traces match in "+s.m.rng.Label(s.m.loc)+" (t: change the range)", w)))
		b.WriteString(strings.Repeat("\n", h))
	default:
		for i := s.off; i < s.off+h; i++ {
			if i < len(s.results) {
				b.WriteString(s.row(cols, s.results[i], i == s.cur))
			}
			b.WriteByte('\n')
		}
	}
	b.WriteString(s.status())
	b.WriteByte('\n')
	b.WriteString(s.legend())
	return b.String()
}

func (s *searchScreen) row(cols []searchCol, t *traceql.TraceSearchMetadata, sel bool) string {
	st := s.m.st
	parts := make([]string, 0, len(cols)*2+1)
	gutter := "  "
	if sel {
		gutter = "▸ "
	}
	parts = append(parts, gutter)
	for i, c := range cols {
		if i > 0 {
			parts = append(parts, " ")
		}
		txt := s.cell(c, t)
		if c.right {
			txt = padLeft(txt, c.width)
		} else {
			txt = pad(txt, c.width)
		}
		if !sel {
			switch {
			case c.sort == sortService:
				txt = st.service(t.RootServiceName).Render(txt)
			case c.sort == sortErrors && strings.TrimSpace(txt) != "0" && strings.TrimSpace(txt) != "-":
				txt = st.errText.Render(txt)
			case c.sort == sortTrace || c.sort == sortStart:
				txt = st.dim.Render(txt)
			}
		}
		parts = append(parts, txt)
	}
	line := strings.Join(parts, "")
	if sel {
		return st.selected.Render(line)
	}
	return line
}

// infoLine is the line under the input: completions while typing, the
// query error with a caret at its position, or a hint.
func (s *searchScreen) infoLine() string {
	st := s.m.st
	w := s.m.width
	if s.mode == inputRange {
		if s.rangeErr != nil {
			return st.errText.Render(truncate(s.rangeErr.Error(), w))
		}
		return st.dim.Render(truncate("enter: apply · esc: cancel", w))
	}
	if s.mode == inputQuery && s.comp.values && len(s.comp.items) == 0 && s.pending[s.comp.tag] {
		return st.dim.Render(truncate("loading values of "+s.comp.tag+"…", w))
	}
	if s.mode == inputQuery && len(s.comp.items) > 0 {
		var parts []string
		used := 0
		for i, it := range s.comp.items {
			txt := it
			if i == s.compIdx {
				txt = st.selected.Render(it)
			}
			iw := lipgloss.Width(it) + 2
			if used+iw > w-2 {
				parts = append(parts, st.dim.Render("…"))
				break
			}
			used += iw
			parts = append(parts, txt)
		}
		return strings.Join(parts, "  ")
	}
	if s.qerr != nil {
		prompt := lipgloss.Width(s.input.Prompt)
		if _, caret, ok := caretLine(s.errQuery, s.qerr); ok && s.errQuery == strings.TrimSpace(s.input.Value()) {
			off := prompt + len([]rune(caret)) - 1
			return truncate(strings.Repeat(" ", off)+st.errText.Render("^ "+s.qerr.Msg), w)
		}
		return st.errText.Render(truncate("✗ "+s.qerr.Msg, w))
	}
	if s.mode == inputQuery {
		return st.dim.Render(truncate("enter: run · tab: complete · ↑/↓: history · esc: results", w))
	}
	return ""
}

func (s *searchScreen) status() string {
	st := s.m.st
	if s.err != nil {
		return st.errText.Render(truncate("✗ "+s.err.Error(), s.m.width))
	}
	if !s.searched || s.searching {
		// Earlier results stay on screen until the new ones arrive.
		return s.m.statusLine(st.dim.Render(truncate("searching "+s.m.rng.Label(s.m.loc)+"…", s.m.width)))
	}
	if s.warn != nil {
		return s.m.statusLine(st.warn.Render(truncate(fmt.Sprintf("%d traces · ⚠ %v", len(s.results), s.warn), s.m.width)))
	}
	parts := []string{fmt.Sprintf("%d traces", len(s.results))}
	if s.metrics.InspectedBytes > 0 {
		parts = append(parts, humanBytes(s.metrics.InspectedBytes)+" inspected")
	}
	parts = append(parts, "took "+formatDuration(int64(s.took)))
	dir := "↑"
	if s.desc {
		dir = "↓"
	}
	parts = append(parts, "sort: "+sortNames[s.sortBy]+" "+dir)
	return s.m.statusLine(st.dim.Render(strings.Join(parts, " · ")))
}

func (s *searchScreen) legend() string {
	k := s.m.keys
	if s.mode == inputQuery {
		return s.m.legend(k.Run, k.Complete, k.History, k.Leave)
	}
	return s.m.legend(k.Open, k.Search, k.Sort, k.Range, k.Copy, k.Help, k.Quit)
}
