package traceql

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Scope of an attribute reference.
type Scope int

const (
	ScopeNone Scope = iota // unscoped: span, then resource
	ScopeSpan
	ScopeResource
	ScopeEvent
	ScopeLink
	ScopeInstrumentation
	ScopeParent
	ScopeTrace // trace-level intrinsics
)

var scopeNames = [...]string{"", "span", "resource", "event", "link", "instrumentation", "parent", "trace"}

func (s Scope) String() string { return scopeNames[s] }

// Intrinsic identifies a built-in span/trace field.
type Intrinsic int

const (
	IntrinsicNone Intrinsic = iota
	IntrinsicName
	IntrinsicStatus
	IntrinsicStatusMessage
	IntrinsicKind
	IntrinsicDuration
	IntrinsicSpanID
	IntrinsicParentID
	IntrinsicChildCount
	IntrinsicTraceDuration
	IntrinsicTraceRootSpan
	IntrinsicTraceRootService
	IntrinsicTraceID
	IntrinsicEventName
	IntrinsicEventTimeSinceStart
	IntrinsicLinkTraceID
	IntrinsicLinkSpanID
	IntrinsicInstrumentationName
	IntrinsicInstrumentationVersion
	IntrinsicNestedSetLeft
	IntrinsicNestedSetRight
	IntrinsicNestedSetParent
	IntrinsicParent
)

// canonical spellings (what the stringifier prints).
var intrinsicNames = map[Intrinsic]string{
	IntrinsicName: "name", IntrinsicStatus: "status", IntrinsicStatusMessage: "statusMessage",
	IntrinsicKind: "kind", IntrinsicDuration: "duration", IntrinsicSpanID: "span:id",
	IntrinsicParentID: "span:parentID", IntrinsicChildCount: "span:childCount",
	IntrinsicTraceDuration: "traceDuration", IntrinsicTraceRootSpan: "rootName",
	IntrinsicTraceRootService: "rootServiceName", IntrinsicTraceID: "trace:id",
	IntrinsicEventName: "event:name", IntrinsicEventTimeSinceStart: "event:timeSinceStart",
	IntrinsicLinkTraceID: "link:traceID", IntrinsicLinkSpanID: "link:spanID",
	IntrinsicInstrumentationName: "instrumentation:name", IntrinsicInstrumentationVersion: "instrumentation:version",
	IntrinsicNestedSetLeft: "nestedSetLeft", IntrinsicNestedSetRight: "nestedSetRight",
	IntrinsicNestedSetParent: "nestedSetParent", IntrinsicParent: "parent",
}

func (i Intrinsic) String() string { return intrinsicNames[i] }

// intrinsicSpellings maps every accepted spelling.
var intrinsicSpellings = map[string]Intrinsic{
	"name": IntrinsicName, "span:name": IntrinsicName,
	"status": IntrinsicStatus, "span:status": IntrinsicStatus,
	"statusMessage": IntrinsicStatusMessage, "span:statusMessage": IntrinsicStatusMessage,
	"kind": IntrinsicKind, "span:kind": IntrinsicKind,
	"duration": IntrinsicDuration, "span:duration": IntrinsicDuration,
	"span:id": IntrinsicSpanID, "span:parentID": IntrinsicParentID, "span:childCount": IntrinsicChildCount,
	"traceDuration": IntrinsicTraceDuration, "trace:duration": IntrinsicTraceDuration,
	"rootName": IntrinsicTraceRootSpan, "trace:rootName": IntrinsicTraceRootSpan,
	"rootServiceName": IntrinsicTraceRootService, "trace:rootService": IntrinsicTraceRootService,
	"trace:id": IntrinsicTraceID, "event:name": IntrinsicEventName, "event:timeSinceStart": IntrinsicEventTimeSinceStart,
	"link:traceID": IntrinsicLinkTraceID, "link:spanID": IntrinsicLinkSpanID,
	"instrumentation:name": IntrinsicInstrumentationName, "instrumentation:version": IntrinsicInstrumentationVersion,
	"nestedSetLeft": IntrinsicNestedSetLeft, "nestedSetRight": IntrinsicNestedSetRight,
	"nestedSetParent": IntrinsicNestedSetParent, "parent": IntrinsicParent,
}

