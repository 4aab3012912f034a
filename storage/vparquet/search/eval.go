package search

import (
	"github.com/parquet-go/parquet-go"

	"github.com/tempoctl/tempoctl/traceql"
)

// ---- row-group pruning ----

// possible reports whether some value of col in the row group may satisfy
// cond, from the chunk's statistics and (when every page is
// dictionary-encoded) its dictionary. It never reads data pages.
func possible(cr *chunkReader, col *column, cv conv, cond *traceql.Condition, useBounds bool) (bool, error) {
	md := &cr.meta.Columns[col.index].MetaData
	if md.NumValues == 0 {
		return false, nil
	}
	if col.maxDef > 0 && md.Statistics.NullCount > 0 && md.Statistics.NullCount >= md.NumValues {
		return false, nil // only nulls / empty lists
	}
	if useBounds {
		if lo, hi, ok := cr.bounds(col); ok {
			lv, ok1 := cv(lo)
			hv, ok2 := cv(hi)
			if ok1 && ok2 && boundsExclude(cond, lv, hv) {
				return false, nil
			}
		}
	}
	if col.kind != parquet.ByteArray {
		return true, nil
	}
	d, err := cr.dictionary(col)
	if err != nil || d == nil {
		return true, err
	}
	for i := 0; i < d.Len(); i++ {
		v, ok := cv(d.Index(int32(i)))
		if ok && cond.MatchValue(v) {
			return true, nil
		}
	}
	return false, nil
}

// order compares two values with the engine's semantics; ok is false when
// they have no order. Status and kind compare by code for this purpose.
func order(a, b traceql.Static) (int, bool) {
	if (a.Type == traceql.TypeStatus || a.Type == traceql.TypeKind) && a.Type == b.Type {
		switch {
		case a.N < b.N:
			return -1, true
		case a.N > b.N:
			return 1, true
		}
		return 0, true
	}
	lt := traceql.Condition{Op: traceql.OpLess, Operands: []traceql.Static{b}}
	gt := traceql.Condition{Op: traceql.OpGreater, Operands: []traceql.Static{b}}
	eq := traceql.Condition{Op: traceql.OpEqual, Operands: []traceql.Static{b}}
	switch {
	case lt.MatchValue(a):
		return -1, true
	case gt.MatchValue(a):
		return 1, true
	case eq.MatchValue(a):
		return 0, true
	}
	return 0, false
}

// boundsExclude reports whether no value in [lo, hi] can satisfy cond.
func boundsExclude(cond *traceql.Condition, lo, hi traceql.Static) bool {
	if len(cond.Operands) == 0 {
		return false
	}
	x := cond.Operands[0]
	switch cond.Op {
	case traceql.OpEqual:
		c1, ok1 := order(x, lo)
		c2, ok2 := order(x, hi)
		return ok1 && c1 < 0 || ok2 && c2 > 0
	case traceql.OpLess:
		c, ok := order(lo, x)
		return ok && c >= 0
	case traceql.OpLessEqual:
		c, ok := order(lo, x)
		return ok && c > 0
	case traceql.OpGreater:
		c, ok := order(hi, x)
		return ok && c <= 0
	case traceql.OpGreaterEqual:
		c, ok := order(hi, x)
		return ok && c < 0
	}
	return false
}

func (s *valueSource) possible(p *pred, cr *chunkReader) (bool, error) {
	return possible(cr, s.col, s.conv, p.cond, !p.negated)
}

