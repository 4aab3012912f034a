package traceql

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Pos is a position in the query text. Line is 1-based; Col follows
// Tempo's numbering (spec/traceql.md §10, docs/traceql.md): the 0-based
// column, in runes, of the offending text, except that a syntax error
// ("unexpected X") reports the token before X.
type Pos struct {
	Line, Col int
}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tAttr    // scoped or unscoped attribute; text = canonical, attr set
	tString  // string literal; text = unquoted value
	tInt     // integer literal
	tFloat   // float literal
	tDur     // duration literal
	tPunct   // operator / punctuation; text = the operator
	tIntrins // intrinsic like span:name
)

type token struct {
	kind tokKind
	text string // raw text for idents/punct; decoded for strings
	raw  string // source text
	pos  Pos
	off  int
	attr Attribute
	ival int64
	fval float64
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tString:
		return strconv.Quote(t.text)
	}
	return t.raw
}

// lexer splits the whole query up front; queries are small.
type lexer struct {
	src  string
	i    int
	line int
	col  int // 0-based column of i
	toks []token
}

func lex(src string) ([]token, error) {
	l := &lexer{src: src, line: 1}
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		l.toks = append(l.toks, t)
		if t.kind == tEOF {
			return l.toks, nil
		}
	}
}

func (l *lexer) errf(p Pos, format string, args ...any) error {
	return &ParseError{Pos: p, Msg: fmt.Sprintf(format, args...)}
}

func (l *lexer) advance(n int) {
	for k := 0; k < n && l.i < len(l.src); k++ {
		if l.src[l.i] == '\n' {
			l.line++
			l.col = 0
		} else if l.src[l.i] < utf8.RuneSelf || utf8.RuneStart(l.src[l.i]) {
			l.col++
		}
		l.i++
	}
}

func (l *lexer) pos() Pos { return Pos{Line: l.line, Col: l.col} }

func (l *lexer) skipSpace() error {
	for l.i < len(l.src) {
		c := l.src[l.i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			l.advance(1)
		case strings.HasPrefix(l.src[l.i:], "//"):
			for l.i < len(l.src) && l.src[l.i] != '\n' {
				l.advance(1)
			}
		case strings.HasPrefix(l.src[l.i:], "/*"):
			p := l.pos()
			end := strings.Index(l.src[l.i+2:], "*/")
			if end < 0 {
				return l.errf(p, "comment not terminated")
			}
			l.advance(end + 4)
		default:
			return nil
		}
	}
	return nil
}

// operators, longest first.
var puncts = []string{
	"!>>", "!<<", "&>>", "&<<",
	"&&", "||", "==", "!=", "<=", ">=", "=~", "!~", ">>", "<<", "!>", "!<", "&>", "&<", "&~",
	"{", "}", "(", ")", "=", "<", ">", "~", "!", "|", "+", "-", "*", "/", "%", "^", ",",
}

// attribute name terminators (spec §1).
func isNameTerm(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '{', '}', '(', ')', '=', '~', '!', '<', '>', '&', '|', '^', ',':
		return true
	}
	return false
}

var scopePrefixes = []struct {
	prefix string
	scope  Scope
}{
	{"span.", ScopeSpan}, {"resource.", ScopeResource}, {"event.", ScopeEvent},
	{"link.", ScopeLink}, {"instrumentation.", ScopeInstrumentation}, {"parent.", ScopeParent},
}

