package traceql

import (
	"regexp"
)

func validate(r *RootExpr) error {
	if r.Pipeline != nil {
		return validatePipeline(r.Pipeline, true)
	}
	return validateMetrics(r.Metrics)
}

func validateMetrics(m MetricsExpr) error {
	switch x := m.(type) {
	case *MetricsArith:
		if err := validateMetrics(x.LHS); err != nil {
			return err
		}
		return validateMetrics(x.RHS)
	case *MetricsPipeline:
		if err := validatePipeline(x.Spansets, true); err != nil {
			return err
		}
		f := x.Func
		if len(f.By) > 5 {
			return verrf(f.Pos, "metrics group by %d values not yet supported", len(f.By))
		}
		for _, a := range f.By {
			if err := validateAttr(a, f.Pos); err != nil {
				return err
			}
		}
		if f.Filter != nil {
			if err := validateFilter(f.Filter); err != nil {
				return err
			}
		}
		if f.Func == "quantile_over_time" && len(f.Params) == 0 {
			return verrf(f.Pos, "quantile_over_time requires at least one quantile")
		}
		for _, q := range f.Params {
			if !q.Type.numeric() {
				return verrf(f.Pos, "%s parameters must be numbers: %s", f.Func, f.String())
			}
		}
		for _, s := range x.Second {
			if s.Func != "" && s.K <= 0 {
				return verrf(f.Pos, "%s(%d): k must be positive", s.Func, s.K)
			}
			if s.Func == "" && !s.Value.Type.numeric() {
				return verrf(f.Pos, "metrics filters must compare with a number or duration: %s", s.String())
			}
		}
	}
	return nil
}

func validatePipeline(pl *Pipeline, top bool) error {
	for _, st := range pl.Stages {
		if err := validateStage(st); err != nil {
			return err
		}
	}
	return nil
}

func validateStage(st SpansetExpr) error {
	switch x := st.(type) {
	case *SpansetFilter:
		return validateFilter(x)
	case *SpansetOp:
		if err := validateStage(x.LHS); err != nil {
			return err
		}
		return validateStage(x.RHS)
	case *Pipeline:
		return validatePipeline(x, false)
	case *ScalarFilter:
		agg, ok := x.LHS.(*Aggregate)
		if !ok {
			return verrf(x.Pos, "scalar filter lhs of type (%%v) not yet supported")
		}
		if x.Op == OpNone {
			return verrf(x.Pos, "aggregate %s must be compared with a value, e.g. %s > 1", agg, agg)
		}
		if err := validateAggregate(agg); err != nil {
			return err
		}
		lit, ok := x.RHS.(*ScalarLiteral)
		if !ok || !lit.Type.numeric() {
			return verrf(x.Pos, "scalar filter rhs must be a number or duration: %s", x)
		}
	case *GroupBy:
		if !referencesSpan(x.Expr) {
			return verrf(x.Pos, "grouping field expressions must reference the span: %s", x)
		}
		_, err := checkField(x.Expr)
		return err
	case *Select:
		for _, a := range x.Attrs {
			if err := validateAttr(a, Pos{Line: 1}); err != nil {
				return err
			}
		}
	case *metricsWrap:
		return verrf(Pos{Line: 1}, "metrics queries cannot be combined with spanset operators")
	}
	return nil
}

func validateAggregate(a *Aggregate) error {
	if a.Expr == nil {
		return nil
	}
	t, err := checkField(a.Expr)
	if err != nil {
		return err
	}
	if !(t.numeric() || t == TypeAttribute) {
		return verrf(a.Pos, "aggregate field expressions must resolve to a number type: %s", a)
	}
	return nil
}

func validateFilter(f *SpansetFilter) error {
	if f.Expr == nil {
		return nil
	}
	t, err := checkField(f.Expr)
	if err != nil {
		return err
	}
	if t != TypeBoolean && t != TypeAttribute {
		return verrf(f.Pos, "filter field expressions must resolve to a boolean: %s", f.Expr)
	}
	return nil
}

func referencesSpan(e FieldExpr) bool {
	switch x := e.(type) {
	case *AttrRef:
		return true
	case *BinaryOp:
		return referencesSpan(x.LHS) || referencesSpan(x.RHS)
	case *UnaryOp:
		return referencesSpan(x.Expr)
	}
	return false
}

