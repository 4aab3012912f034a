package tui

import (
	"errors"
	"fmt"
	"testing"

	"github.com/tempoctl/tempoctl/traceql"
)

func TestQueryErrors(t *testing.T) {
	_, perr := traceql.Parse("{ .a = }")
	for _, tc := range []struct {
		name      string
		err       error
		line, col int
		isQuery   bool
	}{
		{"parse error from the engine", perr, 1, 5, true},
		{"wrapped", fmt.Errorf("search: %w", perr), 1, 5, true},
		{"server text", queryErrorFromText("invalid TraceQL query: parse error at line 1, col 9: syntax error: unexpected }"), 1, 9, true},
		{"metrics query", traceql.ErrMetricsQuery, 0, 0, true},
		{"not a query error", errors.New("connection refused"), 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qe := asQueryError(tc.err)
			if (qe != nil) != tc.isQuery {
				t.Fatalf("asQueryError = %v", qe)
			}
			if qe != nil && (qe.Line != tc.line || qe.Col != tc.col) {
				t.Errorf("position %d:%d, want %d:%d", qe.Line, qe.Col, tc.line, tc.col)
			}
		})
	}
	line, caret, ok := caretLine("{ .a = }", &QueryError{Line: 1, Col: 8})
	if !ok || line != "{ .a = }" || caret != "       ^" {
		t.Errorf("caret %q under %q", caret, line)
	}
	if _, _, ok := caretLine("{}", &QueryError{Line: 2, Col: 1}); ok {
		t.Error("a line past the query has no caret")
	}
	if _, caret, _ := caretLine("{}", &QueryError{Line: 1, Col: 40}); caret != "  ^" {
		t.Errorf("a column past the end is clamped, got %q", caret)
	}
}
