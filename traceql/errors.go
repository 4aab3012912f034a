package traceql

import "fmt"

// ParseError is a syntax error with its position.
type ParseError struct {
	Pos Pos
	Msg string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("parse error at line %d, col %d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
}

// ValidationError is a well-formed query that cannot be run. The message
// matches Tempo's wording; Pos locates the offending expression.
type ValidationError struct {
	Pos Pos
	Msg string
}

func (e *ValidationError) Error() string { return e.Msg }

func verrf(p Pos, format string, args ...any) error {
	return &ValidationError{Pos: p, Msg: fmt.Sprintf(format, args...)}
}
