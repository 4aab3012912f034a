package rowread

import (
	"slices"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
)

// A skipped column is not read; ReadRow still gives it values shaped like
// the rest of the row (zero values), so rows decode as usual: the column
// then just holds zeros. Only columns whose shape is known from another
// column are skipped:
//   - a column outside any list: one zero (or null) value;
//   - a column whose nearest list holds some other column read before it,
//     both required below that list: the twin's levels, zero values;
//   - a column under a top-level list whose columns are all skipped: that
//     list is empty.
type synth struct {
	twin int // column whose levels to copy, or -1 for a single value
	rep  int // of the single value
	def  int
}

// pathNodes returns the columns along path below root (leaf last), or nil.
func pathNodes(root *parquet.Column, path []string) []*parquet.Column {
	var out []*parquet.Column
	c := root
	for _, name := range path {
		if c = c.Column(name); c == nil {
			return nil
		}
		out = append(out, c)
	}
	return out
}

// planSkips decides which of the columns skip asks for can be synthesized.
func planSkips(file *parquet.File, skip func(path []string) bool) map[int]synth {
	if skip == nil {
		return nil
	}
	paths := file.Schema().Columns()
	root := file.Root()
	nodes := make([][]*parquet.Column, len(paths))
	wanted := make([]bool, len(paths))
	for i, p := range paths {
		nodes[i] = pathNodes(root, p)
		wanted[i] = nodes[i] != nil && skip(p)
	}
	// repeatedAt returns the depths (indexes into the path) of the leaf's
	// repeated ancestors (the leaf itself included).
	repeatedAt := func(i int) []int {
		var out []int
		for d, c := range nodes[i] {
			if c.Repeated() {
				out = append(out, d)
			}
		}
		return out
	}
	under := func(j int, prefix []string) bool {
		return len(paths[j]) > len(prefix) && slices.Equal(paths[j][:len(prefix)], prefix)
	}
	out := map[int]synth{}
	for i := range paths {
		if !wanted[i] {
			continue
		}
		leaf := nodes[i][len(nodes[i])-1]
		reps := repeatedAt(i)
		if len(reps) == 0 {
			out[i] = synth{twin: -1}
			continue
		}
		// A read twin under the nearest list, required below it.
		a := reps[len(reps)-1]
		prefix := paths[i][:a+1]
		defA := nodes[i][a].MaxDefinitionLevel()
		found := false
		if leaf.MaxDefinitionLevel() == defA && a < len(nodes[i])-1 {
			for j := 0; j < i; j++ {
				if wanted[j] || !under(j, prefix) {
					continue
				}
				t := nodes[j][len(nodes[j])-1]
				if t.MaxRepetitionLevel() == leaf.MaxRepetitionLevel() && t.MaxDefinitionLevel() == defA {
					out[i] = synth{twin: j}
					found = true
					break
				}
			}
		}
		if found {
			continue
		}
		// A top-level list with nothing read below it is empty.
		top := paths[i][:reps[0]+1]
		all := true
		for j := range paths {
			if under(j, top) && !wanted[j] {
				all = false
				break
			}
		}
		if all {
			out[i] = synth{twin: -1, def: nodes[i][reps[0]].MaxDefinitionLevel() - 1}
		}
	}
	return out
}

// nullsLike appends to row column col's values for a row where they are
// all null: the levels of its null twin's values twin.
func nullsLike(row parquet.Row, col int, twin []parquet.Value) parquet.Row {
	for _, t := range twin {
		row = append(row, parquet.Value{}.Level(t.RepetitionLevel(), t.DefinitionLevel(), col))
	}
	return row
}

