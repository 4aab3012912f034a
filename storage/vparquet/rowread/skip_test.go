package rowread_test

import (
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/vparquet/rowread"
)

// derived names columns a reader may leave unread: top-level ones, a whole
// top-level list, and span columns beside SpanID.
func derived(path []string) bool {
	switch path[0] {
	case "TraceIDText", "DurationNano", "ServiceStats":
		return true
	}
	last := path[len(path)-1]
	return slices.Contains(path, "Spans") && !slices.Contains(path, "Events") && !slices.Contains(path, "Links") &&
		!slices.Contains(path, "Attrs") && (last == "ParentID" || last == "NestedSetLeft" || last == "ChildCount")
}

// TestReadRowSkips: skipped columns come back shaped like the row (the
// levels of the column read in their place, or an empty top-level list)
// holding zeros; every other column is exactly parquet-go's. Rows are found
// by their TraceID first and read knowing it, as a lookup does.
func TestReadRowSkips(t *testing.T) {
	for _, version := range []string{backend.VersionVParquet5, backend.VersionVParquet4} {
		t.Run(version, func(t *testing.T) {
			r := writeGenerated(t, version, 34, 600, 256<<10)
			file := r.File()
			paths := file.Schema().Columns()
			idCol, _ := file.Schema().Lookup("TraceID")
			skipped := 0
			for g, rg := range file.RowGroups() {
				rr, err := rowread.NewRowGroup(file, g, derived)
				if err != nil {
					t.Fatal(err)
				}
				all := make([]int32, rg.NumRows())
				for i := range all {
					all[i] = int32(i)
				}
				for i, want := range parquetRows(t, rg, all) {
					id := column(want, idCol.ColumnIndex)[0].ByteArray()
					row, ok, err := rr.FindSorted(file, idCol.ColumnIndex, id)
					if err != nil || !ok || row != int64(i) {
						t.Fatalf("row group %d: row %d found at %d (%v %v)", g, i, row, ok, err)
					}
					got, err := rr.ReadRowKnowing(file, row, idCol.ColumnIndex, id)
					if err != nil {
						t.Fatalf("row group %d row %d: %v", g, i, err)
					}
					for c, path := range paths {
						w, gt := column(want, c), column(got, c)
						if !derived(path) {
							if !parquet.Row(gt).Equal(w) {
								t.Fatalf("row group %d row %d column %v differs", g, i, path)
							}
							continue
						}
						skipped++
						if path[0] == "ServiceStats" {
							if len(gt) != 1 || gt[0].DefinitionLevel() != 0 || gt[0].RepetitionLevel() != 0 {
								t.Fatalf("column %v: %v, want an empty list", path, gt)
							}
							continue
						}
						if len(gt) != len(w) {
							t.Fatalf("column %v: %d values, want %d", path, len(gt), len(w))
						}
						for k := range w {
							if gt[k].RepetitionLevel() != w[k].RepetitionLevel() || gt[k].DefinitionLevel() != w[k].DefinitionLevel() {
								t.Fatalf("column %v value %d: levels %d/%d, want %d/%d", path, k,
									gt[k].RepetitionLevel(), gt[k].DefinitionLevel(), w[k].RepetitionLevel(), w[k].DefinitionLevel())
							}
							if !gt[k].IsNull() && !isZero(gt[k]) {
								t.Fatalf("column %v value %d: %v, want zero", path, k, gt[k])
							}
						}
					}
				}
			}
			if skipped == 0 {
				t.Fatal("nothing skipped")
			}
		})
	}
}

func column(row parquet.Row, c int) []parquet.Value {
	var out []parquet.Value
	for _, v := range row {
		if v.Column() == c {
			out = append(out, v)
		}
	}
	return out
}

func isZero(v parquet.Value) bool {
	switch v.Kind() {
	case parquet.Boolean:
		return !v.Boolean()
	case parquet.Int32:
		return v.Int32() == 0
	case parquet.Int64:
		return v.Int64() == 0
	case parquet.Double:
		return v.Double() == 0
	case parquet.ByteArray:
		return len(v.ByteArray()) == 0
	}
	return false
}