// Type of the value an intrinsic yields.
func (i Intrinsic) Type() StaticType {
	switch i {
	case IntrinsicName, IntrinsicStatusMessage, IntrinsicSpanID, IntrinsicParentID, IntrinsicTraceRootSpan,
		IntrinsicTraceRootService, IntrinsicTraceID, IntrinsicEventName, IntrinsicLinkTraceID, IntrinsicLinkSpanID,
		IntrinsicInstrumentationName, IntrinsicInstrumentationVersion:
		return TypeString
	case IntrinsicStatus:
		return TypeStatus
	case IntrinsicKind:
		return TypeKind
	case IntrinsicDuration, IntrinsicTraceDuration, IntrinsicEventTimeSinceStart:
		return TypeDuration
	case IntrinsicChildCount, IntrinsicNestedSetLeft, IntrinsicNestedSetRight, IntrinsicNestedSetParent:
		return TypeInt
	}
	return TypeAttribute
}

// Attribute is a reference to a span field: an intrinsic or a scoped name.
type Attribute struct {
	Scope     Scope
	Name      string
	Intrinsic Intrinsic
}

// NewAttribute returns an unscoped attribute reference.
func NewAttribute(name string) Attribute { return Attribute{Name: name} }

// NewScopedAttribute returns a scoped attribute reference.
func NewScopedAttribute(s Scope, name string) Attribute { return Attribute{Scope: s, Name: name} }

// NewIntrinsic returns an intrinsic reference.
func NewIntrinsic(i Intrinsic) Attribute { return Attribute{Intrinsic: i, Name: i.String()} }

func (a Attribute) String() string {
	if a.Intrinsic != IntrinsicNone {
		return a.Intrinsic.String()
	}
	name := a.Name
	if needsQuoting(name) || (a.Scope == ScopeNone && name != "" && isDigit(name[0])) {
		name = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
	}
	if a.Scope == ScopeNone {
		return "." + name
	}
	return a.Scope.String() + "." + name
}

func needsQuoting(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		if isNameTerm(s[i]) || s[i] == '"' {
			return true
		}
	}
	return false
}

// Operator of a binary or unary expression.
type Operator int

const (
	OpNone Operator = iota
	OpAdd
	OpSub
	OpMult
	OpDiv
	OpMod
	OpPower
	OpEqual
	OpNotEqual
	OpRegex
	OpNotRegex
	OpGreater
	OpGreaterEqual
	OpLess
	OpLessEqual
	OpAnd
	OpOr
	OpNot
	// spanset operators
	OpSpansetAnd
	OpSpansetOr
	OpSpansetChild
	OpSpansetParent
	OpSpansetDescendant
	OpSpansetAncestor
	OpSpansetSibling
	OpSpansetNotChild
	OpSpansetNotParent
	OpSpansetNotDescendant
	OpSpansetNotAncestor
	OpSpansetNotSibling
	OpSpansetUnionChild
	OpSpansetUnionParent
	OpSpansetUnionDescendant
	OpSpansetUnionAncestor
	OpSpansetUnionSibling
)

var opStrings = map[Operator]string{
	OpAdd: "+", OpSub: "-", OpMult: "*", OpDiv: "/", OpMod: "%", OpPower: "^",
	OpEqual: "=", OpNotEqual: "!=", OpRegex: "=~", OpNotRegex: "!~", OpGreater: ">", OpGreaterEqual: ">=",
	OpLess: "<", OpLessEqual: "<=", OpAnd: "&&", OpOr: "||", OpNot: "!",
	OpSpansetAnd: "&&", OpSpansetOr: "||", OpSpansetChild: ">", OpSpansetParent: "<", OpSpansetDescendant: ">>",
	OpSpansetAncestor: "<<", OpSpansetSibling: "~", OpSpansetNotChild: "!>", OpSpansetNotParent: "!<",
	OpSpansetNotDescendant: "!>>", OpSpansetNotAncestor: "!<<", OpSpansetNotSibling: "!~",
	OpSpansetUnionChild: "&>", OpSpansetUnionParent: "&<", OpSpansetUnionDescendant: "&>>",
	OpSpansetUnionAncestor: "&<<", OpSpansetUnionSibling: "&~",
}

func (o Operator) String() string { return opStrings[o] }

func (o Operator) isBoolean() bool {
	switch o {
	case OpEqual, OpNotEqual, OpRegex, OpNotRegex, OpGreater, OpGreaterEqual, OpLess, OpLessEqual, OpAnd, OpOr, OpNot:
		return true
	}
	return false
}

func (o Operator) isArithmetic() bool { return o >= OpAdd && o <= OpPower }

// ---- field expressions (inside { }) ----

// FieldExpr is an expression evaluated per span.
type FieldExpr interface {
	fmt.Stringer
	fieldExpr()
}

