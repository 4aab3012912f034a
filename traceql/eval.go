package traceql

import (
	"errors"
	"math"
	"strconv"
)

var errDivByZero = errors.New("evaluation error: division by zero")

// evaluator runs an AST over spansets; err records the first runtime error.
type evaluator struct {
	err error
}

func truthy(v Static) bool { return v.Type == TypeBoolean && v.B }

func (ev *evaluator) field(e FieldExpr, s Span) Static {
	switch x := e.(type) {
	case *Literal:
		return x.Static
	case *AttrRef:
		return s.AttributeFor(x.Attribute)
	case *UnaryOp:
		v := ev.field(x.Expr, s)
		if x.Op == OpNot {
			if v.Type != TypeBoolean {
				return Nil
			}
			return NewBool(!v.B)
		}
		if !v.Type.numeric() {
			return Nil
		}
		return negate(v)
	case *BinaryOp:
		switch x.Op {
		case OpAnd:
			if !truthy(ev.field(x.LHS, s)) {
				return NewBool(false)
			}
			return NewBool(truthy(ev.field(x.RHS, s)))
		case OpOr:
			if truthy(ev.field(x.LHS, s)) {
				return NewBool(true)
			}
			return NewBool(truthy(ev.field(x.RHS, s)))
		}
		l, r := ev.field(x.LHS, s), ev.field(x.RHS, s)
		if x.Op.isArithmetic() {
			return ev.arith(x.Op, l, r)
		}
		_, lnil := x.LHS.(*Literal)
		_, rnil := x.RHS.(*Literal)
		var re regexpMatcher
		if x.re != nil {
			re = x.re
		}
		return NewBool(compare(x.Op, l, r, re, lnil && l.IsNil() || rnil && r.IsNil()))
	}
	return Nil
}

// compare applies a comparison; nilTest is set when one side is the nil literal.
func compare(op Operator, l, r Static, re regexpMatcher, nilTest bool) bool {
	if nilTest {
		present := !l.IsNil() || !r.IsNil()
		if op == OpEqual {
			return !present
		}
		return present
	}
	if l.IsNil() || r.IsNil() {
		return false
	}
	if l.Type == TypeMulti {
		for _, e := range l.Arr {
			if compare(op, e, r, re, false) {
				return true
			}
		}
		return false
	}
	if r.Type == TypeMulti {
		for _, e := range r.Arr {
			if compare(op, l, e, re, false) {
				return true
			}
		}
		return false
	}
	if l.Type == TypeArray && r.Type == TypeArray {
		return false
	}
	if l.Type == TypeArray || r.Type == TypeArray {
		arr, other, arrLeft := l, r, true
		if r.Type == TypeArray {
			arr, other, arrLeft = r, l, false
		}
		pos := op
		neg := false
		switch op {
		case OpNotEqual:
			pos, neg = OpEqual, true
		case OpNotRegex:
			pos, neg = OpRegex, true
		}
		any := false
		for _, e := range arr.Arr {
			a, b := e, other
			if !arrLeft {
				a, b = other, e
			}
			if scalarCompare(pos, a, b, re) {
				any = true
				break
			}
		}
		if neg {
			return !any
		}
		return any
	}
	return scalarCompare(op, l, r, re)
}

type regexpMatcher interface{ MatchString(string) bool }

func comparable(l, r Static) bool {
	return l.Type == r.Type || (l.Type.numeric() && r.Type.numeric())
}

func scalarCompare(op Operator, l, r Static, re regexpMatcher) bool {
	switch op {
	case OpEqual:
		return l.equal(r)
	case OpNotEqual:
		return comparable(l, r) && !l.equal(r)
	case OpRegex, OpNotRegex:
		if l.Type != TypeString || re == nil {
			return false
		}
		return re.MatchString(l.S) == (op == OpRegex)
	}
	c, ok := l.order(r)
	if !ok {
		return false
	}
	switch op {
	case OpLess:
		return c < 0
	case OpLessEqual:
		return c <= 0
	case OpGreater:
		return c > 0
	case OpGreaterEqual:
		return c >= 0
	}
	return false
}

func (ev *evaluator) arith(op Operator, l, r Static) Static {
	if !l.Type.numeric() || !r.Type.numeric() {
		return Nil
	}
	if l.Type != TypeFloat && r.Type != TypeFloat {
		a, b := l.N, r.N
		var n int64
		switch op {
		case OpAdd:
			n = a + b
		case OpSub:
			n = a - b
		case OpMult:
			n = a * b
		case OpDiv, OpMod:
			if b == 0 {
				if ev.err == nil {
					ev.err = errDivByZero
				}
				return Nil
			}
			if op == OpDiv {
				n = a / b
			} else {
				n = a % b
			}
		case OpPower:
			return NewFloat(math.Pow(float64(a), float64(b)))
		}
		t := TypeInt
		if l.Type == TypeDuration || r.Type == TypeDuration {
			t = TypeDuration
		}
		return Static{Type: t, N: n}
	}
	a, b := l.float(), r.float()
	var f float64
	switch op {
	case OpAdd:
		f = a + b
	case OpSub:
		f = a - b
	case OpMult:
		f = a * b
	case OpDiv:
		f = a / b
	case OpMod:
		f = math.Mod(a, b)
	case OpPower:
		f = math.Pow(a, b)
	}
	return NewFloat(f)
}

