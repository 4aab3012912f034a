package rowread

// SetParallelBytes sets the weight from which ReadRow reads in two halves
// and returns the old value.
func SetParallelBytes(n int64) int64 {
	old := parallelBytes
	parallelBytes = n
	return old
}

// PageShortcuts counts, for reading row, the columns made up from a null
// page's twin and those whose page is constant.
func (g *RowGroup) PageShortcuts(row int64) (nulls, consts int) {
	for i := range g.chunks {
		c := &g.chunks[i]
		if !c.ok || c.synth != nil || c.nulls == nil {
			continue
		}
		p := pageOf(c.locs, row)
		switch {
		case c.nulls[p] && c.nullTwin >= 0:
			nulls++
		case c.hasKonst[p]:
			consts++
		}
	}
	return nulls, consts
}
