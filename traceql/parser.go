package traceql

import (
	"fmt"
	"math"
)

// Parse parses and validates a TraceQL query.
func Parse(query string) (*RootExpr, error) {
	toks, err := lex(query)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	root, err := p.parseRoot()
	if err != nil {
		return nil, err
	}
	if err := validate(root); err != nil {
		return nil, err
	}
	return root, nil
}

type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekN(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tPunct && t.text == s
}

func (p *parser) isIdent(s string) bool {
	t := p.peek()
	return t.kind == tIdent && t.text == s
}

// unexpected reports the current token as a syntax error at the position of
// the token before it (Tempo's numbering).
func (p *parser) unexpected() error {
	t := p.peek()
	pos := t.pos
	if p.i > 0 {
		pos = p.toks[p.i-1].pos
	}
	what := t.raw
	if t.kind == tEOF {
		what = "end of input"
	} else if t.kind == tString {
		what = t.String()
	}
	return &ParseError{Pos: pos, Msg: "syntax error: unexpected " + what}
}

func (p *parser) expect(s string) (token, error) {
	if !p.isPunct(s) {
		return token{}, p.unexpected()
	}
	return p.next(), nil
}

func (p *parser) parseRoot() (*RootExpr, error) {
	root := &RootExpr{}
	q, err := p.parseQuery()
	if err != nil {
		return nil, err
	}
	switch x := q.(type) {
	case *Pipeline:
		root.Pipeline = x
	default:
		if !hasMetricsPipeline(x) {
			return nil, &ParseError{Pos: p.toks[0].pos, Msg: "syntax error: a query must start with a spanset filter such as { }"}
		}
		root.Metrics = x
	}
	if p.isIdent("with") {
		p.next()
		if root.Hints, err = p.parseHints(); err != nil {
			return nil, err
		}
	}
	if p.peek().kind != tEOF {
		return nil, p.unexpected()
	}
	return root, nil
}

