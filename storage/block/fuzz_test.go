package block_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

// FuzzReadBlock: a corrupt data.parquet is an error, never a panic or hang.
// Seeds are small valid blocks of both versions.
func FuzzReadBlock(f *testing.F) {
	ctx := context.Background()
	type seed struct {
		meta *backend.BlockMeta
		data []byte
	}
	var seeds []seed
	for _, v := range block.Versions {
		be := memBackend(f)
		m := writeBlock(f, be, block.Config{Version: v, DedicatedColumns: vparquet.DefaultDedicatedColumns()}, generate(11, 3, true))
		data, err := be.ReadObject(ctx, "t1", m.BlockID, backend.DataName)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, seed{m, data})
		f.Add(uint8(len(seeds)-1), data)
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		s := seeds[int(which)%len(seeds)]
		be := memBackend(t)
		meta := *s.meta
		meta.Size = uint64(len(data))
		if err := be.WriteObjectBytes(ctx, meta.TenantID, meta.BlockID, backend.DataName, data); err != nil {
			t.Fatal(err)
		}
		bloomShard := make([]byte, 24+8*12800)
		copy(bloomShard, []byte{0, 0, 0, 0, 0, 0x0c, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0x0c, 0x80, 0})
		for i := 24; i < len(bloomShard); i++ {
			bloomShard[i] = 0xff // everything "may be" present: exercise the data path
		}
		if err := be.WriteObjectBytes(ctx, meta.TenantID, meta.BlockID, backend.BloomName(0), bloomShard); err != nil {
			t.Fatal(err)
		}
		meta.BloomShardCount = 1
		r, err := block.Open(ctx, be, &meta)
		if err != nil {
			return
		}
		_ = r.Iterate(ctx, func(id model.TraceID, td ptrace.Traces) error { return nil })
		_, _, _ = r.FindTraceByID(ctx, model.TraceID{1})
	})
}
