package tui

import (
	"sort"
	"strings"
)

// completion is what may replace the word before the cursor in a TraceQL
// query: attribute names after "{", "&&" and the like, values after a
// comparison operator.
type completion struct {
	start, end int    // rune range that an item replaces
	prefix     string // the text typed so far in that range
	tag        string // for values: the attribute being compared
	values     bool
	items      []string
}

func isAttrRune(r rune) bool {
	return r == '.' || r == '_' || r == ':' || r == '-' || r == '/' ||
		(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
}

// openQuote returns the index of the quote that opens the string literal the
// cursor is in, or -1 when the cursor is outside strings.
func openQuote(rs []rune, cursor int) int {
	open := -1
	for i := 0; i < cursor && i < len(rs); i++ {
		switch {
		case rs[i] == '\\' && open >= 0:
			i++
		case rs[i] == '"' && open < 0:
			open = i
		case rs[i] == '"':
			open = -1
		}
	}
	return open
}

// operatorBefore checks that rs[:i] ends (after spaces) with a comparison
// operator and an attribute, and returns the attribute.
func operatorBefore(rs []rune, i int) (string, bool) {
	for i > 0 && rs[i-1] == ' ' {
		i--
	}
	if i == 0 {
		return "", false
	}
	switch {
	case i >= 2 && (string(rs[i-2:i]) == "!=" || string(rs[i-2:i]) == "=~" || string(rs[i-2:i]) == "!~" ||
		string(rs[i-2:i]) == "<=" || string(rs[i-2:i]) == ">="):
		i -= 2
	case rs[i-1] == '=' || rs[i-1] == '<' || rs[i-1] == '>':
		i--
	default:
		return "", false
	}
	for i > 0 && rs[i-1] == ' ' {
		i--
	}
	end := i
	for i > 0 && isAttrRune(rs[i-1]) {
		i--
	}
	if i == end {
		return "", false
	}
	return string(rs[i:end]), true
}

// completeAt works out the completion at cursor (a rune offset). names are
// the known attribute names; values returns the literals known for a tag
// and false when they still have to be fetched (then items is empty and tag
// says which to fetch).
func completeAt(text string, cursor int, names []string, values func(tag string) ([]string, bool)) completion {
	rs := []rune(text)
	cursor = min(max(cursor, 0), len(rs))
	if q := openQuote(rs, cursor); q >= 0 {
		tag, ok := operatorBefore(rs, q)
		if !ok {
			return completion{}
		}
		c := completion{start: q, end: cursor, prefix: string(rs[q:cursor]), tag: tag, values: true}
		c.items = matchValues(c.prefix, values, tag)
		return c
	}
	start := cursor
	for start > 0 && isAttrRune(rs[start-1]) {
		start--
	}
	word := string(rs[start:cursor])
	if tag, ok := operatorBefore(rs, start); ok {
		c := completion{start: start, end: cursor, prefix: word, tag: tag, values: true}
		c.items = matchValues(word, values, tag)
		return c
	}
	// Names are offered inside a spanset filter, after an opening brace,
	// parenthesis or a boolean operator.
	i := start
	for i > 0 && rs[i-1] == ' ' {
		i--
	}
	if i == 0 || !strings.ContainsRune("{(&|,!", rs[i-1]) {
		return completion{}
	}
	c := completion{start: start, end: cursor, prefix: word}
	c.items = matchNames(word, names)
	return c
}

// matchNames finds names starting with prefix. An unscoped ".x" prefix
// matches any scope's "x" and completes in the unscoped form; a bare "x"
// matches scoped names too ("http" finds "span.http.method").
func matchNames(prefix string, names []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] && s != prefix {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, n := range names {
		rest := n
		if i := strings.IndexByte(n, '.'); i > 0 {
			rest = n[i:] // ".http.method"
		}
		switch {
		case strings.HasPrefix(n, prefix):
			add(n)
		case strings.HasPrefix(prefix, ".") && strings.HasPrefix(rest, prefix):
			add(rest)
		case prefix != "" && !strings.HasPrefix(prefix, ".") && strings.HasPrefix(rest, "."+prefix):
			add(n)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return len(out[i]) < len(out[j]) || (len(out[i]) == len(out[j]) && out[i] < out[j])
	})
	return out
}

func matchValues(prefix string, values func(string) ([]string, bool), tag string) []string {
	vs, ok := values(tag)
	if !ok {
		return nil
	}
	var out []string
	for _, v := range vs {
		if v == prefix {
			continue
		}
		if strings.HasPrefix(v, prefix) || (!strings.HasPrefix(prefix, `"`) && strings.HasPrefix(v, `"`+prefix)) {
			out = append(out, v)
		}
	}
	return out
}

// apply replaces the completion's range with item and returns the new text
// and the cursor after the inserted item.
func (c completion) apply(text, item string) (string, int) {
	rs := []rune(text)
	start, end := min(c.start, len(rs)), min(c.end, len(rs))
	// Inside a string literal, swallow the closing quote the user already has.
	if c.values && strings.HasSuffix(item, `"`) && end < len(rs) && rs[end] == '"' {
		end++
	}
	out := string(rs[:start]) + item + string(rs[end:])
	return out, start + len([]rune(item))
}
