package search

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/traceql"
)

var (
	fuzzOnce sync.Once
	fuzzMeta *backend.BlockMeta
	fuzzData []byte
)

// fuzzBlock is a small generated block (several row groups) and its data.
func fuzzBlock(t testing.TB) (*backend.BlockMeta, []byte) {
	fuzzOnce.Do(func() {
		be, r := writeGenerated(t, backend.VersionVParquet5, 41, 40, true)
		m := r.Meta()
		rc, err := be.Bucket().Get(context.Background(), backend.ObjectKey(m.TenantID, m.BlockID, backend.DataName))
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		data, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		fuzzMeta, fuzzData = m, data
	})
	return fuzzMeta, fuzzData
}

// FuzzSearchCorruptData flips bytes in a block's pages (the footer stays
// valid so the block opens) and searches and lists tags: every outcome
// must be a result or an error, never a panic or a hang.
func FuzzSearchCorruptData(f *testing.F) {
	f.Add(uint32(100), byte(0xff), uint16(1))
	f.Add(uint32(4000), byte(0x01), uint16(64))
	f.Add(uint32(12345), byte(0x80), uint16(300))
	f.Add(uint32(0), byte(0x5a), uint16(2000))
	f.Fuzz(func(t *testing.T, off uint32, xor byte, n uint16) {
		meta, orig := fuzzBlock(t)
		data := bytes.Clone(orig)
		footer := int(meta.FooterSize) + 8
		if footer <= 0 || footer >= len(data) {
			footer = len(data) / 4
		}
		body := len(data) - footer - 4
		if body <= 0 || xor == 0 {
			return
		}
		start := 4 + int(off)%body
		for i := start; i < start+int(n) && i < 4+body; i++ {
			data[i] ^= xor
		}
		ctx := context.Background()
		be, err := backend.Open(ctx, backend.Config{Backend: "memory"})
		if err != nil {
			t.Fatal(err)
		}
		m := *meta
		if err := be.WriteObjectBytes(ctx, m.TenantID, m.BlockID, backend.DataName, data); err != nil {
			t.Fatal(err)
		}
		r, err := block.OpenParquet(ctx, be, &m)
		if err != nil {
			return // the reader refused it: fine
		}
		// A narrow window too: its search reads the condition columns for
		// the rows in it only, skipping pages.
		mid := m.StartTime.Add(m.EndTime.Sub(m.StartTime) / 3)
		windows := []traceql.SearchOptions{{Limit: 1000}, {Limit: 1000, Start: mid, End: mid.Add(2 * time.Second)}}
		for _, q := range []string{`{ status = error && span.http.request.method = "GET" }`, `{ resource.service.name != "svc-1" } >> { }`} {
			for _, opts := range windows {
				_, _ = traceql.NewEngine().ExecuteSearch(ctx, q, NewFetcher(r), opts)
			}
		}
		_, _ = TagNames(ctx, r, TagRequest{}, traceql.ScopeNone, func(traceql.Scope, string) {})
		_, _ = TagValues(ctx, r, TagRequest{}, traceql.NewAttribute("service.name"), true, func(traceql.Static) bool { return true })
	})
}
