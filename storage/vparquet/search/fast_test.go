package search

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tempoctl/tempoctl/traceql"
)

// TestIntTestAgreesWithMatchValue: the integer fast path must answer
// exactly as the engine's MatchValue for every column type, operator and
// operand type.
func TestIntTestAgreesWithMatchValue(t *testing.T) {
	ops := []traceql.Operator{traceql.OpEqual, traceql.OpNotEqual, traceql.OpLess, traceql.OpLessEqual,
		traceql.OpGreater, traceql.OpGreaterEqual, traceql.OpRegex, traceql.OpNotRegex}
	operands := []traceql.Static{
		traceql.NewInt(0), traceql.NewInt(5), traceql.NewInt(-3), traceql.NewInt(math.MaxInt64),
		traceql.NewFloat(5), traceql.NewFloat(4.5), traceql.NewFloat(math.NaN()),
		traceql.Static{Type: traceql.TypeDuration, N: 5}, traceql.Static{Type: traceql.TypeDuration, N: 100e6},
		traceql.NewStatus(2), traceql.NewKind(2), traceql.NewString("5"), traceql.NewBool(true),
	}
	values := []int64{0, 1, 2, 4, 5, 6, -3, -4, 100e6, 100e6 + 1, math.MaxInt64, math.MinInt64}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 50; i++ {
		values = append(values, r.Int64N(200e6)-100e6)
	}
	for _, typ := range []traceql.StaticType{traceql.TypeInt, traceql.TypeDuration, traceql.TypeStatus, traceql.TypeKind} {
		for _, op := range ops {
			for _, x := range operands {
				if (op == traceql.OpRegex || op == traceql.OpNotRegex) && x.Type != traceql.TypeString {
					continue
				}
				cond := &traceql.Condition{Op: op, Operands: []traceql.Static{x}}
				fast := intTest(cond, typ)
				if fast == nil {
					continue
				}
				for _, n := range values {
					want := cond.MatchValue(traceql.Static{Type: typ, N: n})
					if got := fast(n); got != want {
						t.Errorf("%s column %d %s %s: fast %v, MatchValue %v", typ, n, op, x, got, want)
					}
				}
			}
		}
	}
}
