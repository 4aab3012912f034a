package rowread_test

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/vparquet"
	"github.com/tempoctl/tempoctl/storage/vparquet/rowread"
)

// TestPageHeaders: every page header of generated and Tempo-written blocks
// (data pages v2 and dictionaries, with statistics or without) is parsed
// here exactly as parquet-go's thrift decoder does; corrupted headers the
// parser here accepts, parquet-go reads the same.
func TestPageHeaders(t *testing.T) {
	readers := fixtureReaders(t)
	for _, v := range []string{backend.VersionVParquet5, backend.VersionVParquet4} {
		readers = append(readers, writeGenerated(t, v, 36, 300, 64<<20))
	}
	rnd := rand.New(rand.NewPCG(2, 2))
	parsed, mutated, accepted := 0, 0, 0
	for _, r := range readers {
		for _, b := range pageHeaderBytes(t, r) {
			fast, n, ok, slow, m, err := rowread.PageHeaders(b)
			if err != nil || !ok {
				t.Fatalf("%s: parsed here %v, by parquet-go: %v", r.Meta().BlockID, ok, err)
			}
			if n != m || !reflect.DeepEqual(fast, slow) {
				t.Fatalf("%s: header differs (%d / %d bytes):\n here    %+v\n parquet %+v", r.Meta().BlockID, n, m, fast, slow)
			}
			parsed++
			for range 20 {
				c := append([]byte(nil), b[:n]...)
				for range 1 + rnd.IntN(3) {
					c[rnd.IntN(len(c))] = byte(rnd.UintN(256))
				}
				c = c[:rnd.IntN(len(c)+1)]
				mutated++
				fast, n, ok, slow, m, err := rowread.PageHeaders(c)
				if !ok {
					continue
				}
				accepted++
				if err != nil || n != m || !reflect.DeepEqual(fast, slow) {
					t.Fatalf("corrupt header %x: here %+v (%d bytes), parquet-go %+v (%d bytes, %v)", c, fast, n, slow, m, err)
				}
			}
		}
	}
	if parsed < 100 || accepted == 0 {
		t.Fatalf("%d headers, %d of %d corrupted ones accepted: the test reads too little", parsed, accepted, mutated)
	}
}

// pageHeaderBytes returns the first bytes of every page (dictionary and
// data pages) of every column chunk of r.
func pageHeaderBytes(t *testing.T, r *vparquet.Reader) [][]byte {
	t.Helper()
	file := r.File()
	var out [][]byte
	read := func(off int64) []byte {
		b := make([]byte, min(512, file.Size()-off))
		if _, err := file.ReadAt(b, off); err != nil {
			t.Fatal(err)
		}
		return b
	}
	for g, rg := range file.RowGroups() {
		for c, chunk := range rg.ColumnChunks() {
			fc := chunk.(*parquet.FileColumnChunk)
			oi, err := fc.OffsetIndex()
			if err != nil {
				t.Fatalf("row group %d column %d: %v", g, c, err)
			}
			md := file.Metadata().RowGroups[g].Columns[c].MetaData
			if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < oi.Offset(0) {
				out = append(out, read(md.DictionaryPageOffset))
			}
			for p := range oi.NumPages() {
				out = append(out, read(oi.Offset(p)))
			}
		}
	}
	return out
}
