package traceql

// Structural relations are computed from nested-set numbers (block format
// §9), which Parquet blocks store and the memory fetcher computes, so both
// storage kinds share this logic.

type pos struct{ left, right, parent int32 }

func posOf(s Span) pos {
	l, r, p := s.NestedSet()
	return pos{l, r, p}
}

func (p pos) known() bool { return p.left != 0 }

// related reports whether b stands in relation rel to a ("b is a child of a", …).
func related(rel Operator, a, b pos) bool {
	if !a.known() || !b.known() {
		return false
	}
	switch rel {
	case OpSpansetChild:
		return b.parent == a.left
	case OpSpansetParent:
		return a.parent == b.left
	case OpSpansetDescendant:
		return a.left < b.left && b.right < a.right
	case OpSpansetAncestor:
		return b.left < a.left && a.right < b.right
	case OpSpansetSibling:
		return a.parent == b.parent && a.parent != 0 && a.left != b.left
	}
	return false
}

func baseRelation(op Operator) (rel Operator, not, union bool) {
	switch op {
	case OpSpansetNotChild:
		return OpSpansetChild, true, false
	case OpSpansetNotParent:
		return OpSpansetParent, true, false
	case OpSpansetNotDescendant:
		return OpSpansetDescendant, true, false
	case OpSpansetNotAncestor:
		return OpSpansetAncestor, true, false
	case OpSpansetNotSibling:
		return OpSpansetSibling, true, false
	case OpSpansetUnionChild:
		return OpSpansetChild, false, true
	case OpSpansetUnionParent:
		return OpSpansetParent, false, true
	case OpSpansetUnionDescendant:
		return OpSpansetDescendant, false, true
	case OpSpansetUnionAncestor:
		return OpSpansetAncestor, false, true
	case OpSpansetUnionSibling:
		return OpSpansetSibling, false, true
	}
	return op, false, false
}

// spansetOp combines the spans selected by the two sides within one trace.
func spansetOp(op Operator, l, r []Span) []Span {
	switch op {
	case OpSpansetAnd:
		if len(l) == 0 || len(r) == 0 {
			return nil
		}
		return union(l, r)
	case OpSpansetOr:
		return union(l, r)
	}
	rel, not, uni := baseRelation(op)
	lp := make([]pos, len(l))
	for i, s := range l {
		lp[i] = posOf(s)
	}
	var outR []Span
	matchedL := make([]bool, len(l))
	for _, b := range r {
		bp := posOf(b)
		hit := false
		for i, a := range lp {
			if related(rel, a, bp) {
				hit = true
				if !uni {
					break
				}
				matchedL[i] = true
			}
		}
		if hit != not {
			outR = append(outR, b)
		}
	}
	if !uni {
		return outR
	}
	if len(outR) == 0 {
		return nil
	}
	var outL []Span
	for i, s := range l {
		if matchedL[i] {
			outL = append(outL, s)
		}
	}
	return union(outL, outR)
}
