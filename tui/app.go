package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/traceql"
)

// Options configure a TUI session.
type Options struct {
	Source Source
	// Query is the first search, run at start without a keypress ("{}" when empty).
	Query string
	Range TimeRange
	// Limit is the number of traces a search returns (20 when 0).
	Limit int
	// Trace, when set, opens that trace at start (the search stays beneath it).
	Trace *model.TraceID
	// Live polls the search every LiveEvery (5s when 0) and merges new traces.
	Live      bool
	LiveEvery time.Duration
	// History holds earlier queries, oldest first; SaveHistory (optional)
	// persists the list after each new query. It runs in a tea.Cmd.
	History     []string
	SaveHistory func([]string) error
	// Now and Location make tests deterministic (time.Now and time.Local when nil).
	Now      func() time.Time
	Location *time.Location
	// Timeout bounds one request to the source (2 minutes when 0).
	Timeout time.Duration
}

// screen identifies what is shown; the stack in Model says what esc returns to.
type screen int

const (
	screenSearch screen = iota
	screenTrace
	screenSpan
)

// Model is the root bubbletea model: it owns the shared state (source,
// size, styles, range) and routes messages to the current screen.
type Model struct {
	opts   Options
	src    Source
	keys   keyMap
	st     styles
	dark   bool
	width  int
	height int
	now    func() time.Time
	loc    *time.Location
	ctx    context.Context
	cancel context.CancelFunc

	stack []screen
	rng   TimeRange
	// custom is the absolute window given on the command line, kept so the
	// range presets can cycle back to it.
	custom *TimeRange

	search *searchScreen
	trace  *traceScreen
	span   *spanScreen

	help     bool
	spin     spinner.Model
	spinning bool
	loading  int // requests in flight

	notice   string
	noticeID int
	liveGen  int
	quitting bool
}

// New builds the root model.
func New(opts Options) *Model {
	if opts.Limit <= 0 {
		opts.Limit = 20
	}
	if opts.LiveEvery <= 0 {
		opts.LiveEvery = 5 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Minute
	}
	if strings.TrimSpace(opts.Query) == "" {
		opts.Query = "{}"
	}
	m := &Model{
		opts: opts,
		src:  opts.Source,
		keys: newKeyMap(),
		dark: true,
		now:  opts.Now,
		loc:  opts.Location,
		rng:  opts.Range,
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.loc == nil {
		m.loc = time.Local
	}
	if m.rng == (TimeRange{}) {
		m.rng = TimeRange{Last: time.Hour}
	}
	if m.rng.custom() {
		c := m.rng
		m.custom = &c
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.st = newStyles(m.dark)
	m.spin = spinner.New(spinner.WithSpinner(spinner.Dot))
	m.search = newSearchScreen(m, opts.Query, opts.History)
	m.trace = &traceScreen{}
	m.span = &spanScreen{}
	m.stack = []screen{screenSearch}
	return m
}

// Run starts the program on the terminal and blocks until the user quits.
func Run(ctx context.Context, opts Options, progOpts ...tea.ProgramOption) error {
	m := New(opts)
	defer m.cancel()
	p := tea.NewProgram(m, append([]tea.ProgramOption{tea.WithContext(ctx)}, progOpts...)...)
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}

func (m *Model) current() screen { return m.stack[len(m.stack)-1] }

func (m *Model) push(s screen) {
	if m.current() != s {
		m.stack = append(m.stack, s)
	}
}

func (m *Model) pop() {
	if len(m.stack) > 1 {
		m.stack = m.stack[:len(m.stack)-1]
	}
}

// Init starts the first search (and the trace given with --trace) at once.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor, m.search.run(false), m.fetchTags()}
	if m.opts.Trace != nil {
		cmds = append(cmds, m.openTrace(*m.opts.Trace, ""))
	}
	if m.opts.Live {
		cmds = append(cmds, m.liveTick())
	}
	return tea.Batch(cmds...)
}

// Messages produced by commands.
type (
	searchDoneMsg struct {
		seq   int
		resp  *traceql.SearchResponse
		err   error
		took  time.Duration
		live  bool
		query string
	}
	traceDoneMsg struct {
		seq  int
		id   model.TraceID
		td   ptrace.Traces
		err  error
		took time.Duration
		span string // span ID to select once loaded (links)
	}
	tagsDoneMsg struct {
		names []string
		err   error
	}
	tagValuesDoneMsg struct {
		tag    string
		values []string
		err    error
	}
	liveTickMsg  struct{ gen int }
	clearNotice  struct{ id int }
	historySaved struct{ err error }
)

// startLoading counts a request in flight and starts the spinner if needed.
func (m *Model) startLoading() tea.Cmd {
	m.loading++
	if m.spinning {
		return nil
	}
	m.spinning = true
	return m.spin.Tick
}

func (m *Model) doneLoading() {
	if m.loading > 0 {
		m.loading--
	}
}

func (m *Model) requestCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(m.ctx, m.opts.Timeout)
}

