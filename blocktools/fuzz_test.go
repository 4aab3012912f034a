package blocktools

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

func FuzzParseTraceIDs(f *testing.F) {
	f.Add("abcd\n# comment\n0000000000000000000000000000abce, ff")
	f.Fuzz(func(t *testing.T, s string) {
		ids, err := ParseTraceIDs(s)
		if err != nil {
			return
		}
		// Every ID printed and parsed again is the same ID.
		var text string
		for _, id := range ids {
			text += id.String() + "\n"
		}
		again, err := ParseTraceIDs(text)
		if err != nil || len(again) != len(ids) {
			t.Fatalf("round trip of %v: %v %v", ids, again, err)
		}
		for i := range ids {
			if again[i] != ids[i] {
				t.Fatalf("round trip: %s became %s", ids[i], again[i])
			}
		}
	})
}

func FuzzParseRedactAttr(f *testing.F) {
	f.Add("span.user.email")
	f.Add(`resource."a b"`)
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseRedactAttr(s)
		if err != nil {
			return
		}
		if a.Name == "" {
			t.Fatalf("%q parsed with an empty name", s)
		}
	})
}

// FuzzVerifyData: whatever data.parquet holds, Verify (and its repair)
// reports and returns, never panics or hangs. Seeds are small valid blocks
// of both versions.
func FuzzVerifyData(f *testing.F) {
	ctx := context.Background()
	var metas []*backend.BlockMeta
	for _, v := range block.Versions {
		be := memBackend(f)
		m := writeBlock(f, be, "t1", block.Config{Version: v, DedicatedColumns: vparquet.DefaultDedicatedColumns()}, generate(3, 3))
		data, err := be.ReadObject(ctx, "t1", m.BlockID, backend.DataName)
		if err != nil {
			f.Fatal(err)
		}
		metas = append(metas, m)
		f.Add(uint8(len(metas)-1), false, data)
	}
	f.Fuzz(func(t *testing.T, which uint8, repair bool, data []byte) {
		m := *metas[int(which)%len(metas)]
		m.BlockID = uuid.New()
		be := memBackend(t)
		if err := be.WriteMeta(ctx, &m); err != nil {
			t.Fatal(err)
		}
		if err := be.WriteObjectBytes(ctx, "t1", m.BlockID, backend.DataName, data); err != nil {
			t.Fatal(err)
		}
		res, err := Verify(ctx, be, VerifyOptions{Repair: repair})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Blocks) != 1 {
			t.Fatalf("%d reports", len(res.Blocks))
		}
	})
}
