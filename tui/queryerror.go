package tui

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/tempoctl/tempoctl/traceql"
)

// QueryError is a TraceQL error the search screen shows under the input,
// with a caret at Col when the position is known (Line and Col are 1-based,
// 0 when unknown).
type QueryError struct {
	Msg       string
	Line, Col int
}

func (e *QueryError) Error() string { return e.Msg }

// posInMessage finds Tempo's "line N, col M" in an error text: the only
// place a server's 400 answer carries the position.
var posInMessage = regexp.MustCompile(`line (\d+), col (\d+)`)

// asQueryError turns a parse or validation error (from the engine, or the
// text of a server's 400 answer) into a QueryError. Other errors give nil.
func asQueryError(err error) *QueryError {
	if err == nil {
		return nil
	}
	var qe *QueryError
	if errors.As(err, &qe) {
		return qe
	}
	var pe *traceql.ParseError
	if errors.As(err, &pe) {
		return &QueryError{Msg: pe.Error(), Line: pe.Pos.Line, Col: pe.Pos.Col}
	}
	var ve *traceql.ValidationError
	if errors.As(err, &ve) {
		return &QueryError{Msg: ve.Error(), Line: ve.Pos.Line, Col: ve.Pos.Col}
	}
	if errors.Is(err, traceql.ErrMetricsQuery) {
		return &QueryError{Msg: err.Error()}
	}
	return nil
}

// queryErrorFromText parses a server's "invalid TraceQL query: ..." message.
func queryErrorFromText(msg string) *QueryError {
	msg = strings.TrimSpace(msg)
	qe := &QueryError{Msg: msg}
	if m := posInMessage.FindStringSubmatch(msg); m != nil {
		qe.Line, _ = strconv.Atoi(m[1])
		qe.Col, _ = strconv.Atoi(m[2])
	}
	return qe
}

// caretLine returns the query line the error points at and a line with a
// caret under the column, both ready to print; ok is false without a position.
func caretLine(query string, qe *QueryError) (line, caret string, ok bool) {
	if qe == nil || qe.Line <= 0 || qe.Col <= 0 {
		return "", "", false
	}
	lines := strings.Split(query, "\n")
	if qe.Line > len(lines) {
		return "", "", false
	}
	line = lines[qe.Line-1]
	col := qe.Col - 1
	if n := len([]rune(line)); col > n {
		col = n
	}
	return line, strings.Repeat(" ", col) + "^", true
}
