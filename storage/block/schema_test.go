package block_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/tempoctl/tempoctl/storage/block"
)

// describe renders a schema node by node: name, repetition, physical and
// logical type, in file order.
func describe(n parquet.Node, path string, out *[]string) {
	rep := "required"
	switch {
	case n.Repeated():
		rep = "repeated"
	case n.Optional():
		rep = "optional"
	}
	if n.Leaf() {
		lt := "-"
		if l := n.Type().LogicalType(); l != nil {
			lt = l.String()
		}
		*out = append(*out, fmt.Sprintf("%s %s %s %s", path, rep, n.Type().Kind(), lt))
		return
	}
	lt := ""
	if l := n.Type().LogicalType(); l != nil {
		lt = " " + l.String()
	}
	*out = append(*out, fmt.Sprintf("%s %s group%s", path, rep, lt))
	for _, f := range n.Fields() {
		describe(f, strings.TrimPrefix(path+"."+f.Name(), "."), out)
	}
}

// chunkProps lists each leaf's codec and data-page encodings in the first row
// group.
func chunkProps(f *parquet.File) []string {
	var out []string
	for _, c := range f.Metadata().RowGroups[0].Columns {
		var encs []string
		for _, e := range c.MetaData.Encoding {
			encs = append(encs, e.String())
		}
		slices.Sort(encs)
		out = append(out, fmt.Sprintf("%s %s %s", strings.Join(c.MetaData.PathInSchema, "."), c.MetaData.Codec, strings.Join(encs, ",")))
	}
	return out
}

func TestWrittenSchemaMatchesTempo(t *testing.T) {
	ctx := context.Background()
	src := fixtureBackend(t)
	for _, tenant := range []string{"single-tenant", "v4-tenant"} {
		t.Run(tenant, func(t *testing.T) {
			metas, _, err := src.BlockMetas(ctx, tenant)
			if err != nil {
				t.Fatal(err)
			}
			fm := metas[0]
			dst := memBackend(t)
			m := writeBlock(t, dst, block.Config{Version: fm.Version, DedicatedColumns: fm.DedicatedColumns}, generate(7, 50, true))

			open := func(r block.Reader) *parquet.File { return r.(interface{ File() *parquet.File }).File() }
			fr, err := block.Open(ctx, src, fm)
			if err != nil {
				t.Fatal(err)
			}
			mr, err := block.Open(ctx, dst, m)
			if err != nil {
				t.Fatal(err)
			}
			var want, got []string
			describe(open(fr).Schema(), "", &want)
			describe(open(mr).Schema(), "", &got)
			if len(want) < 50 {
				t.Fatalf("fixture schema has only %d nodes", len(want))
			}
			for i := 0; i < max(len(want), len(got)); i++ {
				var w, g string
				if i < len(want) {
					w = want[i]
				}
				if i < len(got) {
					g = got[i]
				}
				if w != g {
					t.Fatalf("node %d: tempoctl wrote %q, Tempo %q", i, g, w)
				}
			}
			wp, gp := chunkProps(open(fr)), chunkProps(open(mr))
			for i := range wp {
				if wp[i] != gp[i] {
					t.Errorf("column chunk %d: tempoctl %q, Tempo %q", i, gp[i], wp[i])
				}
			}
		})
	}
}
