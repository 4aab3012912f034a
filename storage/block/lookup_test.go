package block_test

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

// TestLookupsMatchIteration: a trace looked up by ID is exactly what a full
// scan decodes: the whole row from FindRow, the OTLP from FindTraceByID
// (which leaves the derived columns unread), with lookups running
// concurrently on one reader, over row groups and columns of many pages.
func TestLookupsMatchIteration(t *testing.T) {
	ctx := context.Background()
	for _, version := range block.Versions {
		t.Run(version, func(t *testing.T) {
			traces := generate(11, 1200, true)
			be := memBackend(t)
			m := writeBlock(t, be, block.Config{Version: version, RowGroupSizeBytes: 2 << 20, DedicatedColumns: vparquet.DefaultDedicatedColumns()}, traces)
			if m.TotalRecords < 2 {
				t.Fatalf("%d row groups: shrink them", m.TotalRecords)
			}
			r, err := block.OpenParquet(ctx, be, m)
			if err != nil {
				t.Fatal(err)
			}
			// vParquet5 rows are decoded from the file's schema, vParquet4's
			// by the codec: both must match the scan.
			if want := version == backend.VersionVParquet5; r.DecodesFromFileSchema() != want {
				t.Fatalf("decodes from the file schema: %v, want %v", !want, want)
			}
			var marshal ptrace.ProtoMarshaler
			wantRow := map[model.TraceID][]byte{}
			wantOTLP := map[model.TraceID][]byte{}
			if err := r.IterateRows(ctx, func(tr *vparquet.Trace) error {
				id := model.TraceIDFromBytes(tr.TraceID)
				j, err := json.Marshal(tr)
				if err != nil {
					return err
				}
				wantRow[id] = j
				wantOTLP[id], err = marshal.MarshalTraces(vparquet.ToOTLP(tr, r.Assignment()))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < len(traces); i += 4 {
						id := traces[i].id
						tr, ok, err := r.FindRow(ctx, id)
						if err != nil || !ok {
							t.Errorf("FindRow %s: %v %v", id, ok, err)
							return
						}
						if j, _ := json.Marshal(tr); !bytes.Equal(j, wantRow[id]) {
							t.Errorf("FindRow %s differs from the scanned row", id)
						}
						td, ok, err := r.FindTraceByID(ctx, id)
						if err != nil || !ok {
							t.Errorf("FindTraceByID %s: %v %v", id, ok, err)
							return
						}
						if b, _ := marshal.MarshalTraces(td); !bytes.Equal(b, wantOTLP[id]) {
							t.Errorf("FindTraceByID %s differs from the scanned trace", id)
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}
