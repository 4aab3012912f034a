package traceql

import (
	"context"
	"errors"
	"testing"
)

// FuzzParse: any input either parses (and its printed form parses again) or
// fails with a positioned ParseError or a ValidationError — never a panic.
// Seeds: testdata/fuzz/FuzzParse (spec examples and error cases).
func FuzzParse(f *testing.F) {
	for _, q := range specExamples {
		f.Add(q)
	}
	a, b := synthetic()
	mem := NewMemoryFetcher(a, b)
	f.Fuzz(func(t *testing.T, q string) {
		r, err := Parse(q)
		if err != nil {
			var pe *ParseError
			var ve *ValidationError
			switch {
			case errors.As(err, &pe):
				if pe.Pos.Line < 1 || pe.Pos.Col < 0 || pe.Msg == "" {
					t.Fatalf("bad position/message: %+v", pe)
				}
			case errors.As(err, &ve):
				if ve.Msg == "" {
					t.Fatal("empty validation message")
				}
			default:
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		if _, err := Parse(r.String()); err != nil {
			t.Fatalf("printed form %q of %q does not parse: %v", r.String(), q, err)
		}
		if !r.IsMetrics() {
			// evaluation must not panic either; runtime errors are fine
			_, _ = NewEngine().ExecuteSearchExpr(context.Background(), r, mem, SearchOptions{})
		}
	})
}
