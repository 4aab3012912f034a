package rowread

import (
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

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

// PageHeaders parses the page header at the start of b both ways: here
// (ok false when left to parquet-go) and with parquet-go's thrift decoder,
// each with the bytes it read. The statistics, which the parser here
// skips, are left out of parquet-go's.
func PageHeaders(b []byte) (fast format.PageHeader, n int, ok bool, slow format.PageHeader, m int, err error) {
	n, ok = parsePageHeader(b, &fast)
	var prot thrift.CompactProtocol
	r := prot.NewReaderFromBytes(b)
	err = thrift.NewDecoder(r).Decode(&slow)
	slow.DataPageHeaderV2.V.Statistics = format.Statistics{}
	slow.DataPageHeader.V.Statistics = format.Statistics{}
	return fast, n, ok, slow, int(r.BytesRead()), err
}
