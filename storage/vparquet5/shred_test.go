package vparquet5

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	pformat "github.com/parquet-go/parquet-go/format"

	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

// edgeRows are rows whose lists are empty at every depth, with values
// that test bounds: empty strings, bytes 0xFF beyond the index's 16-byte
// truncation, an unsupported value, arrays of every kind.
func edgeRows() []vparquet.Trace {
	long := strings.Repeat("\xff", 20) + "tail"
	unsupported := `{"kvlist":1}`
	attrs := []vparquet.Attribute{
		{Key: "", Value: []string{""}},
		{Key: long, Value: []string{long, "a"}, IsArray: true},
		{Key: "ints", ValueInt: []int64{-1, 1 << 62}, IsArray: true},
		{Key: "dbl", ValueDouble: []float64{0, -2.5}},
		{Key: "bool", ValueBool: []bool{true, false, true}},
		{Key: "odd", ValueUnsupported: &unsupported},
	}
	return []vparquet.Trace{
		{TraceID: bytes.Repeat([]byte{1}, 16), TraceIDText: "01"},
		{TraceID: bytes.Repeat([]byte{2}, 16), ResourceSpans: []vparquet.ResourceSpans{{}}},
		{TraceID: bytes.Repeat([]byte{3}, 16), ResourceSpans: []vparquet.ResourceSpans{{ScopeSpans: []vparquet.ScopeSpans{{}}}}},
		{TraceID: bytes.Repeat([]byte{4}, 16), ServiceStats: []vparquet.ServiceStats{{ServiceName: "a"}, {ServiceName: long, SpanCount: 1 << 31}},
			StartTimeUnixNano: 1 << 63, EndTimeUnixNano: 1,
			ResourceSpans: []vparquet.ResourceSpans{{
				Resource: vparquet.Resource{ServiceName: long, Attrs: attrs},
				ScopeSpans: []vparquet.ScopeSpans{{
					Scope: vparquet.Scope{Name: "s", Attrs: attrs},
					Spans: []vparquet.Span{
						{Name: "", StartTimeUnixNano: 1 << 63},
						{Name: long, Attrs: attrs, Kind: -1,
							Events: []vparquet.Event{{}, {Name: "e", Attrs: attrs}},
							Links:  []vparquet.Link{{}, {TraceID: []byte{0xff}, Attrs: attrs}},
						},
					},
				}, {}},
			}, {}},
		},
	}
}

// fill sets every dedicated slot of every scope, some as empty lists.
func fill(rows []vparquet.Trace) {
	for r := range rows {
		for i := range rows[r].ResourceSpans {
			rs := &rows[r].ResourceSpans[i]
			setSlots(&rs.Resource.DedicatedAttributes, r+i)
			for j := range rs.ScopeSpans {
				for k := range rs.ScopeSpans[j].Spans {
					sp := &rs.ScopeSpans[j].Spans[k]
					setSlots(&sp.DedicatedAttributes, r+k)
					for e := range sp.Events {
						setSlots(&sp.Events[e].DedicatedAttributes, r+e)
					}
				}
			}
		}
	}
}

func setSlots(d *vparquet.DedicatedAttributes, seed int) {
	for i := range vparquet.StringSlots {
		if (seed+i)%3 != 0 {
			*d.Str(i) = []string{fmt.Sprint("v", seed%7), strings.Repeat("x", i)}[:1+(seed+i)%2]
		}
	}
	for i := range vparquet.IntSlots {
		if (seed+i)%3 != 1 {
			*d.Int(i) = []int64{int64(seed), -int64(i)}[:1+(seed+i)%2]
		}
	}
}

func generated(seed uint64, n int, a *vparquet.Assignment) []vparquet.Trace {
	g := tracegen.New(seed, tracegen.Config{Exotic: true})
	rows := make([]vparquet.Trace, n)
	for i := range rows {
		id, td := g.Trace()
		vparquet.FromOTLP(id, td, a, &rows[i])
	}
	return rows
}

// TestShredWriterMatchesParquetGo: the shredding writer stores exactly
// the values and levels parquet-go's row writer stores, with the same
// column metadata, and indexes that bound every page.
func TestShredWriterMatchesParquetGo(t *testing.T) {
	dedicated := dedicatedCases()
	for name, dc := range dedicated {
		for _, pageSize := range []int{256, 4096, 64 * 1024} {
			t.Run(fmt.Sprintf("%s/page%d", name, pageSize), func(t *testing.T) {
				c, err := Format.NewCodec(dc)
				if err != nil {
					t.Fatal(err)
				}
				rows := append(edgeRows(), generated(uint64(pageSize), 300, c.Assignment())...)
				if name == "every slot" {
					fill(rows)
				}
				opts := []parquet.WriterOption{parquet.PageBufferSize(pageSize), parquet.DataPageVersion(2),
					parquet.DataPageStatistics(true), parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.DeltaLengthByteArray)}
				opts = append(opts, c.WriterOptions()...)
				var want, got bytes.Buffer
				writeRows(t, c.(*codec).newGenericRowWriter(&want, opts...), rows)
				writeRows(t, c.NewRowWriter(&got, opts...), rows)
				compareFiles(t, open(t, want.Bytes()), open(t, got.Bytes()))
			})
		}
	}
}