// ---- spanset level ----

func (ev *evaluator) pipeline(stages []SpansetExpr, in []*Spanset) []*Spanset {
	for _, st := range stages {
		in = ev.stage(st, in)
		if len(in) == 0 || ev.err != nil {
			return nil
		}
	}
	return in
}

func withSpans(ss *Spanset, spans []Span) *Spanset {
	c := *ss
	c.Spans = spans
	c.Attributes = append([]SpansetAttribute(nil), ss.Attributes...)
	return &c
}

func (ev *evaluator) stage(st SpansetExpr, in []*Spanset) []*Spanset {
	var out []*Spanset
	switch x := st.(type) {
	case *SpansetFilter:
		for _, ss := range in {
			var keep []Span
			for _, s := range ss.Spans {
				if x.Expr == nil || truthy(ev.field(x.Expr, s)) {
					keep = append(keep, s)
				}
			}
			if len(keep) > 0 {
				out = append(out, withSpans(ss, keep))
			}
		}
	case *Pipeline:
		return ev.pipeline(x.Stages, in)
	case *SpansetOp:
		for _, ss := range in {
			l := flatten(ev.stage(x.LHS, []*Spanset{ss}))
			r := flatten(ev.stage(x.RHS, []*Spanset{ss}))
			if res := spansetOp(x.Op, l, r); len(res) > 0 {
				out = append(out, withSpans(ss, res))
			}
		}
	case *ScalarFilter:
		agg := x.LHS.(*Aggregate)
		rhs := x.RHS.(*ScalarLiteral).Static
		for _, ss := range in {
			v := ev.aggregate(agg, ss.Spans)
			if !v.IsNil() && scalarCompare(x.Op, v, rhs, nil) {
				c := withSpans(ss, ss.Spans)
				c.Attributes = append(c.Attributes, SpansetAttribute{Name: agg.String(), Value: v})
				out = append(out, c)
			}
		}
	case *GroupBy:
		name := x.String()
		for _, ss := range in {
			var keys []string
			groups := map[string]*Spanset{}
			for _, s := range ss.Spans {
				v := ev.field(x.Expr, s)
				if v.Type == TypeMulti || v.Type == TypeArray {
					v = NewString(v.String())
				}
				k := strconv.Itoa(int(v.Type)) + ":" + v.String()
				g, ok := groups[k]
				if !ok {
					g = withSpans(ss, nil)
					g.Attributes = append(g.Attributes, SpansetAttribute{Name: name, Value: v})
					groups[k] = g
					keys = append(keys, k)
				}
				g.Spans = append(g.Spans, s)
			}
			for _, k := range keys {
				out = append(out, groups[k])
			}
		}
	case *Coalesce:
		if len(in) == 0 {
			return nil
		}
		return []*Spanset{withSpans(in[0], flatten(in))}
	case *Select:
		return in
	}
	return out
}

// flatten unions the spans of several spansets, keeping first-seen order.
func flatten(sets []*Spanset) []Span {
	if len(sets) == 1 {
		return sets[0].Spans
	}
	seen := map[Span]bool{}
	var out []Span
	for _, ss := range sets {
		for _, s := range ss.Spans {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

func union(a, b []Span) []Span {
	seen := make(map[Span]bool, len(a)+len(b))
	out := make([]Span, 0, len(a)+len(b))
	for _, l := range [][]Span{a, b} {
		for _, s := range l {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

func (ev *evaluator) aggregate(a *Aggregate, spans []Span) Static {
	if a.Func == "count" {
		return NewInt(int64(len(spans)))
	}
	var vals []Static
	for _, s := range spans {
		v := ev.field(a.Expr, s)
		if v.Type.numeric() {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return Nil
	}
	allInt, t := true, vals[0].Type
	for _, v := range vals {
		if v.Type == TypeFloat {
			allInt = false
		}
		if v.Type != t {
			t = TypeFloat
		}
	}
	switch a.Func {
	case "min", "max":
		best := vals[0]
		for _, v := range vals[1:] {
			c, _ := v.order(best)
			if (a.Func == "min" && c < 0) || (a.Func == "max" && c > 0) {
				best = v
			}
		}
		return best
	case "sum", "avg":
		var sumI int64
		var sumF float64
		for _, v := range vals {
			sumI += v.N
			sumF += v.float()
		}
		if a.Func == "sum" {
			if allInt {
				if t == TypeDuration {
					return Static{Type: TypeDuration, N: sumI}
				}
				return NewInt(sumI)
			}
			return NewFloat(sumF)
		}
		avg := sumF / float64(len(vals))
		if allInt && t == TypeDuration {
			return Static{Type: TypeDuration, N: int64(avg)}
		}
		return NewFloat(avg)
	}
	return Nil
}