// BinaryOp is lhs op rhs.
type BinaryOp struct {
	Op       Operator
	LHS, RHS FieldExpr
	Pos      Pos
	re       *regexp.Regexp // compiled for =~ / !~
}

// UnaryOp is !x or -x.
type UnaryOp struct {
	Op   Operator
	Expr FieldExpr
	Pos  Pos
}

// AttrRef is an attribute or intrinsic reference.
type AttrRef struct {
	Attribute
	Pos Pos
}

// Literal is a static value.
type Literal struct {
	Static
	Pos Pos
}

func (BinaryOp) fieldExpr() {}
func (UnaryOp) fieldExpr()  {}
func (AttrRef) fieldExpr()  {}
func (Literal) fieldExpr()  {}

func (b *BinaryOp) String() string {
	return "(" + b.LHS.String() + " " + b.Op.String() + " " + b.RHS.String() + ")"
}
func (u *UnaryOp) String() string {
	return u.Op.String() + "(" + u.Expr.String() + ")"
}
func (a *AttrRef) String() string { return a.Attribute.String() }
func (l *Literal) String() string { return l.Static.String() }

// flat prints a comparison without outer parentheses, as the error catalogue does.
func flat(e FieldExpr) string {
	if b, ok := e.(*BinaryOp); ok {
		return flat(b.LHS) + " " + b.Op.String() + " " + flat(b.RHS)
	}
	return e.String()
}

// ---- spanset level ----

// SpansetExpr is an element of a pipeline operating on spansets.
type SpansetExpr interface {
	fmt.Stringer
	spansetExpr()
}

// SpansetFilter is `{ expr }`.
type SpansetFilter struct {
	Expr FieldExpr // nil for {}
	Pos  Pos
}

// SpansetOp combines two spanset expressions.
type SpansetOp struct {
	Op       Operator
	LHS, RHS SpansetExpr
	Pos      Pos
}

// Pipeline is a sequence of stages; the first produces spansets.
type Pipeline struct {
	Stages []SpansetExpr
}

// Aggregate is count()/avg(x)/min(x)/max(x)/sum(x).
type Aggregate struct {
	Func string
	Expr FieldExpr // nil for count()
	Pos  Pos
}

// ScalarExpr is the lhs/rhs of a scalar filter.
type ScalarExpr interface {
	fmt.Stringer
	scalarExpr()
}

// ScalarLiteral is a static operand of a scalar filter.
type ScalarLiteral struct{ Static }

// ScalarOp is arithmetic over scalars (parses; rejected by validation).
type ScalarOp struct {
	Op       Operator
	LHS, RHS ScalarExpr
}

// ScalarPipeline is a parenthesized pipeline used as a scalar (parses; rejected).
type ScalarPipeline struct{ P *Pipeline }

// ScalarFilter is `aggregate op value`.
type ScalarFilter struct {
	Op       Operator
	LHS, RHS ScalarExpr
	Pos      Pos
}

// GroupBy is by(expr).
type GroupBy struct {
	Expr FieldExpr
	Pos  Pos
}

// Coalesce is coalesce().
type Coalesce struct{}

// Select is select(a, b, ...).
type Select struct {
	Attrs []Attribute
}

func (*SpansetFilter) spansetExpr() {}
func (*SpansetOp) spansetExpr()     {}
func (*Pipeline) spansetExpr()      {}
func (*ScalarFilter) spansetExpr()  {}
func (*GroupBy) spansetExpr()       {}
func (*Coalesce) spansetExpr()      {}
func (*Select) spansetExpr()        {}

func (*Aggregate) scalarExpr()      {}
func (*ScalarLiteral) scalarExpr()  {}
func (*ScalarOp) scalarExpr()       {}
func (*ScalarPipeline) scalarExpr() {}

func (f *SpansetFilter) String() string {
	if f.Expr == nil {
		return "{ }"
	}
	return "{ " + f.Expr.String() + " }"
}
func (o *SpansetOp) String() string {
	return "(" + wrapPipeline(o.LHS) + " " + o.Op.String() + " " + wrapPipeline(o.RHS) + ")"
}

