package tui

import "charm.land/bubbles/v2/key"

// keyMap is every binding of the TUI; the help overlay and the key legend
// are generated from it, so they cannot drift from what the keys do.
type keyMap struct {
	Up, Down, Top, Bottom, PageUp, PageDown key.Binding
	Open, Back, Search, Tab, Help, Quit     key.Binding
	Sort, Reverse, Range, CustomRange       key.Binding
	Refresh                                 key.Binding
	Collapse, Expand, Fold, CollapseAll     key.Binding
	ExpandAll, Critical, Copy               key.Binding
	// While typing a query.
	Run, History, Complete, NextCompletion, PrevCompletion, Leave key.Binding
}

func newKeyMap() keyMap {
	b := func(keys []string, help, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return keyMap{
		Up:          b([]string{"k", "up"}, "k/↑", "up"),
		Down:        b([]string{"j", "down"}, "j/↓", "down"),
		Top:         b([]string{"g", "home"}, "g", "first"),
		Bottom:      b([]string{"G", "end"}, "G", "last"),
		PageUp:      b([]string{"pgup", "ctrl+u"}, "pgup", "page up"),
		PageDown:    b([]string{"pgdown", "ctrl+d"}, "pgdn", "page down"),
		Open:        b([]string{"enter"}, "enter", "open"),
		Back:        b([]string{"esc", "backspace"}, "esc", "back"),
		Search:      b([]string{"/"}, "/", "search"),
		Tab:         b([]string{"tab"}, "tab", "switch pane"),
		Help:        b([]string{"?"}, "?", "help"),
		Quit:        b([]string{"q", "ctrl+c"}, "q", "quit"),
		Sort:        b([]string{"s"}, "s", "sort column"),
		Reverse:     b([]string{"S"}, "S", "reverse sort"),
		Range:       b([]string{"t"}, "t", "time range"),
		CustomRange: b([]string{"T"}, "T", "custom range"),
		Refresh:     b([]string{"r"}, "r", "refresh"),
		Collapse:    b([]string{"h", "left"}, "h/←", "collapse"),
		Expand:      b([]string{"l", "right"}, "l/→", "expand"),
		Fold:        b([]string{"space"}, "space", "collapse/expand"),
		CollapseAll: b([]string{"-"}, "-", "collapse all"),
		ExpandAll:   b([]string{"+", "="}, "+", "expand all"),
		Critical:    b([]string{"c"}, "c", "critical path"),
		Copy:        b([]string{"y"}, "y", "copy trace ID"),

		Run:            b([]string{"enter"}, "enter", "run query"),
		History:        b([]string{"up", "down"}, "↑/↓", "history"),
		Complete:       b([]string{"tab"}, "tab", "complete"),
		NextCompletion: b([]string{"ctrl+n"}, "ctrl+n", "next completion"),
		PrevCompletion: b([]string{"ctrl+p"}, "ctrl+p", "prev completion"),
		Leave:          b([]string{"esc"}, "esc", "leave input"),
	}
}

// helpGroups are the columns of the help overlay.
func (k keyMap) helpGroups() []helpGroup {
	return []helpGroup{
		{"Move", []key.Binding{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown}},
		{"Screens", []key.Binding{k.Open, k.Back, k.Search, k.Tab, k.Help, k.Quit}},
		{"Search", []key.Binding{k.Run, k.History, k.Complete, k.NextCompletion, k.Sort, k.Reverse, k.Range, k.CustomRange, k.Refresh}},
		{"Trace", []key.Binding{k.Fold, k.Collapse, k.Expand, k.CollapseAll, k.ExpandAll, k.Critical, k.Copy}},
	}
}

type helpGroup struct {
	title    string
	bindings []key.Binding
}