// openTrace fetches a trace and shows the trace screen once it arrives.
func (m *Model) openTrace(id model.TraceID, spanID string) tea.Cmd {
	seq := m.trace.begin(id)
	m.push(screenTrace)
	src := m.src
	ctx, cancel := m.requestCtx()
	now := m.now
	return tea.Batch(m.startLoading(), func() tea.Msg {
		defer cancel()
		t0 := now()
		td, err := src.Trace(ctx, id)
		return traceDoneMsg{seq: seq, id: id, td: td, err: err, took: now().Sub(t0), span: spanID}
	})
}

func (m *Model) fetchTags() tea.Cmd {
	src := m.src
	start, end := m.rng.Bounds(m.now())
	ctx, cancel := m.requestCtx()
	return func() tea.Msg {
		defer cancel()
		names, err := src.Tags(ctx, start, end)
		return tagsDoneMsg{names: names, err: err}
	}
}

func (m *Model) fetchTagValues(tag string) tea.Cmd {
	src := m.src
	start, end := m.rng.Bounds(m.now())
	ctx, cancel := m.requestCtx()
	return func() tea.Msg {
		defer cancel()
		vs, err := src.TagValues(ctx, tag, start, end)
		return tagValuesDoneMsg{tag: tag, values: vs, err: err}
	}
}

func (m *Model) liveTick() tea.Cmd {
	gen := m.liveGen
	return tea.Tick(m.opts.LiveEvery, func(time.Time) tea.Msg { return liveTickMsg{gen: gen} })
}

// notify shows a short message on the status line for a few seconds.
func (m *Model) notify(format string, args ...any) tea.Cmd {
	m.noticeID++
	id := m.noticeID
	m.notice = fmt.Sprintf(format, args...)
	return tea.Tick(4*time.Second, func(time.Time) tea.Msg { return clearNotice{id: id} })
}

// Update routes a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.search.resize()
		if m.trace.have {
			m.trace.clamp(m) // keep the selected span on screen
		}
		m.span.resize(m)
		return m, nil
	case tea.BackgroundColorMsg:
		m.dark = msg.IsDark()
		m.st = newStyles(m.dark)
		m.search.restyle()
		m.span.resize(m) // its content was rendered with the old palette
		return m, nil
	case spinner.TickMsg:
		if m.loading == 0 {
			m.spinning = false
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case searchDoneMsg:
		m.doneLoading()
		return m, m.search.done(msg)
	case traceDoneMsg:
		m.doneLoading()
		return m, m.trace.done(m, msg)
	case linkDoneMsg:
		return m, m.linkDone(msg)
	case tagsDoneMsg:
		m.search.tagsDone(msg)
		return m, nil
	case tagValuesDoneMsg:
		return m, m.search.tagValuesDone(msg)
	case liveTickMsg:
		if msg.gen != m.liveGen || !m.opts.Live {
			return m, nil
		}
		return m, tea.Batch(m.search.run(true), m.liveTick())
	case clearNotice:
		if msg.id == m.noticeID {
			m.notice = ""
		}
		return m, nil
	case historySaved:
		if msg.err != nil {
			return m, m.notify("history not saved: %v", msg.err)
		}
		return m, nil
	case tea.MouseWheelMsg:
		return m, m.wheel(msg)
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	// Anything else (cursor blinks, pastes) goes to the search input.
	if m.current() == screenSearch {
		return m, m.search.other(msg)
	}
	return m, nil
}