func wrapPipeline(e SpansetExpr) string {
	if _, ok := e.(*Pipeline); ok {
		return "(" + e.String() + ")"
	}
	return e.String()
}
func (p *Pipeline) String() string {
	parts := make([]string, len(p.Stages))
	for i, s := range p.Stages {
		parts[i] = s.String()
	}
	return strings.Join(parts, " | ")
}
func (a *Aggregate) String() string {
	if a.Expr == nil {
		return a.Func + "()"
	}
	return a.Func + "(" + a.Expr.String() + ")"
}
func (s *ScalarLiteral) String() string { return s.Static.String() }
func (s *ScalarOp) String() string {
	return s.LHS.String() + " " + s.Op.String() + " " + s.RHS.String()
}
func (s *ScalarPipeline) String() string { return "(" + s.P.String() + ")" }
func (s *ScalarFilter) String() string {
	return s.LHS.String() + " " + s.Op.String() + " " + s.RHS.String()
}
func (g *GroupBy) String() string { return "by(" + g.Expr.String() + ")" }
func (*Coalesce) String() string  { return "coalesce()" }
func (s *Select) String() string {
	parts := make([]string, len(s.Attrs))
	for i, a := range s.Attrs {
		parts[i] = a.String()
	}
	return "select(" + strings.Join(parts, ", ") + ")"
}

// ---- metrics ----

// MetricsFunc is the first metrics stage: rate(), quantile_over_time(...) etc.
type MetricsFunc struct {
	Func   string
	Attr   *Attribute // measured field, if any
	Params []Static   // quantiles, topN, ...
	Filter *SpansetFilter
	By     []Attribute
	Pos    Pos
}

// MetricsSecondStage is topk(k)/bottomk(k) or a value filter `op value`.
type MetricsSecondStage struct {
	Func  string // "topk", "bottomk" or "" for a filter
	K     int64
	Op    Operator
	Value Static
}

// MetricsArith combines metrics pipelines / scalars with + - * /.
type MetricsArith struct {
	Op       Operator
	LHS, RHS MetricsExpr
}

// MetricsExpr is a metrics pipeline, a MetricsArith or a number.
type MetricsExpr interface{ fmt.Stringer }

// MetricsPipeline is spanset stages, a metrics function and second stages.
type MetricsPipeline struct {
	Spansets *Pipeline
	Func     *MetricsFunc
	Second   []*MetricsSecondStage
}

func (m *MetricsFunc) String() string {
	var args []string
	if m.Filter != nil {
		args = append(args, m.Filter.String())
	}
	if m.Attr != nil {
		args = append(args, m.Attr.String())
	}
	for _, p := range m.Params {
		args = append(args, p.String())
	}
	s := m.Func + "(" + strings.Join(args, ", ") + ")"
	if len(m.By) > 0 {
		b := make([]string, len(m.By))
		for i, a := range m.By {
			b[i] = a.String()
		}
		s += " by (" + strings.Join(b, ", ") + ")"
	}
	return s
}
func (m *MetricsSecondStage) String() string {
	if m.Func != "" {
		return m.Func + "(" + strconv.FormatInt(m.K, 10) + ")"
	}
	return m.Op.String() + " " + m.Value.String()
}
func (m *MetricsPipeline) String() string {
	s := m.Spansets.String() + " | " + m.Func.String()
	for _, st := range m.Second {
		if st.Func == "" {
			s += " " + st.String()
		} else {
			s += " | " + st.String()
		}
	}
	return s
}
func (m *MetricsArith) String() string {
	return metricsOperand(m.LHS) + " " + m.Op.String() + " " + metricsOperand(m.RHS)
}

func metricsOperand(e MetricsExpr) string {
	if l, ok := e.(*ScalarLiteral); ok {
		return l.String()
	}
	return "(" + e.String() + ")"
}

// Hint is one with(name=value).
type Hint struct {
	Name  string
	Value Static
}

// RootExpr is a parsed query.
type RootExpr struct {
	Pipeline *Pipeline   // search queries
	Metrics  MetricsExpr // metrics queries (Pipeline nil)
	Hints    []Hint
}

// IsMetrics reports whether the query is a metrics query.
func (r *RootExpr) IsMetrics() bool { return r.Metrics != nil }

// Hint returns a hint's value.
func (r *RootExpr) Hint(name string) (Static, bool) {
	for _, h := range r.Hints {
		if h.Name == name {
			return h.Value, true
		}
	}
	return Static{}, false
}

func (r *RootExpr) String() string {
	var s string
	if r.Metrics != nil {
		s = r.Metrics.String()
	} else {
		s = r.Pipeline.String()
	}
	if len(r.Hints) > 0 {
		h := make([]string, len(r.Hints))
		for i, x := range r.Hints {
			h[i] = x.Name + "=" + x.Value.String()
		}
		s += " with (" + strings.Join(h, ", ") + ")"
	}
	return s
}

var _ = time.Second
