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
	ing, id := liveBehind(t, fe, bucket, "live-split", "not flushed yet")

	base := "http://" + fe.HTTPAddr()
	start, end := time.Now().Add(-time.Hour).Unix(), time.Now().Add(time.Minute).Unix()
	window := "&start=" + itoa(start) + "&end=" + itoa(end)
	checks := []struct{ what, path, want string }{
		{"trace by ID", "/api/traces/" + id, "not flushed yet"},
		{"search", "/api/search?q=" + url.QueryEscape(`{ resource.service.name = "live-split" }`) + window, strings.TrimLeft(id, "0")},
		{"tag values", "/api/v2/search/tag/resource.service.name/values?" + window[1:], "live-split"},
		{"tag names", "/api/v2/search/tags?scope=resource", "service.name"},
	}
	for _, c := range checks {
		waitFor(t, c.what+" through the frontend", base+c.path, c.want)
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
	_, id := liveBehind(t, q, bucket, "live-querier", "only in memory")
	waitFor(t, "trace through the querier", "http://"+q.HTTPAddr()+"/api/traces/"+id, "only in memory")
}

// liveBehind starts an ingester registering with reader (a frontend or a
// querier) and a distributor in front of it, sends one span named name of
// service through the distributor, and returns the ingester and the trace
// ID. Nothing is flushed (max_block_duration 1h).
func liveBehind(t *testing.T, reader *App, bucket, service, name string) (*App, string) {
	t.Helper()
	ing, _ := startApp(t, "-target=ingester", "-storage.trace.local.path="+bucket,
		"-querier.frontend_worker.frontend_address="+reader.GRPCAddr(), "-ingester.max_block_duration=1h")
	dist, _ := startApp(t, "-target=distributor", "-ingester_client.address="+ing.GRPCAddr())
	ctx := context.Background()
	tp := sdkTracer(t, dist, service, true)
	_, span := tp.Tracer("e2e").Start(ctx, name)
	span.End()
	tp.Shutdown(ctx)
	return ing, span.SpanContext().TraceID().String()
}

// waitFor polls url until it answers 200 with want in the body (20 s).
func waitFor(t *testing.T, what, url, want string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		code, body := get(t, url)
		if code == 200 && strings.Contains(body, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d %.300s", what, code, body)
		}
	}
}
