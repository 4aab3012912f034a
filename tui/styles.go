package tui

import (
	"hash/fnv"
	"image/color"

	"charm.land/lipgloss/v2"
)

// styles holds every lipgloss style of the TUI. Meaning never rests on
// colour alone: errors carry "!", the critical path "◆" and full blocks
// against shaded ones, the selection is reverse video, so the screens stay
// readable with NO_COLOR (where the renderer drops colours but keeps
// bold/reverse) and on light or dark backgrounds (palettes below).
type styles struct {
	title, dim, bold, selected, header, errText, warn, ok, key, critical, box, focus lipgloss.Style
	services                                                                         []color.Color
}

func newStyles(dark bool) styles {
	ld := lipgloss.LightDark(dark)
	fg := ld(lipgloss.Color("#1a1a1a"), lipgloss.Color("#e6e6e6"))
	dim := ld(lipgloss.Color("#6b6b6b"), lipgloss.Color("#8a8a8a"))
	accent := ld(lipgloss.Color("#005f87"), lipgloss.Color("#5fafd7"))
	red := ld(lipgloss.Color("#b00020"), lipgloss.Color("#ff5f5f"))
	amber := ld(lipgloss.Color("#8a5a00"), lipgloss.Color("#ffaf00"))
	green := ld(lipgloss.Color("#1b6e20"), lipgloss.Color("#87d787"))
	s := styles{
		title:    lipgloss.NewStyle().Bold(true).Foreground(accent),
		dim:      lipgloss.NewStyle().Foreground(dim),
		bold:     lipgloss.NewStyle().Bold(true).Foreground(fg),
		selected: lipgloss.NewStyle().Reverse(true),
		header:   lipgloss.NewStyle().Bold(true),
		errText:  lipgloss.NewStyle().Foreground(red).Bold(true),
		warn:     lipgloss.NewStyle().Foreground(amber),
		ok:       lipgloss.NewStyle().Foreground(green),
		key:      lipgloss.NewStyle().Bold(true).Foreground(accent),
		critical: lipgloss.NewStyle().Foreground(amber).Bold(true),
		box:      lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(accent).Padding(0, 1),
		focus:    lipgloss.NewStyle().Bold(true).Foreground(accent),
	}
	// Service colours: mid-tone hues that read on both backgrounds, darker
	// variants on light terminals.
	if dark {
		s.services = hexColors("#5fafd7", "#87d787", "#d7af5f", "#d787d7", "#5fd7d7", "#ff8787", "#afafff", "#d7d787")
	} else {
		s.services = hexColors("#005f87", "#2e7d32", "#8a5a00", "#8e24aa", "#00796b", "#c62828", "#3949ab", "#6d6d00")
	}
	return s
}

func hexColors(hex ...string) []color.Color {
	out := make([]color.Color, len(hex))
	for i, h := range hex {
		out[i] = lipgloss.Color(h)
	}
	return out
}

// service returns the stable colour style of a service name.
func (s styles) service(name string) lipgloss.Style {
	h := fnv.New32a()
	h.Write([]byte(name))
	return lipgloss.NewStyle().Foreground(s.services[h.Sum32()%uint32(len(s.services))])
}