func (l *lexer) next() (token, error) {
	if err := l.skipSpace(); err != nil {
		return token{}, err
	}
	p, start := l.pos(), l.i
	if l.i >= len(l.src) {
		return token{kind: tEOF, pos: p, off: l.i}, nil
	}
	rest := l.src[l.i:]
	c := rest[0]

	// scoped attributes
	for _, sp := range scopePrefixes {
		if strings.HasPrefix(rest, sp.prefix) && len(rest) > len(sp.prefix) && !isNameTerm(rest[len(sp.prefix)]) {
			l.advance(len(sp.prefix))
			name, err := l.attrName()
			if err != nil {
				return token{}, err
			}
			return token{kind: tAttr, pos: p, off: start, raw: l.src[start:l.i], attr: Attribute{Scope: sp.scope, Name: name}}, nil
		}
	}
	if c == '.' && len(rest) > 1 && !(rest[1] >= '0' && rest[1] <= '9') && !isNameTerm(rest[1]) {
		l.advance(1)
		name, err := l.attrName()
		if err != nil {
			return token{}, err
		}
		return token{kind: tAttr, pos: p, off: start, raw: l.src[start:l.i], attr: Attribute{Scope: ScopeNone, Name: name}}, nil
	}
	switch {
	case c == '"':
		return l.quoted(p, start)
	case c == '`':
		end := strings.IndexByte(rest[1:], '`')
		if end < 0 {
			return token{}, l.errf(p, "literal not terminated")
		}
		l.advance(end + 2)
		return token{kind: tString, pos: p, off: start, raw: l.src[start:l.i], text: rest[1 : end+1]}, nil
	case c == '\'':
		return token{}, l.errf(p, "invalid char literal")
	case isDigit(c) || (c == '.' && len(rest) > 1 && isDigit(rest[1])):
		return l.number(p, start)
	case isIdentStart(c):
		j := 0
		for j < len(rest) && (isIdentChar(rest[j]) || rest[j] == ':') {
			j++
		}
		word := rest[:j]
		l.advance(j)
		if strings.Contains(word, ":") {
			return token{kind: tIntrins, pos: p, off: start, raw: word, text: word}, nil
		}
		return token{kind: tIdent, pos: p, off: start, raw: word, text: word}, nil
	}
	for _, op := range puncts {
		if strings.HasPrefix(rest, op) {
			l.advance(len(op))
			return token{kind: tPunct, pos: p, off: start, raw: op, text: op}, nil
		}
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return token{}, l.errf(p, "syntax error: unexpected character %q", r)
}

// attrName reads an attribute name after its scope prefix: up to a
// terminator, with "…" segments that may hold any character.
func (l *lexer) attrName() (string, error) {
	var b strings.Builder
	for l.i < len(l.src) {
		c := l.src[l.i]
		if c == '"' {
			p := l.pos()
			l.advance(1)
			closed := false
			for l.i < len(l.src) {
				c := l.src[l.i]
				if c == '\\' {
					if l.i+1 < len(l.src) && (l.src[l.i+1] == '"' || l.src[l.i+1] == '\\') {
						b.WriteByte(l.src[l.i+1])
						l.advance(2)
						continue
					}
					return "", l.errf(p, "invalid escape in quoted attribute name")
				}
				if c == '"' {
					l.advance(1)
					closed = true
					break
				}
				b.WriteByte(c)
				l.advance(1)
			}
			if !closed {
				return "", l.errf(p, "quoted attribute name not terminated")
			}
			continue
		}
		if isNameTerm(c) {
			break
		}
		b.WriteByte(c)
		l.advance(1)
	}
	if b.Len() == 0 {
		return "", l.errf(l.pos(), "syntax error: empty attribute name")
	}
	return b.String(), nil
}

func (l *lexer) quoted(p Pos, start int) (token, error) {
	j := 1
	rest := l.src[l.i:]
	for j < len(rest) {
		if rest[j] == '\\' {
			j += 2
			continue
		}
		if rest[j] == '"' || rest[j] == '\n' {
			break
		}
		j++
	}
	if j >= len(rest) || rest[j] != '"' {
		return token{}, l.errf(p, "literal not terminated")
	}
	raw := rest[:j+1]
	s, err := strconv.Unquote(raw)
	if err != nil {
		return token{}, l.errf(p, "invalid string literal %s: %v", raw, err)
	}
	l.advance(j + 1)
	return token{kind: tString, pos: p, off: start, raw: raw, text: s}, nil
}

func (l *lexer) number(p Pos, start int) (token, error) {
	rest := l.src[l.i:]
	j := 0
	for j < len(rest) && (isDigit(rest[j]) || rest[j] == '.' || isLetter(rest[j]) || rest[j] == 0xc2 || rest[j] == 0xb5 ||
		((rest[j] == '-' || rest[j] == '+') && j > 0 && (rest[j-1] == 'e' || rest[j-1] == 'E') && !hasUnitBefore(rest[:j-1]))) {
		j++
	}
	raw := rest[:j]
	l.advance(j)
	tok := token{pos: p, off: start, raw: raw, text: raw}
	// plain integer
	if allDigits(raw) {
		v, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return token{}, l.errf(p, "integer out of range: %s", raw)
		}
		tok.kind, tok.ival = tInt, v
		return tok, nil
	}
	if f, err := strconv.ParseFloat(raw, 64); err == nil && !strings.ContainsAny(raw, "xXpPnN_") && raw != "" {
		tok.kind, tok.fval = tFloat, f
		return tok, nil
	}
	if d, ok := parseDuration(raw); ok {
		tok.kind, tok.ival = tDur, d
		return tok, nil
	}
	return token{}, l.errf(p, "syntax error: invalid number or duration %q", raw)
}

// hasUnitBefore reports whether s contains letters (so "1e" in "1ms" style
// units is not an exponent).
func hasUnitBefore(s string) bool {
	for i := 0; i < len(s); i++ {
		if isLetter(s[i]) {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isLetter(c byte) bool     { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isIdentStart(c byte) bool { return isLetter(c) || c == '_' }
func isIdentChar(c byte) bool  { return isLetter(c) || isDigit(c) || c == '_' }
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

var _ = unicode.IsLetter
