package vparquet5

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

// TestRowWriterSchemaIsThePrunedSchema: the row type, re-tagged, yields the
// pruned file schema exactly, so parquet-go takes its columnar write path
// (a mismatch would silently fall back to per-value reflection).
func TestRowWriterSchemaIsThePrunedSchema(t *testing.T) {
	for name, dc := range dedicatedCases() {
		t.Run(name, func(t *testing.T) {
			c, err := Format.NewCodec(dc)
			if err != nil {
				t.Fatal(err)
			}
			w := c.(*codec).newGenericRowWriter(&bytes.Buffer{}).(rowWriter).w
			if !parquet.EqualNodes(w.Schema(), c.WriteSchema()) {
				t.Fatalf("row writer schema:\n%s\npruned schema:\n%s", w.Schema(), c.WriteSchema())
			}
		})
	}
}

// dedicatedCases are the dedicated-column configurations writers are
// tested with: none, the default, blobs and arrays, every slot of every
// scope.
func dedicatedCases() map[string]backend.DedicatedColumns {
	var all backend.DedicatedColumns
	for _, scope := range []string{vparquet.ScopeResource, vparquet.ScopeSpan, vparquet.ScopeEvent} {
		for i := range vparquet.StringSlots {
			all = append(all, backend.DedicatedColumn{Scope: scope, Name: fmt.Sprintf("s%d", i)})
		}
		for i := range vparquet.IntSlots {
			all = append(all, backend.DedicatedColumn{Scope: scope, Name: fmt.Sprintf("i%d", i), Type: vparquet.TypeInt})
		}
	}
	return map[string]backend.DedicatedColumns{
		"none":    nil,
		"default": vparquet.DefaultDedicatedColumns(),
		"blob and array": append(vparquet.DefaultDedicatedColumns(),
			backend.DedicatedColumn{Name: "payload", Options: []string{vparquet.OptionBlob}},
			backend.DedicatedColumn{Name: "sizes", Type: vparquet.TypeInt, Options: []string{vparquet.OptionBlob, vparquet.OptionArray}},
			backend.DedicatedColumn{Scope: vparquet.ScopeEvent, Name: "exception.message"}),
		"every slot": all,
	}
}