func (p *parser) parseHints() ([]Hint, error) {
	if _, err := p.expect("("); err != nil {
		return nil, err
	}
	var hints []Hint
	for {
		t := p.peek()
		if t.kind != tIdent {
			return nil, p.unexpected()
		}
		p.next()
		if _, err := p.expect("="); err != nil {
			return nil, err
		}
		v, err := p.parseStaticLiteral()
		if err != nil {
			return nil, err
		}
		hints = append(hints, Hint{Name: t.text, Value: v})
		if p.isPunct(",") {
			p.next()
			continue
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		return hints, nil
	}
}

// parseStaticLiteral reads a number, duration, string, bool, nil or enum.
func (p *parser) parseStaticLiteral() (Static, error) {
	neg := false
	if p.isPunct("-") {
		p.next()
		neg = true
	}
	t := p.peek()
	var v Static
	switch t.kind {
	case tInt:
		v = NewInt(t.ival)
	case tFloat:
		v = NewFloat(t.fval)
	case tDur:
		v = Static{Type: TypeDuration, N: t.ival}
	case tString:
		if neg {
			return Nil, p.unexpected()
		}
		v = NewString(t.text)
	case tIdent:
		lit, ok := keywordLiteral(t.text)
		if !ok || neg {
			return Nil, p.unexpected()
		}
		v = lit
	default:
		return Nil, p.unexpected()
	}
	p.next()
	if neg {
		v = negate(v)
	}
	return v, nil
}

func negate(v Static) Static {
	switch v.Type {
	case TypeInt, TypeDuration:
		v.N = -v.N
	case TypeFloat:
		v.F = -v.F
	}
	return v
}

func keywordLiteral(s string) (Static, bool) {
	switch s {
	case "true":
		return NewBool(true), true
	case "false":
		return NewBool(false), true
	case "nil":
		return Nil, true
	case "minInt":
		return NewInt(math.MinInt64), true
	case "maxInt":
		return NewInt(math.MaxInt64), true
	}
	for i, n := range statusNames {
		if n == s {
			return NewStatus(int64(i)), true
		}
	}
	for i, n := range kindNames {
		if n == s {
			return NewKind(int64(i)), true
		}
	}
	return Nil, false
}

// ---- query / metrics arithmetic ----

func (p *parser) parseQuery() (MetricsExpr, error) {
	return p.parseMetricsArith(0)
}

func metricsOpPrec(t token) (Operator, int) {
	if t.kind != tPunct {
		return OpNone, -1
	}
	switch t.text {
	case "+":
		return OpAdd, 1
	case "-":
		return OpSub, 1
	case "*":
		return OpMult, 2
	case "/":
		return OpDiv, 2
	}
	return OpNone, -1
}

func (p *parser) parseMetricsArith(minPrec int) (MetricsExpr, error) {
	lhs, err := p.parseQueryTerm()
	if err != nil {
		return nil, err
	}
	for {
		op, prec := metricsOpPrec(p.peek())
		if prec < 0 || prec < minPrec {
			return lhs, nil
		}
		opTok := p.next()
		rhs, err := p.parseMetricsArith(prec + 1)
		if err != nil {
			return nil, err
		}
		if !isMetricsOperand(lhs) || !isMetricsOperand(rhs) {
			return nil, &ParseError{Pos: opTok.pos, Msg: "syntax error: arithmetic needs parenthesized metrics queries or numbers"}
		}
		lhs = &MetricsArith{Op: op, LHS: lhs, RHS: rhs}
	}
}

func hasMetricsPipeline(e MetricsExpr) bool {
	switch x := e.(type) {
	case *MetricsPipeline:
		return true
	case *MetricsArith:
		return hasMetricsPipeline(x.LHS) || hasMetricsPipeline(x.RHS)
	}
	return false
}

func isMetricsOperand(e MetricsExpr) bool {
	switch e.(type) {
	case *MetricsPipeline, *MetricsArith, *ScalarLiteral:
		return true
	}
	return false
}

func (p *parser) parseQueryTerm() (MetricsExpr, error) {
	t := p.peek()
	if t.kind == tInt || t.kind == tFloat {
		p.next()
		if t.kind == tInt {
			return &ScalarLiteral{NewInt(t.ival)}, nil
		}
		return &ScalarLiteral{NewFloat(t.fval)}, nil
	}
	pl, m, err := p.parsePipeline()
	if err != nil {
		return nil, err
	}
	if m != nil {
		return m, nil
	}
	// a parenthesized metrics query used as an arithmetic operand
	if len(pl.Stages) == 1 {
		if w, ok := pl.Stages[0].(*metricsWrap); ok {
			return w.m, nil
		}
	}
	return pl, nil
}

// metricsWrap carries a parenthesized metrics query through the spanset parser.
type metricsWrap struct{ m MetricsExpr }

func (*metricsWrap) spansetExpr()     {}
func (w *metricsWrap) String() string { return "(" + w.m.String() + ")" }

// ---- pipelines ----

var aggregateFuncs = map[string]bool{"count": true, "avg": true, "min": true, "max": true, "sum": true}
var metricsFuncs = map[string]bool{
	"rate": true, "count_over_time": true, "sum_over_time": true, "min_over_time": true, "max_over_time": true,
	"avg_over_time": true, "quantile_over_time": true, "histogram_over_time": true, "compare": true,
}

// parsePipeline parses stages separated by |. If a metrics function appears,
// the result is returned as a *MetricsPipeline.
func (p *parser) parsePipeline() (*Pipeline, *MetricsPipeline, error) {
	pl := &Pipeline{}
	first := true
	for {
		t := p.peek()
		var st SpansetExpr
		var err error
		switch {
		case t.kind == tIdent && aggregateFuncs[t.text] && p.peekN(1).kind == tPunct && p.peekN(1).text == "(":
			st, err = p.parseScalarFilter()
		case !first && t.kind == tIdent && t.text == "by":
			st, err = p.parseGroupBy()
		case !first && t.kind == tIdent && t.text == "coalesce":
			p.next()
			if _, err = p.expect("("); err == nil {
				_, err = p.expect(")")
			}
			st = &Coalesce{}
		case !first && t.kind == tIdent && t.text == "select":
			st, err = p.parseSelect()
		case !first && t.kind == tIdent && metricsFuncs[t.text]:
			m, err := p.parseMetricsTail(pl)
			return nil, m, err
		default:
			st, err = p.parseSpansetExpr(0)
		}
		if err != nil {
			return nil, nil, err
		}
		pl.Stages = append(pl.Stages, st)
		first = false
		if !p.isPunct("|") {
			return pl, nil, nil
		}
		p.next()
	}
}

func (p *parser) parseScalarFilter() (SpansetExpr, error) {
	pos := p.peek().pos
	lhs, err := p.parseScalarArith(0)
	if err != nil {
		return nil, err
	}
	op, ok := comparisonOp(p.peek())
	if !ok {
		// bare aggregate: only meaningful as an operand of a comparison
		return &ScalarFilter{LHS: lhs, Pos: pos}, nil
	}
	p.next()
	rhs, err := p.parseScalarArith(0)
	if err != nil {
		return nil, err
	}
	return &ScalarFilter{Op: op, LHS: lhs, RHS: rhs, Pos: pos}, nil
}

func (p *parser) parseScalarArith(minPrec int) (ScalarExpr, error) {
	lhs, err := p.parseScalarTerm()
	if err != nil {
		return nil, err
	}
	for {
		op, prec := metricsOpPrec(p.peek())
		if p.isPunct("%") {
			op, prec = OpMod, 2
		} else if p.isPunct("^") {
			op, prec = OpPower, 3
		}
		if prec < 0 || prec < minPrec {
			return lhs, nil
		}
		p.next()
		rhs, err := p.parseScalarArith(prec + 1)
		if err != nil {
			return nil, err
		}
		lhs = &ScalarOp{Op: op, LHS: lhs, RHS: rhs}
	}
}

func (p *parser) parseScalarTerm() (ScalarExpr, error) {
	t := p.peek()
	if t.kind == tIdent && aggregateFuncs[t.text] {
		return p.parseAggregate()
	}
	if t.kind == tPunct && t.text == "(" {
		p.next()
		pl, m, err := p.parsePipeline()
		if err != nil {
			return nil, err
		}
		if m != nil {
			return nil, p.unexpected()
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		return &ScalarPipeline{P: pl}, nil
	}
	v, err := p.parseStaticLiteral()
	if err != nil {
		return nil, err
	}
	return &ScalarLiteral{v}, nil
}

func (p *parser) parseAggregate() (*Aggregate, error) {
	t := p.next()
	agg := &Aggregate{Func: t.text, Pos: t.pos}
	if _, err := p.expect("("); err != nil {
		return nil, err
	}
	if t.text != "count" {
		e, err := p.parseFieldExpr(0)
		if err != nil {
			return nil, err
		}
		agg.Expr = e
	}
	if _, err := p.expect(")"); err != nil {
		return nil, err
	}
	return agg, nil
}

func (p *parser) parseGroupBy() (SpansetExpr, error) {
	t := p.next()
	if _, err := p.expect("("); err != nil {
		return nil, err
	}
	e, err := p.parseFieldExpr(0)
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(")"); err != nil {
		return nil, err
	}
	return &GroupBy{Expr: e, Pos: t.pos}, nil
}

func (p *parser) parseSelect() (SpansetExpr, error) {
	p.next()
	if _, err := p.expect("("); err != nil {
		return nil, err
	}
	attrs, err := p.parseAttrList()
	if err != nil {
		return nil, err
	}
	return &Select{Attrs: attrs}, nil
}

// parseAttrList reads `a, b, …)` (the opening paren already consumed).
func (p *parser) parseAttrList() ([]Attribute, error) {
	var attrs []Attribute
	for {
		a, err := p.parseAttrRef()
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, a.Attribute)
		if p.isPunct(",") {
			p.next()
			continue
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		return attrs, nil
	}
}

func (p *parser) parseAttrRef() (*AttrRef, error) {
	t := p.peek()
	switch t.kind {
	case tAttr:
		p.next()
		return &AttrRef{Attribute: t.attr, Pos: t.pos}, nil
	case tIdent, tIntrins:
		if in, ok := intrinsicSpellings[t.text]; ok {
			p.next()
			return &AttrRef{Attribute: NewIntrinsic(in), Pos: t.pos}, nil
		}
		if _, ok := keywordLiteral(t.text); !ok {
			return nil, &ParseError{Pos: t.pos, Msg: "unknown identifier: " + t.text}
		}
	}
	return nil, p.unexpected()
}

// ---- metrics ----

func (p *parser) parseMetricsTail(pl *Pipeline) (*MetricsPipeline, error) {
	t := p.next()
	f := &MetricsFunc{Func: t.text, Pos: t.pos}
	if _, err := p.expect("("); err != nil {
		return nil, err
	}
	switch t.text {
	case "rate", "count_over_time":
	case "compare":
		if !p.isPunct("{") {
			return nil, p.unexpected()
		}
		ft := p.next()
		filt := &SpansetFilter{Pos: ft.pos}
		if !p.isPunct("}") {
			e, err := p.parseFieldExpr(0)
			if err != nil {
				return nil, err
			}
			filt.Expr = e
		}
		if _, err := p.expect("}"); err != nil {
			return nil, err
		}
		f.Filter = filt
		for p.isPunct(",") {
			p.next()
			v, err := p.parseStaticLiteral()
			if err != nil {
				return nil, err
			}
			f.Params = append(f.Params, v)
		}
	default:
		a, err := p.parseAttrRef()
		if err != nil {
			return nil, err
		}
		f.Attr = &a.Attribute
		for t.text == "quantile_over_time" && p.isPunct(",") {
			p.next()
			v, err := p.parseStaticLiteral()
			if err != nil {
				return nil, err
			}
			f.Params = append(f.Params, v)
		}
	}
	if _, err := p.expect(")"); err != nil {
		return nil, err
	}
	if p.isIdent("by") {
		p.next()
		if _, err := p.expect("("); err != nil {
			return nil, err
		}
		by, err := p.parseAttrList()
		if err != nil {
			return nil, err
		}
		f.By = by
	}
	m := &MetricsPipeline{Spansets: pl, Func: f}
	for {
		if op, ok := comparisonOp(p.peek()); ok {
			p.next()
			v, err := p.parseStaticLiteral()
			if err != nil {
				return nil, err
			}
			m.Second = append(m.Second, &MetricsSecondStage{Op: op, Value: v})
			continue
		}
		if p.isPunct("|") && (p.peekN(1).kind == tIdent && (p.peekN(1).text == "topk" || p.peekN(1).text == "bottomk")) {
			p.next()
			name := p.next().text
			if _, err := p.expect("("); err != nil {
				return nil, err
			}
			k := p.peek()
			if k.kind != tInt {
				return nil, p.unexpected()
			}
			p.next()
			if _, err := p.expect(")"); err != nil {
				return nil, err
			}
			m.Second = append(m.Second, &MetricsSecondStage{Func: name, K: k.ival})
			continue
		}
		if p.isPunct("|") {
			p.next()
			return nil, p.unexpected()
		}
		return m, nil
	}
}

func comparisonOp(t token) (Operator, bool) {
	if t.kind != tPunct {
		return OpNone, false
	}
	switch t.text {
	case "=", "==":
		return OpEqual, true
	case "!=":
		return OpNotEqual, true
	case "<":
		return OpLess, true
	case "<=":
		return OpLessEqual, true
	case ">":
		return OpGreater, true
	case ">=":
		return OpGreaterEqual, true
	}
	return OpNone, false
}

// ---- spanset expressions ----

var spansetOps = map[string]Operator{
	"&&": OpSpansetAnd, "||": OpSpansetOr,
	">": OpSpansetChild, "<": OpSpansetParent, ">>": OpSpansetDescendant, "<<": OpSpansetAncestor, "~": OpSpansetSibling,
	"!>": OpSpansetNotChild, "!<": OpSpansetNotParent, "!>>": OpSpansetNotDescendant, "!<<": OpSpansetNotAncestor, "!~": OpSpansetNotSibling,
	"&>": OpSpansetUnionChild, "&<": OpSpansetUnionParent, "&>>": OpSpansetUnionDescendant, "&<<": OpSpansetUnionAncestor, "&~": OpSpansetUnionSibling,
}

func spansetPrec(op Operator) int {
	if op == OpSpansetAnd || op == OpSpansetOr {
		return 1
	}
	return 2
}

func (p *parser) parseSpansetExpr(minPrec int) (SpansetExpr, error) {
	lhs, err := p.parseSpansetPrimary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		op, ok := spansetOps[t.text]
		if t.kind != tPunct || !ok {
			return lhs, nil
		}
		prec := spansetPrec(op)
		if prec < minPrec {
			return lhs, nil
		}
		p.next()
		rhs, err := p.parseSpansetExpr(prec + 1)
		if err != nil {
			return nil, err
		}
		if isScalarish(lhs) || isScalarish(rhs) {
			return nil, &ParseError{Pos: t.pos, Msg: "syntax error: unexpected " + t.text}
		}
		lhs = &SpansetOp{Op: op, LHS: lhs, RHS: rhs, Pos: t.pos}
	}
}

func isScalarish(e SpansetExpr) bool {
	switch e.(type) {
	case *metricsWrap, *ScalarFilter:
		return true
	}
	return false
}

func (p *parser) parseSpansetPrimary() (SpansetExpr, error) {
	t := p.peek()
	switch {
	case t.kind == tPunct && t.text == "{":
		p.next()
		f := &SpansetFilter{Pos: t.pos}
		if !p.isPunct("}") {
			e, err := p.parseFieldExpr(0)
			if err != nil {
				return nil, err
			}
			f.Expr = e
		}
		if _, err := p.expect("}"); err != nil {
			return nil, err
		}
		return f, nil
	case t.kind == tPunct && t.text == "(":
		p.next()
		q, err := p.parseQuery()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		pl, ok := q.(*Pipeline)
		if !ok {
			return &metricsWrap{m: q}, nil
		}
		// `(… | count()) > (… | count())`: parses, rejected by validation
		if sf, ok := pl.Stages[len(pl.Stages)-1].(*ScalarFilter); ok && sf.Op == OpNone {
			if op, ok := comparisonOp(p.peek()); ok {
				p.next()
				rhs, err := p.parseScalarArith(0)
				if err != nil {
					return nil, err
				}
				return &ScalarFilter{Op: op, LHS: &ScalarPipeline{P: pl}, RHS: rhs, Pos: t.pos}, nil
			}
		}
		if len(pl.Stages) == 1 {
			return pl.Stages[0], nil
		}
		return pl, nil
	}
	return nil, p.unexpected()
}

// ---- field expressions ----

const (
	precOr    = 1
	precCmp   = 2
	precAdd   = 3
	precNot   = 4
	precMul   = 5
	precPow   = 6
	precUnary = 7
)

func fieldOp(t token) (Operator, int, bool) {
	if t.kind != tPunct {
		return OpNone, 0, false
	}
	switch t.text {
	case "&&":
		return OpAnd, precOr, true
	case "||":
		return OpOr, precOr, true
	case "=", "==":
		return OpEqual, precCmp, true
	case "!=":
		return OpNotEqual, precCmp, true
	case "=~":
		return OpRegex, precCmp, true
	case "!~":
		return OpNotRegex, precCmp, true
	case "<":
		return OpLess, precCmp, true
	case "<=":
		return OpLessEqual, precCmp, true
	case ">":
		return OpGreater, precCmp, true
	case ">=":
		return OpGreaterEqual, precCmp, true
	case "+":
		return OpAdd, precAdd, true
	case "-":
		return OpSub, precAdd, true
	case "*":
		return OpMult, precMul, true
	case "/":
		return OpDiv, precMul, true
	case "%":
		return OpMod, precMul, true
	case "^":
		return OpPower, precPow, true
	}
	return OpNone, 0, false
}

func (p *parser) parseFieldExpr(minPrec int) (FieldExpr, error) {
	lhs, err := p.parseFieldUnary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		op, prec, ok := fieldOp(t)
		if !ok || prec < minPrec {
			return lhs, nil
		}
		p.next()
		next := prec + 1
		if op == OpPower {
			next = prec // right-associative
		}
		rhs, err := p.parseFieldExpr(next)
		if err != nil {
			return nil, err
		}
		lhs = &BinaryOp{Op: op, LHS: lhs, RHS: rhs, Pos: t.pos}
	}
}