// synthesize appends skipped column col's values to row, shaped like the
// twin's values.
func synthesize(row parquet.Row, s synth, c *leaf, twin []parquet.Value) parquet.Row {
	col, maxDef := c.col, c.maxDef
	zero := zeroValue(c.kind, c.typeLen)
	if s.twin < 0 {
		if s.def == maxDef {
			return append(row, zero.Level(s.rep, s.def, col))
		}
		return append(row, parquet.Value{}.Level(s.rep, s.def, col))
	}
	for _, t := range twin {
		rep, def := t.RepetitionLevel(), t.DefinitionLevel()
		v := parquet.Value{}
		if def == maxDef {
			v = zero
		}
		row = append(row, v.Level(rep, def, col))
	}
	return row
}

func zeroValue(kind parquet.Kind, typeLen int) parquet.Value {
	switch kind {
	case parquet.Boolean:
		return parquet.BooleanValue(false)
	case parquet.Int32:
		return parquet.Int32Value(0)
	case parquet.Int64:
		return parquet.Int64Value(0)
	case parquet.Int96:
		return parquet.Int96Value(deprecated.Int96{})
	case parquet.Float:
		return parquet.FloatValue(0)
	case parquet.Double:
		return parquet.DoubleValue(0)
	case parquet.ByteArray:
		return parquet.ByteArrayValue([]byte{})
	case parquet.FixedLenByteArray:
		return parquet.FixedLenByteArrayValue(make([]byte, max(typeLen, 0)))
	}
	return parquet.Value{}
}

// planNullTwins finds, for each column, a column whose levels its own
// levels equal in a row whose values in it are all null (a null page, by
// the column index), so such a page need not be read; -1 where there is
// none. With B the column's deepest repeated node:
//   - an optional leaf under B (required in between) has one level per
//     slot of B, as has any column required below B: it copies one;
//   - a column required below B (B itself, for a list of values) holding
//     no value means B is empty everywhere in the page: it has one level
//     per slot of B's own nearest list (or of the row), as has any column
//     required below that one, provided nothing optional lies between.
func planNullTwins(file *parquet.File) []int {
	paths := file.Schema().Columns()
	root := file.Root()
	nodes := make([][]*parquet.Column, len(paths))
	for i, p := range paths {
		nodes[i] = pathNodes(root, p)
	}
	// requiredUnder returns a column under path[:depth] (the whole row for
	// depth 0), other than not, that holds a value in every slot there:
	// maxRep reps and maxDef def.
	requiredUnder := func(prefix []string, reps, def, not int) int {
		for j, p := range paths {
			if j == not || nodes[j] == nil || len(p) <= len(prefix) || !slices.Equal(p[:len(prefix)], prefix) {
				continue
			}
			leaf := nodes[j][len(nodes[j])-1]
			if leaf.MaxRepetitionLevel() == reps && leaf.MaxDefinitionLevel() == def {
				return j
			}
		}
		return -1
	}
	out := make([]int, len(paths))
	for i := range paths {
		out[i] = -1
		ns := nodes[i]
		if ns == nil {
			continue
		}
		leaf := ns[len(ns)-1]
		b := -1 // depth of B
		for d, c := range ns {
			if c.Repeated() {
				b = d
			}
		}
		if b < 0 {
			continue
		}
		defB := ns[b].MaxDefinitionLevel()
		between := func(from, to int) bool { // nothing optional or repeated strictly between
			for d := from + 1; d < to; d++ {
				if !ns[d].Required() {
					return false
				}
			}
			return true
		}
		switch {
		case b < len(ns)-1 && leaf.Optional() && leaf.MaxDefinitionLevel() == defB+1 && between(b, len(ns)-1):
			out[i] = requiredUnder(paths[i][:b+1], leaf.MaxRepetitionLevel(), defB, i)
		case leaf.MaxDefinitionLevel() == defB:
			up := -1 // depth of B's nearest list
			for d := b - 1; d >= 0; d-- {
				if ns[d].Repeated() {
					up = d
					break
				}
			}
			defUp := 0
			if up >= 0 {
				defUp = ns[up].MaxDefinitionLevel()
			}
			if defB == defUp+1 && between(up, b) {
				out[i] = requiredUnder(paths[i][:up+1], ns[b].MaxRepetitionLevel()-1, defUp, i)
			}
		}
	}
	return out
}