func (s *attrSource) possible(p *pred, cr *chunkReader) (bool, error) {
	if ok, err := keyPossible(cr, s.key, s.name); err != nil || !ok {
		return false, err
	}
	if p.negated {
		return true, nil // empty and mismatching arrays satisfy != and !~
	}
	if s.unsupported != nil {
		umd := &cr.meta.Columns[s.unsupported.index].MetaData
		if umd.Statistics.NullCount < umd.NumValues {
			return true, nil
		}
	}
	for i, c := range s.values {
		ok, err := possible(cr, c, s.convs[i], p.cond, true)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// keyPossible reports whether an attribute named name may be in the key
// column of the row group (its dictionary, when complete, is checked).
func keyPossible(cr *chunkReader, key *column, name string) (bool, error) {
	md := &cr.meta.Columns[key.index].MetaData
	if md.Statistics.NullCount > 0 && md.Statistics.NullCount >= md.NumValues {
		return false, nil // no attributes at all
	}
	d, err := cr.dictionary(key)
	if err != nil || d == nil {
		return err == nil, err
	}
	for i := 0; i < d.Len(); i++ {
		if string(d.Index(int32(i)).ByteArray()) == name {
			return true, nil
		}
	}
	return false, nil
}

// prepare decides which of p's sources may match in the row group; it
// returns false when none can (the condition is false everywhere in it).
func (p *pred) prepare(cr *chunkReader, live []bool) (bool, error) {
	any := false
	for i, s := range p.values {
		ok, err := s.possible(p, cr)
		if err != nil {
			return false, err
		}
		live[i] = ok
		any = any || ok
	}
	for i, s := range p.attrs {
		ok, err := s.possible(p, cr)
		if err != nil {
			return false, err
		}
		live[len(p.values)+i] = ok
		any = any || ok
	}
	return any, nil
}

// ---- evaluation over columns ----

// eval marks, per level, the ordinals whose values satisfy the condition.
func (p *pred) eval(cr *chunkReader, live []bool) error {
	p.resetBits()
	for i, s := range p.values {
		if live[i] {
			if err := p.evalValue(cr, s); err != nil {
				return err
			}
		}
	}
	for i, s := range p.attrs {
		if live[len(p.values)+i] {
			if err := p.evalAttr(cr, s); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *pred) evalValue(cr *chunkReader, s *valueSource) error {
	if s.group < 0 || !p.negated {
		// Each value on its own: any match marks its owner.
		var cache dictCache
		if fast := s.fast; fast != nil {
			int32s := s.col.kind == parquet.Int32
			return cr.scan(s.col, func(cu *cursor, v parquet.Value, _ int32) {
				if !cu.defined() {
					return
				}
				n := v.Int64()
				if int32s {
					n = int64(v.Int32())
				}
				if fast(n) {
					p.mark(s.owner, cu.at(s.owner), cu.row)
				}
			})
		}
		return cr.scan(s.col, func(cu *cursor, v parquet.Value, di int32) {
			if cu.defined() && p.test(&cache, p.cond, s.conv, v, di) {
				p.mark(s.owner, cu.at(s.owner), cu.row)
			}
		})
	}
	// Negated test on a repeated slot: the instance's values are one array
	// ("no element equals").
	cur, owner, row := int32(-1), int32(-1), int32(-1)
	var vals []traceql.Static
	flush := func() {
		var x traceql.Static
		switch len(vals) {
		case 0:
			return
		case 1:
			x = vals[0]
		default:
			x = traceql.NewArray(vals)
		}
		if p.cond.MatchValue(x) {
			p.mark(s.owner, owner, row)
		}
		vals = vals[:0]
	}
	err := cr.scan(s.col, func(cu *cursor, v parquet.Value, _ int32) {
		inst := cu.at(s.group)
		if inst != cur {
			flush()
			cur, owner, row = inst, cu.at(s.owner), cu.row
		}
		if cu.defined() {
			if x, ok := s.conv(v); ok {
				vals = append(vals, retain(x))
			}
		}
	})
	flush()
	return err
}

// test evaluates cond on a column value, once per dictionary entry.
func (p *pred) test(cache *dictCache, cond *traceql.Condition, cv conv, v parquet.Value, di int32) bool {
	switch cache.get(di) {
	case 1:
		return true
	case -1:
		return false
	}
	x, ok := cv(v)
	hit := ok && cond.MatchValue(x)
	cache.put(di, hit)
	return hit
}

// evalAttr: find the attributes named s.name (Key column), then test their
// values in the typed columns, walking both in attribute order.
func (p *pred) evalAttr(cr *chunkReader, s *attrSource) error {
	var attrs, owners, rows []int32
	var keyCache dictCache
	err := cr.scan(s.key, func(cu *cursor, v parquet.Value, di int32) {
		if !cu.defined() {
			return
		}
		hit := false
		switch keyCache.get(di) {
		case 1:
			hit = true
		case 0:
			hit = string(v.ByteArray()) == s.name
			keyCache.put(di, hit)
		}
		if hit {
			attrs = append(attrs, cu.at(s.attrLevel))
			owners = append(owners, cu.at(s.owner))
			rows = append(rows, cu.row)
		}
	})
	if err != nil || len(attrs) == 0 {
		return err
	}
	n := len(attrs)
	res := make([]bool, n)
	// walk calls fn(j, v, di) for each defined value of c that belongs to
	// the j-th selected attribute.
	walk := func(c *column, fn func(j int, v parquet.Value, di int32)) error {
		j := 0
		return cr.scan(c, func(cu *cursor, v parquet.Value, di int32) {
			if !cu.defined() {
				return
			}
			a := cu.at(s.attrLevel)
			for j < n && attrs[j] < a {
				j++
			}
			if j < n && attrs[j] == a {
				fn(j, v, di)
			}
		})
	}
	var isArr, anyPos []bool
	if p.negated {
		isArr, anyPos = make([]bool, n), make([]bool, n)
		if s.isArray != nil {
			if err := walk(s.isArray, func(j int, v parquet.Value, _ int32) { isArr[j] = v.Boolean() }); err != nil {
				return err
			}
		}
	}
	for i, c := range s.values {
		cv := s.convs[i]
		var condCache, posCache dictCache
		err := walk(c, func(j int, v parquet.Value, di int32) {
			if p.negated && isArr[j] {
				if p.test(&posCache, p.positive, cv, v, di) {
					anyPos[j] = true
				}
				return
			}
			if p.test(&condCache, p.cond, cv, v, di) {
				res[j] = true
			}
		})
		if err != nil {
			return err
		}
	}
	if p.negated {
		for j := range res {
			if isArr[j] && !anyPos[j] {
				res[j] = true
			}
		}
	}
	if s.unsupported != nil {
		// Mixed arrays and other JSON-held values: may match.
		if err := walk(s.unsupported, func(j int, _ parquet.Value, _ int32) { res[j] = true }); err != nil {
			return err
		}
	}
	for j, ok := range res {
		if ok {
			p.mark(s.owner, owners[j], rows[j])
		}
	}
	return nil
}

// ---- combining ----

// skeleton maps the ordinals of one entity level to their row, rs and ss.
type skeleton struct {
	level             int
	filled            bool
	rowOf, rsOf, ssOf []int32
}

func (sk *skeleton) observe(cu *cursor) {
	o := cu.at(sk.level)
	if o < 0 || int(o) != len(sk.rowOf) {
		return
	}
	sk.rowOf = append(sk.rowOf, cu.row)
	if sk.level > levelRS {
		sk.rsOf = append(sk.rsOf, cu.at(levelRS))
	}
	if sk.level > levelSS {
		sk.ssOf = append(sk.ssOf, cu.at(levelSS))
	}
}

func (sk *skeleton) ancestor(o int32, level int) int32 {
	switch {
	case level == sk.level:
		return o
	case level == levelRow:
		return sk.rowOf[o]
	case level == levelRS:
		return sk.rsOf[o]
	default:
		return sk.ssOf[o]
	}
}

// skeletonColumns are cheap columns to learn the entity structure from when
// no condition column did.
var skeletonColumns = map[int][]string{
	levelRS:   {"rs", "Resource", "ServiceName"},
	levelSS:   {"rs", "ss", "Scope", "Name"},
	levelSpan: {"rs", "ss", "Spans", "StatusCode"},
}

// holdsAt reports whether p holds for ordinal o of the skeleton's level:
// any of its sources matched o or one of o's ancestors.
func (p *pred) holdsAt(sk *skeleton, o int32, mask uint8) bool {
	for l := levelRow; l <= sk.level; l++ {
		if mask&(1<<l) != 0 && p.bits[l].has(sk.ancestor(o, l)) {
			return true
		}
	}
	return false
}