func (p *parser) parseFieldUnary() (FieldExpr, error) {
	t := p.peek()
	if t.kind == tPunct && t.text == "!" {
		p.next()
		e, err := p.parseFieldExpr(precMul)
		if err != nil {
			return nil, err
		}
		return &UnaryOp{Op: OpNot, Expr: e, Pos: t.pos}, nil
	}
	if t.kind == tPunct && t.text == "-" {
		p.next()
		e, err := p.parseFieldUnary()
		if err != nil {
			return nil, err
		}
		if l, ok := e.(*Literal); ok && l.Type.numeric() {
			return &Literal{Static: negate(l.Static), Pos: t.pos}, nil
		}
		return &UnaryOp{Op: OpSub, Expr: e, Pos: t.pos}, nil
	}
	return p.parseFieldPrimary()
}

func (p *parser) parseFieldPrimary() (FieldExpr, error) {
	t := p.peek()
	switch t.kind {
	case tPunct:
		if t.text == "(" {
			p.next()
			e, err := p.parseFieldExpr(0)
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(")"); err != nil {
				return nil, err
			}
			return e, nil
		}
	case tInt:
		p.next()
		return &Literal{Static: NewInt(t.ival), Pos: t.pos}, nil
	case tFloat:
		p.next()
		return &Literal{Static: NewFloat(t.fval), Pos: t.pos}, nil
	case tDur:
		p.next()
		return &Literal{Static: Static{Type: TypeDuration, N: t.ival}, Pos: t.pos}, nil
	case tString:
		p.next()
		return &Literal{Static: NewString(t.text), Pos: t.pos}, nil
	case tAttr:
		p.next()
		return &AttrRef{Attribute: t.attr, Pos: t.pos}, nil
	case tIdent, tIntrins:
		if v, ok := keywordLiteral(t.text); ok {
			p.next()
			return &Literal{Static: v, Pos: t.pos}, nil
		}
		if in, ok := intrinsicSpellings[t.text]; ok {
			p.next()
			return &AttrRef{Attribute: NewIntrinsic(in), Pos: t.pos}, nil
		}
		return nil, &ParseError{Pos: t.pos, Msg: "unknown identifier: " + t.text}
	}
	return nil, p.unexpected()
}

var _ = fmt.Sprintf
