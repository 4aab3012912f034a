package rowread

import (
	"io"
	"sync"

	"github.com/parquet-go/parquet-go"
)

// rowMem is what reading one row uses: the row's values, the bytes of its
// byte arrays and the bookkeeping. ReadRowKnowing uses a fresh one, so its
// rows own their memory; ReadRowShared takes one from a pool, and a lookup
// then allocates next to nothing here.
type rowMem struct {
	out   parquet.Row
	made  parquet.Row // made-up columns' values
	parts [2]rowPart
	plans []colPlan
	spans []span
	segs  [][]parquet.Value
	done  []bool
	state []uint8
}

var rowMemPool = sync.Pool{New: func() any {
	m := new(rowMem)
	m.parts[0].ar.grows, m.parts[1].ar.grows = true, true
	return m
}}

// Row is a row read into memory that is reused once released: Values and
// the byte arrays its values point to are valid until Release.
type Row struct {
	// Values are the row's values; a caller may replace them by a longer
	// row built in place (e.g. a schema conversion appending to it).
	Values parquet.Row
	m      *rowMem
}

// ReadRowShared is ReadRowKnowing into reused memory, with room for extra
// more values after the row's. The caller must call Release once it no
// longer needs the row, and keep nothing of it past that: no value, and no
// slice of a byte array (copy what it keeps, as parquet-go's Reconstruct
// does).
func (g *RowGroup) ReadRowShared(ra io.ReaderAt, row int64, col int, known []byte, extra int) (_ *Row, err error) {
	defer recoverInto(&err)
	m := rowMemPool.Get().(*rowMem)
	m.parts[0].ar.reset()
	m.parts[1].ar.reset()
	values, err := g.read(ra, row, col, known, m, extra)
	if err != nil {
		m.release(nil)
		return nil, err
	}
	return &Row{Values: values, m: m}, nil
}

// Release returns the row's memory for reuse.
func (r *Row) Release() {
	if r.m == nil {
		return
	}
	r.m.release(r.Values)
	r.m, r.Values = nil, nil
}

// release clears the values (so the pool keeps no byte arrays alive, and
// a row kept past Release shows empty) and pools m. values is the row as
// the caller last had it, kept when it grew past m.out.
func (m *rowMem) release(values parquet.Row) {
	clear(values)
	clear(m.out)
	if cap(values) > cap(m.out) {
		m.out = values
	}
	m.out = m.out[:0]
	clear(m.made)
	m.made = m.made[:0]
	for i := range m.parts {
		p := &m.parts[i]
		clear(p.out)
		p.out, p.err = p.out[:0], nil
	}
	clear(m.segs)
	clear(m.spans)
	rowMemPool.Put(m)
}
