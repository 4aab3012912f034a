package tui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// legend is the one-line key legend at the bottom of a screen.
func (m *Model) legend(bindings ...key.Binding) string {
	h := help.New()
	h.Styles.ShortKey = m.st.key
	h.Styles.ShortDesc = m.st.dim
	h.Styles.ShortSeparator = m.st.dim
	h.Styles.Ellipsis = m.st.dim
	h.ShortSeparator = " · "
	h.SetWidth(m.width)
	return h.ShortHelpView(bindings)
}

// helpView is the help overlay: every binding, in titled groups laid out
// side by side when they fit, stacked in two columns otherwise, and on small
// terminals as wrapped "key desc" lists per group.
func (m *Model) helpView() string {
	var cols []string
	for _, g := range m.keys.helpGroups() {
		keyW := 0
		for _, b := range g.bindings {
			keyW = max(keyW, ansi.StringWidth(b.Help().Key))
		}
		lines := []string{m.st.header.Render(g.title)}
		for _, b := range g.bindings {
			lines = append(lines, m.st.key.Render(pad(b.Help().Key, keyW))+"  "+b.Help().Desc)
		}
		cols = append(cols, strings.Join(lines, "\n"))
	}
	gap := "   "
	title := m.st.title.Render("Keys") + m.st.dim.Render("  (any key closes)")
	fits := func(body string) bool {
		w, h := lipgloss.Size(body)
		return w+4 <= m.width && h+5 <= m.height // border, padding, title and a blank line
	}
	body := lipgloss.JoinHorizontal(lipgloss.Top, interleave(cols, gap)...)
	if !fits(body) {
		var rows []string
		for i := 0; i < len(cols); i += 2 {
			pair := cols[i:min(i+2, len(cols))]
			rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, interleave(pair, gap)...))
		}
		body = strings.Join(rows, "\n\n")
	}
	if !fits(body) {
		body = m.compactHelp(max(m.width-4, 10))
	}
	return m.st.box.Render(title + "\n\n" + body)
}

// compactHelp lists each group's bindings as wrapped "key desc" items.
func (m *Model) compactHelp(width int) string {
	var lines []string
	for _, g := range m.keys.helpGroups() {
		line := m.st.header.Render(g.title + ":")
		used := len(g.title) + 1
		for _, b := range g.bindings {
			item := b.Help().Key + " " + b.Help().Desc
			w := ansi.StringWidth(item) + 2
			if used+w > width {
				lines = append(lines, line)
				line, used = " ", 1
			}
			line += "  " + m.st.key.Render(b.Help().Key) + " " + b.Help().Desc
			used += w
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

func interleave(items []string, sep string) []string {
	var out []string
	for i, s := range items {
		if i > 0 {
			out = append(out, sep)
		}
		out = append(out, s)
	}
	return out
}

// overlay draws box centred over the screen bg.
func overlay(bg, box string, width, height int) string {
	c := lipgloss.NewCanvas(width, height)
	c.Compose(lipgloss.NewLayer(bg))
	bw, bh := lipgloss.Size(box)
	x, y := max((width-bw)/2, 0), max((height-bh)/2, 0)
	c.Compose(lipgloss.NewLayer(box).X(x).Y(y).Z(1))
	return c.Render()
}

// fitScreen cuts or pads a rendered screen to exactly height lines, each
// at most width cells, so a resize never leaves stale rows.
func fitScreen(s string, width, height int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > height {
		lines = lines[:height]
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > width {
			lines[i] = ansi.Truncate(l, width, "")
		}
	}
	for len(lines) < height {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// spread puts left and right on one line of width cells, cutting left first.
func spread(left, right string, width int) string {
	rw := ansi.StringWidth(right)
	if rw >= width {
		return truncate(right, width)
	}
	left = truncate(left, width-rw-1)
	gap := width - ansi.StringWidth(left) - rw
	return left + strings.Repeat(" ", max(gap, 1)) + right
}
