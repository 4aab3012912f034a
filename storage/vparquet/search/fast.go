package search

import "github.com/tempoctl/tempoctl/traceql"

// intTest compiles cond for integer columns read as type t into a plain
// integer test, or returns nil when it cannot (the generic MatchValue path
// is used then). It must agree with MatchValue on Static{Type: t, N: n}
// for every n; fast_test.go checks that.
func intTest(cond *traceql.Condition, t traceql.StaticType) func(int64) bool {
	if len(cond.Operands) != 1 {
		return nil
	}
	x := cond.Operands[0]
	never := func(int64) bool { return false }
	numeric := func(s traceql.StaticType) bool {
		return s == traceql.TypeInt || s == traceql.TypeFloat || s == traceql.TypeDuration
	}
	switch t {
	case traceql.TypeStatus, traceql.TypeKind:
		if x.Type != t {
			return never // no comparison across types
		}
		switch cond.Op {
		case traceql.OpEqual:
			return func(n int64) bool { return n == x.N }
		case traceql.OpNotEqual:
			return func(n int64) bool { return n != x.N }
		}
		return never // status and kind have no order
	case traceql.TypeInt, traceql.TypeDuration:
		if !numeric(x.Type) {
			return never
		}
		if x.Type == traceql.TypeFloat {
			f := x.F
			switch cond.Op {
			case traceql.OpEqual:
				return func(n int64) bool { return float64(n) == f }
			case traceql.OpNotEqual:
				return func(n int64) bool { return float64(n) != f }
			case traceql.OpLess:
				return func(n int64) bool { return float64(n) < f }
			case traceql.OpLessEqual:
				return func(n int64) bool { return float64(n) <= f }
			case traceql.OpGreater:
				return func(n int64) bool { return float64(n) > f }
			case traceql.OpGreaterEqual:
				return func(n int64) bool { return float64(n) >= f }
			}
			return nil
		}
		v := x.N
		switch cond.Op {
		case traceql.OpEqual:
			return func(n int64) bool { return n == v }
		case traceql.OpNotEqual:
			return func(n int64) bool { return n != v }
		case traceql.OpLess:
			return func(n int64) bool { return n < v }
		case traceql.OpLessEqual:
			return func(n int64) bool { return n <= v }
		case traceql.OpGreater:
			return func(n int64) bool { return n > v }
		case traceql.OpGreaterEqual:
			return func(n int64) bool { return n >= v }
		case traceql.OpRegex, traceql.OpNotRegex:
			return never
		}
	}
	return nil
}
