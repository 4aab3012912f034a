package app

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestSplitProcessesSeeLiveData: with distributor, ingester and query
// frontend in their own processes, the ingester registers with the frontend
// and answers the live part of lookups, searches and tag queries — a trace
// not yet flushed is found through the frontend.
func TestSplitProcessesSeeLiveData(t *testing.T) {
	fe, bucket := startApp(t, "-target=query-frontend")
	ing, _ := startApp(t, "-target=ingester", "-storage.trace.local.path="+bucket,
		"-querier.frontend_worker.frontend_address="+fe.GRPCAddr(), "-ingester.max_block_duration=1h")
	dist, _ := startApp(t, "-target=distributor", "-ingester_client.address="+ing.GRPCAddr())

	ctx := context.Background()
	tp := sdkTracer(t, dist, "live-split", true)
	_, span := tp.Tracer("e2e").Start(ctx, "not flushed yet")
	span.End()
	id := span.SpanContext().TraceID().String()
	tp.Shutdown(ctx)

	base := "http://" + fe.HTTPAddr()
	start, end := time.Now().Add(-time.Hour).Unix(), time.Now().Add(time.Minute).Unix()
	window := "&start=" + itoa(start) + "&end=" + itoa(end)
	checks := []struct{ what, path, want string }{
		{"trace by ID", "/api/traces/" + id, "not flushed yet"},
		{"search", "/api/search?q=" + url.QueryEscape(`{ resource.service.name = "live-split" }`) + window, strings.TrimLeft(id, "0")},
		{"tag values", "/api/v2/search/tag/resource.service.name/values?" + window[1:], "live-split"},
		{"tag names", "/api/v2/search/tags?scope=resource", "service.name"},
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, c := range checks {
		for {
			code, body := get(t, base+c.path)
			if code == 200 && strings.Contains(body, c.want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s through the frontend: %d %.300s", c.what, code, body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// Nothing was flushed: the answers came from the ingester's memory.
	if _, m := get(t, "http://"+ing.HTTPAddr()+"/metrics"); !strings.Contains(m, "tempo_ingester_blocks_flushed_total 0") {
		t.Errorf("a block was flushed: %s", grepLines(m, "blocks_flushed"))
	}
}

// TestQuerierServingTheAPISeesLiveData: a querier answering the query API
// itself takes ingesters' registrations as a frontend does, and asks them
// for the live part.
func TestQuerierServingTheAPISeesLiveData(t *testing.T) {
	q, bucket := startApp(t, "-target=querier")
	ing, _ := startApp(t, "-target=ingester", "-storage.trace.local.path="+bucket,
		"-querier.frontend_worker.frontend_address="+q.GRPCAddr(), "-ingester.max_block_duration=1h")
	dist, _ := startApp(t, "-target=distributor", "-ingester_client.address="+ing.GRPCAddr())

	ctx := context.Background()
	tp := sdkTracer(t, dist, "live-querier", true)
	_, span := tp.Tracer("e2e").Start(ctx, "only in memory")
	span.End()
	id := span.SpanContext().TraceID().String()
	tp.Shutdown(ctx)

	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		code, body := get(t, "http://"+q.HTTPAddr()+"/api/traces/"+id)
		if code == 200 && strings.Contains(body, "only in memory") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace through the querier: %d %.300s", code, body)
		}
	}
}
