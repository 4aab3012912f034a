package frontend

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"google.golang.org/grpc"

	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/traceql"
)

// remoteSetup is a querier "process" (its job routes on a real HTTP
// server, counting the jobs it answers) registered over real gRPC with a
// frontend that has a fallback querier of its own over the same bucket.
func remoteSetup(t *testing.T) (*Frontend, *Frontend, *Remote, *httptest.Server, *atomic.Int64) {
	t.Helper()
	remoteQ := querier.New(fixtureBucket(t), nil, nil, nil, querier.Config{})
	r := mux.NewRouter()
	RegisterQuerierAPI(r, NewWorker(remoteQ, QuerierConfig{}), "")
	jobs := &atomic.Int64{}
	qsrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		jobs.Add(1)
		r.ServeHTTP(w, req)
	}))
	t.Cleanup(qsrv.Close)

	localQ := querier.New(fixtureBucket(t), nil, nil, nil, querier.Config{})
	remote := NewRemote(NewWorker(localQ, QuerierConfig{}), "", 3*RegisterInterval)
	gs := grpc.NewServer()
	RegisterQuerierService(gs, remote)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go gs.Serve(l)
	t.Cleanup(gs.Stop)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The querier advertises an unspecified host: the frontend fills
		// in the caller's.
		_, port, _ := net.SplitHostPort(qsrv.Listener.Addr().String())
		RegisterWithFrontend(ctx, l.Addr().String(), net.JoinHostPort("0.0.0.0", port), nil)
	}()
	t.Cleanup(func() { cancel(); <-done })
	for deadline := time.Now().Add(10 * time.Second); len(remote.Queriers()) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("querier did not register")
		}
	}
	if got := remote.Queriers()[0]; got != qsrv.URL {
		t.Fatalf("registered %s, want %s", got, qsrv.URL)
	}
	cfg := Config{MaxRetries: 2, Search: SearchConfig{TargetBytesPerJob: 20_000}}
	viaRemote := New(cfg, localQ, remote, Options{Now: func() time.Time { return fixtureNow }})
	// The same queries answered in one process, for comparison.
	local := New(cfg, remoteQ, NewWorker(remoteQ, QuerierConfig{}), Options{Now: func() time.Time { return fixtureNow }})
	return viaRemote, local, remote, qsrv, jobs
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRemoteQuerier: jobs sent over HTTP to a registered querier answer
// what the same jobs answer in process.
func TestRemoteQuerier(t *testing.T) {
	viaRemote, local, remote, qsrv, jobs := remoteSetup(t)
	ctx := context.Background()

	for _, tenant := range []string{"rowgroups", "multi"} {
		for _, req := range []querier.SearchRequest{
			{Query: `{ resource.service.name = "payment" } | select(span.http.method)`, Limit: 1000, SpansPerSpanSet: 2},
			{Tags: map[string]string{"service.name": "payment", "http.method": "GET"}, MinDuration: time.Millisecond, Limit: 1000},
			{Query: `{ }`, Limit: 3},
		} {
			req.Tenant, req.Start, req.End = tenant, fixtureStart, fixtureEnd
			want, err := local.Search(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := viaRemote.Search(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if req.Limit == 3 {
				if len(got.Traces) != 3 {
					t.Fatalf("%s limit 3: %d traces", tenant, len(got.Traces))
				}
				continue
			}
			got.Metrics, want.Metrics = nil, nil
			if g, w := jsonOf(t, got), jsonOf(t, want); g != w || len(want.Traces) == 0 {
				t.Fatalf("%s %+v:\nremote %.400s\nlocal  %.400s", tenant, req, g, w)
			}
		}
	}
	for _, td := range expectedTraces(t, "multi")[:20] {
		req := querier.TraceByIDRequest{Tenant: "multi", ID: traceID(td)}
		got, err := viaRemote.FindTraceByID(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Found || got.Trace.SpanCount() != td.SpanCount() {
			t.Fatalf("trace %s: found %v, %d spans, want %d", req.ID, got.Found, got.Trace.SpanCount(), td.SpanCount())
		}
	}
	tags, err := viaRemote.TagNames(ctx, querier.TagsRequest{Tenant: "multi", Scope: "resource", Start: fixtureStart, End: fixtureEnd})
	if err != nil {
		t.Fatal(err)
	}
	wantTags, _ := local.TagNames(ctx, querier.TagsRequest{Tenant: "multi", Scope: "resource", Start: fixtureStart, End: fixtureEnd})
	if jsonOf(t, tags.Scopes) != jsonOf(t, wantTags.Scopes) || len(tags.Scopes["resource"]) == 0 {
		t.Fatalf("tags %v, want %v", tags.Scopes, wantTags.Scopes)
	}
	for _, vr := range []querier.TagValuesRequest{
		{Tag: traceql.NewScopedAttribute(traceql.ScopeResource, "service.name")},
		{Tag: traceql.NewIntrinsic(traceql.IntrinsicName), Query: `{ resource.service.name = "payment" }`},
		{Name: "http.method", V1: true},
	} {
		vr.Tenant, vr.Start, vr.End = "multi", fixtureStart, fixtureEnd
		got, err := viaRemote.TagValues(ctx, vr)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := local.TagValues(ctx, vr)
		if jsonOf(t, got.Values) != jsonOf(t, want.Values) || len(want.Values) == 0 {
			t.Fatalf("values of %v: %v, want %v", vr.Tag, got.Values, want.Values)
		}
	}
	_, err = viaRemote.Search(ctx, querier.SearchRequest{Tenant: "multi", Query: "{ status = }"})
	var inv *querier.InvalidRequestError
	if !errors.As(err, &inv) {
		t.Fatalf("bad query: %v", err)
	}

	sent := jobs.Load()
	if sent < 30 {
		t.Fatalf("only %d jobs reached the remote querier", sent)
	}

	// A querier that went away is dropped (the failed job is tried again)
	// and jobs run on the fallback.
	qsrv.Close()
	td := expectedTraces(t, "multi")[0]
	res, err := viaRemote.FindTraceByID(ctx, querier.TraceByIDRequest{Tenant: "multi", ID: traceID(td)})
	if err != nil || !res.Found || res.Trace.SpanCount() != td.SpanCount() {
		t.Fatalf("after the querier left: found %v, %v", res != nil && res.Found, err)
	}
	if n := len(remote.Queriers()); n != 0 || jobs.Load() > sent+int64(viaRemote.cfg.TraceByID.QueryShards) {
		t.Fatalf("%d queriers still registered, %d jobs sent", n, jobs.Load()-sent)
	}
}
