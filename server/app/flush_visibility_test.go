package app

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSearchSeesTracesAcrossFlushes: searches running while the ingester
// flushes its block always see every trace — in memory before the flush, in
// the new block after it, never in neither (the block list is re-read when
// the block lands, before the traces leave memory).
func TestSearchSeesTracesAcrossFlushes(t *testing.T) {
	a, _ := startApp(t)
	base := "http://" + a.HTTPAddr()
	ctx := context.Background()
	tp := sdkTracer(t, a, "visible", false)
	const n = 30
	for range n {
		_, sp := tp.Tracer("t").Start(ctx, "op")
		sp.End()
	}
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	flushed := func() int {
		_, body := get(t, base+"/metrics")
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, "tempo_ingester_blocks_flushed_total ") {
				v, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
				return int(v)
			}
		}
		return 0
	}
	q := base + "/api/search?limit=1000&q=" + url.QueryEscape(`{ resource.service.name = "visible" }`)
	count := func() int {
		code, body := get(t, q)
		if code != 200 {
			t.Fatalf("search: %d %s", code, body)
		}
		var resp struct{ Traces []json.RawMessage }
		if err := json.Unmarshal([]byte(body), &resp); err != nil {
			t.Fatal(err)
		}
		return len(resp.Traces)
	}
	// Wait for all of them to be searchable, then search without pause
	// through the flush and past the block list's cache age.
	deadline := time.Now().Add(20 * time.Second)
	for count() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d traces sent, not all searchable", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	before := flushed()
	var after time.Time
	searches := 0
	for {
		if c := count(); c != n {
			t.Fatalf("search %d found %d of %d traces (blocks flushed: %d -> %d)", searches, c, n, before, flushed())
		}
		searches++
		if after.IsZero() && flushed() > before {
			after = time.Now()
		}
		if !after.IsZero() && time.Since(after) > 3*time.Second {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no block flushed")
		}
	}
}