func validateAttr(a Attribute, p Pos) error {
	if a.Scope == ScopeParent {
		return verrf(p, "parent not yet supported")
	}
	if a.Intrinsic == IntrinsicParent {
		return verrf(p, "intrinsic (parent) not yet supported")
	}
	return nil
}

func isIntrinsicForNil(e FieldExpr) bool {
	a, ok := e.(*AttrRef)
	if !ok {
		return false
	}
	return a.Intrinsic != IntrinsicNone || (a.Scope == ScopeResource && a.Name == "service.name")
}

// checkField type-checks a field expression and compiles regexes.
func checkField(e FieldExpr) (StaticType, error) {
	switch x := e.(type) {
	case *Literal:
		return x.Type, nil
	case *AttrRef:
		if err := validateAttr(x.Attribute, x.Pos); err != nil {
			return 0, err
		}
		return x.Intrinsic.Type(), nil
	case *UnaryOp:
		t, err := checkField(x.Expr)
		if err != nil {
			return 0, err
		}
		if x.Op == OpNot {
			if t != TypeBoolean && t != TypeAttribute {
				return 0, verrf(x.Pos, "illegal operation for the given type: %s", x)
			}
			return TypeBoolean, nil
		}
		if !t.numeric() && t != TypeAttribute {
			return 0, verrf(x.Pos, "illegal operation for the given type: %s", x)
		}
		return t, nil
	case *BinaryOp:
		lt, err := checkField(x.LHS)
		if err != nil {
			return 0, err
		}
		rt, err := checkField(x.RHS)
		if err != nil {
			return 0, err
		}
		desc := flat(x)
		switch {
		case x.Op == OpAnd || x.Op == OpOr:
			if !boolish(lt) || !boolish(rt) {
				return 0, verrf(x.Pos, "illegal operation for the given types: %s", desc)
			}
			return TypeBoolean, nil
		case x.Op == OpRegex || x.Op == OpNotRegex:
			lit, ok := x.RHS.(*Literal)
			if !ok || lit.Type != TypeString || !(lt == TypeString || lt == TypeAttribute) {
				return 0, verrf(x.Pos, "illegal operation for the given types: %s", desc)
			}
			re, err := regexp.Compile(lit.S)
			if err != nil {
				return 0, verrf(lit.Pos, "invalid regex: %v", err)
			}
			_ = re
			x.re = regexp.MustCompile("^(?:" + lit.S + ")$")
			return TypeBoolean, nil
		case x.Op.isArithmetic():
			if !numish(lt) || !numish(rt) {
				return 0, verrf(x.Pos, "illegal operation for the given types: %s", desc)
			}
			if lt == TypeAttribute || rt == TypeAttribute {
				return TypeAttribute, nil
			}
			if lt == TypeInt && rt == TypeInt {
				return TypeInt, nil
			}
			if lt == TypeDuration && rt != TypeFloat || rt == TypeDuration && lt != TypeFloat {
				return TypeDuration, nil
			}
			return TypeFloat, nil
		default: // comparisons
			if rt == TypeNil || lt == TypeNil {
				other := x.LHS
				if lt == TypeNil {
					other = x.RHS
				}
				if x.Op == OpEqual && isIntrinsicForNil(other) {
					return 0, verrf(x.Pos, "%s%s%s is not valid because intrinsics cannot be nil", other, x.Op, "nil")
				}
				if x.Op != OpEqual && x.Op != OpNotEqual {
					return 0, verrf(x.Pos, "illegal operation for the given types: %s", desc)
				}
				return TypeBoolean, nil
			}
			if lt != TypeAttribute && rt != TypeAttribute && lt != rt && !(lt.numeric() && rt.numeric()) {
				return 0, verrf(x.Pos, "binary operations must operate on the same type: %s", desc)
			}
			if x.Op != OpEqual && x.Op != OpNotEqual {
				for _, t := range []StaticType{lt, rt} {
					if t == TypeBoolean || t == TypeStatus || t == TypeKind {
						return 0, verrf(x.Pos, "illegal operation for the given types: %s", desc)
					}
				}
			}
			return TypeBoolean, nil
		}
	}
	return 0, verrf(Pos{Line: 1}, "unsupported expression %s", e)
}

func boolish(t StaticType) bool { return t == TypeBoolean || t == TypeAttribute }
func numish(t StaticType) bool  { return t.numeric() || t == TypeAttribute }