func (m *Model) wheel(msg tea.MouseWheelMsg) tea.Cmd {
	delta := 0
	switch msg.Button {
	case tea.MouseWheelUp:
		delta = -3
	case tea.MouseWheelDown:
		delta = 3
	}
	if delta == 0 || m.help {
		return nil
	}
	switch m.current() {
	case screenSearch:
		m.search.move(delta)
	case screenTrace:
		m.trace.move(m, delta)
	case screenSpan:
		m.span.scroll(delta)
	}
	return nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if m.help {
		// Any key closes the help; q still quits.
		m.help = false
		if msg.String() == "q" {
			return m.quit()
		}
		return nil
	}
	// While typing, keys belong to the input.
	if m.current() == screenSearch && m.search.typing() {
		return m.search.typingKey(msg)
	}
	switch {
	case key.Matches(msg, m.keys.Quit):
		return m.quit()
	case key.Matches(msg, m.keys.Help):
		m.help = true
		return nil
	case key.Matches(msg, m.keys.Back):
		if m.current() == screenSearch {
			return nil
		}
		m.pop()
		return nil
	case key.Matches(msg, m.keys.Search):
		m.stack = m.stack[:1]
		return m.search.focusInput()
	case key.Matches(msg, m.keys.Copy):
		if id, ok := m.currentTraceID(); ok {
			return tea.Batch(tea.SetClipboard(id), m.notify("copied trace ID %s", id))
		}
		return nil
	}
	switch m.current() {
	case screenSearch:
		return m.search.key(msg)
	case screenTrace:
		return m.trace.key(m, msg)
	case screenSpan:
		return m.span.key(m, msg)
	}
	return nil
}

// currentTraceID is the trace open, or the one selected in the results.
func (m *Model) currentTraceID() (string, bool) {
	if m.current() != screenSearch && m.trace.loaded() {
		return m.trace.info.id.String(), true
	}
	if t := m.search.selected(); t != nil {
		id, err := model.ParseTraceID(t.TraceID)
		if err == nil {
			return id.String(), true
		}
	}
	return "", false
}

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	m.cancel()
	return tea.Quit
}

// View renders the current screen, and the help over it.
func (m *Model) View() tea.View {
	var v tea.View
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "tempoctl tui"
	if m.width <= 0 || m.height <= 0 || m.quitting {
		return v
	}
	var body string
	switch m.current() {
	case screenSearch:
		body = m.search.view()
		if c := m.search.cursor(); c != nil && !m.help {
			v.Cursor = c
		}
	case screenTrace:
		body = m.trace.view(m)
	case screenSpan:
		body = m.span.view(m)
	}
	body = fitScreen(body, m.width, m.height)
	if m.help {
		body = overlay(body, m.helpView(), m.width, m.height)
	}
	v.SetContent(body)
	return v
}

// titleBar is the first line of every screen: what is browsed, the range,
// live state and the spinner.
func (m *Model) titleBar() string {
	left := m.st.title.Render("tempoctl") + " " + m.st.dim.Render(m.src.Name())
	right := m.rng.Label(m.loc)
	if m.opts.Live {
		right = "● live " + shortDuration(m.opts.LiveEvery) + " · " + right
	}
	if m.loading > 0 {
		right = m.spin.View() + " " + right
	}
	return spread(left, right, m.width)
}

// statusLine shows a notice if any, otherwise the given text.
func (m *Model) statusLine(text string) string {
	if m.notice != "" {
		return m.st.warn.Render(truncate(m.notice, m.width))
	}
	return truncate(text, m.width)
}
