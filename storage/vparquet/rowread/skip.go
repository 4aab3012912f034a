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

// synthesize appends skipped column col's values to row; the twin's values
// are row[from:to].
func synthesize(row parquet.Row, s synth, c *leaf, from, to int) parquet.Row {
	col, maxDef := c.col, c.maxDef
	zero := zeroValue(c.kind, c.typeLen)
	if s.twin < 0 {
		if s.def == maxDef {
			return append(row, zero.Level(s.rep, s.def, col))
		}
		return append(row, parquet.Value{}.Level(s.rep, s.def, col))
	}
	for k := from; k < to; k++ {
		rep, def := row[k].RepetitionLevel(), row[k].DefinitionLevel()
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