// writeRows writes rows in two row groups and a few batches.
func writeRows(t *testing.T, w vparquet.RowWriter, rows []vparquet.Trace) {
	t.Helper()
	half := len(rows) / 2
	for _, part := range [][]vparquet.Trace{rows[:3], rows[3:half], nil, rows[half:]} {
		if part == nil {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := w.Write(part); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func open(t *testing.T, b []byte) *parquet.File {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func compareFiles(t *testing.T, want, got *parquet.File) {
	t.Helper()
	if !parquet.EqualNodes(want.Schema(), got.Schema()) {
		t.Fatalf("schema differs:\n%s\n%s", want.Schema(), got.Schema())
	}
	wm, gm := want.Metadata(), got.Metadata()
	if len(wm.RowGroups) != len(gm.RowGroups) || wm.NumRows != gm.NumRows {
		t.Fatalf("row groups %d / rows %d, want %d / %d", len(gm.RowGroups), gm.NumRows, len(wm.RowGroups), wm.NumRows)
	}
	for r := range wm.RowGroups {
		wrg, grg := wm.RowGroups[r], gm.RowGroups[r]
		if wrg.NumRows != grg.NumRows {
			t.Fatalf("row group %d: %d rows, want %d", r, grg.NumRows, wrg.NumRows)
		}
		for i := range wrg.Columns {
			compareChunkMeta(t, r, &wrg.Columns[i].MetaData, &grg.Columns[i].MetaData)
		}
		compareRows(t, r, want.RowGroups()[r], got.RowGroups()[r])
		checkIndexes(t, r, got.RowGroups()[r])
	}
}

func compareChunkMeta(t *testing.T, rg int, w, g *pformat.ColumnMetaData) {
	t.Helper()
	path := strings.Join(g.PathInSchema, ".")
	sorted := func(es []pformat.Encoding) string {
		seen := map[pformat.Encoding]bool{}
		for _, e := range es {
			seen[e] = true
		}
		var s []string
		for e := pformat.Encoding(0); e < 16; e++ {
			if seen[e] {
				s = append(s, e.String())
			}
		}
		return strings.Join(s, ",")
	}
	if strings.Join(w.PathInSchema, ".") != path || w.Type != g.Type || w.Codec != g.Codec || w.NumValues != g.NumValues {
		t.Errorf("rg %d %s: type %v codec %v values %d, want %s %v %v %d", rg, path, g.Type, g.Codec, g.NumValues,
			strings.Join(w.PathInSchema, "."), w.Type, w.Codec, w.NumValues)
	}
	if sorted(w.Encoding) != sorted(g.Encoding) {
		t.Errorf("rg %d %s: encodings %s, want %s", rg, path, sorted(g.Encoding), sorted(w.Encoding))
	}
	if w.Statistics.NullCount != g.Statistics.NullCount ||
		!bytes.Equal(w.Statistics.MinValue, g.Statistics.MinValue) || !bytes.Equal(w.Statistics.MaxValue, g.Statistics.MaxValue) {
		t.Errorf("rg %d %s: stats nulls %d min %x max %x, want %d %x %x", rg, path,
			g.Statistics.NullCount, g.Statistics.MinValue, g.Statistics.MaxValue,
			w.Statistics.NullCount, w.Statistics.MinValue, w.Statistics.MaxValue)
	}
	if (w.DictionaryPageOffset != 0) != (g.DictionaryPageOffset != 0) {
		t.Errorf("rg %d %s: dictionary page offset %d, want one like %d", rg, path, g.DictionaryPageOffset, w.DictionaryPageOffset)
	}
}

// compareRows reads both row groups as rows of leveled values.
func compareRows(t *testing.T, rg int, want, got parquet.RowGroup) {
	t.Helper()
	read := func(g parquet.RowGroup) []parquet.Row {
		rows := g.Rows()
		defer rows.Close()
		var out []parquet.Row
		buf := make([]parquet.Row, 16)
		for {
			n, err := rows.ReadRows(buf)
			for _, r := range buf[:n] {
				out = append(out, r.Clone())
			}
			if err != nil {
				return out
			}
		}
	}
	w, g := read(want), read(got)
	if len(w) != len(g) {
		t.Fatalf("rg %d: %d rows, want %d", rg, len(g), len(w))
	}
	for i := range w {
		if len(w[i]) != len(g[i]) {
			t.Fatalf("rg %d row %d: %d values, want %d", rg, i, len(g[i]), len(w[i]))
		}
		for j := range w[i] {
			a, b := w[i][j], g[i][j]
			if a.Column() != b.Column() || a.RepetitionLevel() != b.RepetitionLevel() || a.DefinitionLevel() != b.DefinitionLevel() ||
				a.Kind() != b.Kind() || a.IsNull() != b.IsNull() || !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatalf("rg %d row %d value %d: column %d r%d d%d %v %q, want column %d r%d d%d %v %q", rg, i, j,
					b.Column(), b.RepetitionLevel(), b.DefinitionLevel(), b.Kind(), b.Bytes(),
					a.Column(), a.RepetitionLevel(), a.DefinitionLevel(), a.Kind(), a.Bytes())
			}
		}
	}
}

// checkIndexes: each page's column index bounds hold the page's values,
// its null count and null-page flag are right, and the offset index's
// first rows add up.
func checkIndexes(t *testing.T, rg int, g parquet.RowGroup) {
	t.Helper()
	for ci, cc := range g.ColumnChunks() {
		idx, err := cc.ColumnIndex()
		if err != nil {
			t.Fatalf("rg %d column %d: %v", rg, ci, err)
		}
		oi, err := cc.OffsetIndex()
		if err != nil {
			t.Fatalf("rg %d column %d: %v", rg, ci, err)
		}
		pages := cc.Pages()
		row := int64(0)
		typ := cc.Type()
		for p := 0; ; p++ {
			page, err := pages.ReadPage()
			if err != nil {
				if p != idx.NumPages() || p != oi.NumPages() {
					t.Fatalf("rg %d column %d: %d pages read, indexes have %d / %d (%v)", rg, ci, p, idx.NumPages(), oi.NumPages(), err)
				}
				break
			}
			if oi.FirstRowIndex(p) != row {
				t.Errorf("rg %d column %d page %d: first row %d, want %d", rg, ci, p, oi.FirstRowIndex(p), row)
			}
			row += page.NumRows()
			if idx.NullCount(p) != page.NumNulls() || idx.NullPage(p) != (page.NumNulls() == page.NumValues()) {
				t.Errorf("rg %d column %d page %d: nulls %d (null page %v), page has %d of %d", rg, ci, p, idx.NullCount(p), idx.NullPage(p), page.NumNulls(), page.NumValues())
			}
			lo, hi, ok := page.Bounds()
			if ok && len(idx.MinValue(p).Bytes()) > 0 {
				if typ.Compare(idx.MinValue(p), lo) > 0 || typ.Compare(idx.MaxValue(p), hi) < 0 {
					t.Errorf("rg %d column %d page %d: index bounds [%v, %v] do not hold [%v, %v]", rg, ci, p, idx.MinValue(p), idx.MaxValue(p), lo, hi)
				}
			}
			parquet.Release(page)
		}
		pages.Close()
		if row != g.NumRows() {
			t.Errorf("rg %d column %d: pages hold %d rows, want %d", rg, ci, row, g.NumRows())
		}
	}
}

// BenchmarkRowWriters: the shredding writer against parquet-go's row
// writer over the same generated rows (default dedicated columns, 64 KiB
// pages).
func BenchmarkRowWriters(b *testing.B) {
	c, err := Format.NewCodec(vparquet.DefaultDedicatedColumns())
	if err != nil {
		b.Fatal(err)
	}
	rows := generated(1, 2000, c.Assignment())
	spans := 0
	for i := range rows {
		for _, rs := range rows[i].ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				spans += len(ss.Spans)
			}
		}
	}
	opts := []parquet.WriterOption{parquet.PageBufferSize(64 << 10), parquet.DataPageVersion(2),
		parquet.DataPageStatistics(true), parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.DeltaLengthByteArray)}
	for name, newWriter := range map[string]func(*bytes.Buffer) vparquet.RowWriter{
		"shred":      func(w *bytes.Buffer) vparquet.RowWriter { return c.NewRowWriter(w, opts...) },
		"parquet-go": func(w *bytes.Buffer) vparquet.RowWriter { return c.(*codec).newGenericRowWriter(w, opts...) },
	} {
		b.Run(name, func(b *testing.B) {
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				w := newWriter(&buf)
				for i := 0; i < len(rows); i += 64 {
					if err := w.Write(rows[i:min(i+64, len(rows))]); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*spans), "ns/span")
			b.ReportMetric(0, "ns/op")
		})
	}
}
