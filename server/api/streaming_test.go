package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tempoctl/tempoctl/server/frontend"
	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/server/tempopb"
)

// streamEnv serves one querier over fixture blocks both ways: the HTTP API
// (httptest) and the StreamingQuerier on a real gRPC server, each on
// 127.0.0.1.
type streamEnv struct {
	http   string
	client *tempopb.StreamingQuerierClient
	conn   *grpc.ClientConn
}

func newStreamEnv(t *testing.T, opts Options, cfg querier.Config, tenants ...string) *streamEnv {
	t.Helper()
	return newStreamEnvOver(t, opts, func(q *querier.Querier) Querier { return q }, cfg, tenants...)
}

// newStreamEnvOver serves what over builds on the querier (a frontend).
func newStreamEnvOver(t *testing.T, opts Options, over func(*querier.Querier) Querier, cfg querier.Config, tenants ...string) *streamEnv {
	t.Helper()
	q := over(querier.New(fixtureBucket(t, tenants...), nil, nil, nil, cfg))
	if opts.Now == nil {
		opts.Now = func() time.Time { return time.Unix(winEnd, 0) }
	}
	gs := grpc.NewServer()
	RegisterStreaming(gs, q, opts)
	healthpb.RegisterHealthServer(gs, health.NewServer()) // beside ours: the codec must leave it alone
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	r := mux.NewRouter()
	Register(r, q, opts)
	hs := httptest.NewServer(r)
	t.Cleanup(hs.Close)
	return &streamEnv{http: hs.URL, client: tempopb.NewStreamingQuerierClient(conn), conn: conn}
}

// recvAll reads a stream to its end.
func recvAll[T any](stream grpc.ServerStreamingClient[T], err error) ([]*T, error) {
	if err != nil {
		return nil, err
	}
	var out []*T
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
}

func marshal(t *testing.T, m tempopb.Message) []byte {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// httpProto is the HTTP API's protobuf answer to path.
func (e *streamEnv) httpProto(t *testing.T, path string, headers ...string) []byte {
	t.Helper()
	resp, body := get(t, e.http+path, append([]string{"Accept", "application/protobuf"}, headers...)...)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return body
}

func withTenant(ctx context.Context, tenant string) context.Context {
	if tenant == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, TenantMetadataKey, tenant)
}

// streamCase is one call of each method and the HTTP request asking the
// same; want is the HTTP API's protobuf body.
type streamCase struct {
	name string
	path string
	call func(ctx context.Context, c *tempopb.StreamingQuerierClient) ([][]byte, error)
}

func collect[T any, PT interface {
	*T
	tempopb.Message
}](stream grpc.ServerStreamingClient[T], err error) ([][]byte, error) {
	msgs, err := recvAll(stream, err)
	var out [][]byte
	for _, m := range msgs {
		b, merr := PT(m).Marshal()
		if merr != nil {
			return nil, merr
		}
		out = append(out, b)
	}
	return out, err
}

func searchCase(name, path string, req *tempopb.SearchRequest) streamCase {
	return streamCase{name, path, func(ctx context.Context, c *tempopb.StreamingQuerierClient) ([][]byte, error) {
		return collect(c.Search(ctx, req))
	}}
}

func tagsCase(name, path string, v2 bool, req *tempopb.SearchTagsRequest) streamCase {
	return streamCase{name, path, func(ctx context.Context, c *tempopb.StreamingQuerierClient) ([][]byte, error) {
		if v2 {
			return collect(c.SearchTagsV2(ctx, req))
		}
		return collect(c.SearchTags(ctx, req))
	}}
}

func valuesCase(name, path string, v2 bool, req *tempopb.SearchTagValuesRequest) streamCase {
	return streamCase{name, path, func(ctx context.Context, c *tempopb.StreamingQuerierClient) ([][]byte, error) {
		if v2 {
			return collect(c.SearchTagValuesV2(ctx, req))
		}
		return collect(c.SearchTagValues(ctx, req))
	}}
}

// Every method's last message is what the HTTP API answers (byte for byte
// in protobuf) to the same question.
func TestStreamingMatchesHTTP(t *testing.T) {
	e := newStreamEnv(t, Options{}, querier.Config{}, "single-tenant")
	q := `{ resource.service.name = "frontend" && span.http.status_code >= 400 } | select(span.http.method)`
	cases := []streamCase{
		searchCase("search", "/api/search?q="+urlq(q)+"&limit=7&spss=2&"+window,
			&tempopb.SearchRequest{Query: q, Limit: 7, SpansPerSpanSet: 2, Start: winStart, End: winEnd}),
		searchCase("search spss 0 is unlimited", "/api/search?q="+urlq(`{ }`)+"&limit=3&spss=0&"+window,
			&tempopb.SearchRequest{Query: `{ }`, Limit: 3, Start: winStart, End: winEnd}),
		searchCase("search by()", "/api/search?q="+urlq(`{ } | by(resource.service.name)`)+"&spss=1&"+window,
			&tempopb.SearchRequest{Query: `{ } | by(resource.service.name)`, SpansPerSpanSet: 1, Start: winStart, End: winEnd}),
		searchCase("legacy tags and durations", "/api/search?tags="+urlq("service.name=frontend")+"&minDuration=10ms&maxDuration=10s&"+window,
			&tempopb.SearchRequest{Tags: map[string]string{"service.name": "frontend"}, MinDurationMs: 10, MaxDurationMs: 10000, SpansPerSpanSet: 3, Start: winStart, End: winEnd}),
		searchCase("recent window (start=end=0)", "/api/search?q="+urlq(`{ }`)+"&spss=3",
			&tempopb.SearchRequest{Query: `{ }`, SpansPerSpanSet: 3}),
		tagsCase("tags", "/api/search/tags?"+window, false, &tempopb.SearchTagsRequest{Start: winStart, End: winEnd}),
		tagsCase("tags span scope", "/api/search/tags?scope=span&"+window, false, &tempopb.SearchTagsRequest{Scope: "span", Start: winStart, End: winEnd}),
		tagsCase("tags intrinsic", "/api/search/tags?scope=intrinsic&"+window, false, &tempopb.SearchTagsRequest{Scope: "intrinsic", Start: winStart, End: winEnd}),
		tagsCase("tags v2", "/api/v2/search/tags?"+window, true, &tempopb.SearchTagsRequest{Start: winStart, End: winEnd}),
		tagsCase("tags v2 filtered, limited", "/api/v2/search/tags?scope=span&limit=3&q="+urlq(`{ span.db.system = "postgresql" }`)+"&"+window, true,
			&tempopb.SearchTagsRequest{Scope: "span", MaxTagsPerScope: 3, Query: `{ span.db.system = "postgresql" }`, Start: winStart, End: winEnd}),
		valuesCase("values", "/api/search/tag/service.name/values?"+window, false, &tempopb.SearchTagValuesRequest{TagName: "service.name", Start: winStart, End: winEnd}),
		valuesCase("values v2", "/api/v2/search/tag/span.http.status_code/values?"+window, true,
			&tempopb.SearchTagValuesRequest{TagName: "span.http.status_code", Start: winStart, End: winEnd}),
		valuesCase("values v2 filtered", "/api/v2/search/tag/resource.service.name/values?q="+urlq(`{ span.http.status_code = 500 }`)+"&"+window, true,
			&tempopb.SearchTagValuesRequest{TagName: "resource.service.name", Query: `{ span.http.status_code = 500 }`, Start: winStart, End: winEnd}),
		valuesCase("values v2 status keywords", "/api/v2/search/tag/status/values", true, &tempopb.SearchTagValuesRequest{TagName: "status"}),
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := e.httpProto(t, tc.path)
			msgs, err := tc.call(context.Background(), e.client)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) == 0 {
				t.Fatal("no message")
			}
			if last := msgs[len(msgs)-1]; !bytes.Equal(last, want) {
				t.Fatalf("last message (%d bytes) differs from the HTTP answer (%d bytes)", len(last), len(want))
			}
		})
	}
	// The search cases found something (equal but empty would prove little).
	var resp tempopb.SearchResponse
	if err := resp.Unmarshal(e.httpProto(t, cases[0].path)); err != nil || len(resp.Traces) == 0 || len(resp.Traces[0].SpanSets) == 0 {
		t.Fatalf("search answered %d traces (%v)", len(resp.Traces), err)
	}
	// The health service on the same server still speaks standard protobuf.
	hc, err := healthpb.NewHealthClient(e.conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || hc.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v %v", hc, err)
	}
}

// Bad requests are InvalidArgument with the HTTP API's 400 message.
func TestStreamingInvalidArgument(t *testing.T) {
	e := newStreamEnv(t, Options{}, querier.Config{}, "single-tenant")
	ctx := context.Background()
	cases := []struct {
		name string
		path string // HTTP equivalent, for its message; "" = msg
		msg  string
		call func() error
	}{
		{name: "bad TraceQL", path: "/api/search?q=" + urlq(`{ span.foo = }`) + "&" + window, call: func() error {
			_, err := collect(e.client.Search(ctx, &tempopb.SearchRequest{Query: `{ span.foo = }`, Start: winStart, End: winEnd}))
			return err
		}},
		{name: "metrics query in search", path: "/api/search?q=" + urlq(`{ } | rate()`) + "&" + window, call: func() error {
			_, err := collect(e.client.Search(ctx, &tempopb.SearchRequest{Query: `{ } | rate()`, Start: winStart, End: winEnd}))
			return err
		}},
		{name: "limit too large", path: "/api/search?q=%7B%7D&limit=300000", call: func() error {
			_, err := collect(e.client.Search(ctx, &tempopb.SearchRequest{Query: `{}`, Limit: 300000}))
			return err
		}},
		{name: "spss too large", path: "/api/search?q=%7B%7D&spss=101", call: func() error {
			_, err := collect(e.client.Search(ctx, &tempopb.SearchRequest{Query: `{}`, SpansPerSpanSet: 101}))
			return err
		}},
		{name: "tags and q", path: "/api/search?q=%7B%7D&tags=a%3Db", call: func() error {
			_, err := collect(e.client.Search(ctx, &tempopb.SearchRequest{Query: `{}`, Tags: map[string]string{"a": "b"}}))
			return err
		}},
		{name: "only start", msg: errOnlyOneOfStartEnd.Error(), call: func() error {
			_, err := collect(e.client.Search(ctx, &tempopb.SearchRequest{Query: `{}`, Start: winStart}))
			return err
		}},
		{name: "end before start", path: "/api/search/tags?start=20&end=10", call: func() error {
			_, err := collect(e.client.SearchTags(ctx, &tempopb.SearchTagsRequest{Start: 20, End: 10}))
			return err
		}},
		{name: "bad scope", path: "/api/v2/search/tags?scope=foo", call: func() error {
			_, err := collect(e.client.SearchTagsV2(ctx, &tempopb.SearchTagsRequest{Scope: "foo"}))
			return err
		}},
		{name: "v2 tag not an identifier", path: "/api/v2/search/tag/foo/values", call: func() error {
			_, err := collect(e.client.SearchTagValuesV2(ctx, &tempopb.SearchTagValuesRequest{TagName: "foo"}))
			return err
		}},
		{name: "empty tag name", msg: "please provide a non-empty tagName", call: func() error {
			_, err := collect(e.client.SearchTagValues(ctx, &tempopb.SearchTagValuesRequest{}))
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.msg
			if tc.path != "" {
				resp, body := get(t, e.http+tc.path)
				if resp.StatusCode != 400 {
					t.Fatalf("HTTP %d %s", resp.StatusCode, body)
				}
				want = strings.TrimSuffix(string(body), "\n")
			}
			err := tc.call()
			if s, _ := status.FromError(err); s.Code() != codes.InvalidArgument || s.Message() != want {
				t.Fatalf("got %v, want InvalidArgument %q", err, want)
			}
		})
	}
	for name, call := range map[string]func() error{
		"MetricsQueryRange": func() error {
			_, err := recvAll(e.client.MetricsQueryRange(ctx, &tempopb.QueryRangeRequest{Query: `{ } | rate()`, Step: uint64(time.Minute)}))
			return err
		},
		"MetricsQueryInstant": func() error {
			_, err := recvAll(e.client.MetricsQueryInstant(ctx, &tempopb.QueryInstantRequest{Query: `{ } | rate()`}))
			return err
		},
	} {
		if s, _ := status.FromError(call()); s.Code() != codes.Unimplemented || !strings.Contains(s.Message(), "TraceQL metrics") {
			t.Fatalf("%s: %v", name, s)
		}
	}
}

func TestStreamingTenants(t *testing.T) {
	e := newStreamEnv(t, Options{MultitenancyEnabled: true}, querier.Config{}, "acme", "globex")
	search := &tempopb.SearchRequest{Query: "{ }", Limit: 1000, Start: 1795464000, End: 1795467600}
	path := "/api/search?q=%7B%7D&limit=1000&spss=0&start=1795464000&end=1795467600"
	for _, tenant := range []string{"acme", "globex", "acme|globex"} {
		msgs, err := collect(e.client.Search(withTenant(context.Background(), tenant), search))
		if err != nil {
			t.Fatalf("%s: %v", tenant, err)
		}
		if want := e.httpProto(t, path, "X-Scope-OrgID", tenant); !bytes.Equal(msgs[len(msgs)-1], want) {
			t.Fatalf("%s: last message differs from the HTTP answer", tenant)
		}
		var resp tempopb.SearchResponse
		if err := resp.Unmarshal(msgs[len(msgs)-1]); err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 200, false: 100}[tenant == "acme|globex"]; len(resp.Traces) != want {
			t.Fatalf("%s: %d traces, want %d", tenant, len(resp.Traces), want)
		}
	}
	msgs, err := collect(e.client.SearchTagValuesV2(withTenant(context.Background(), "acme|globex"), &tempopb.SearchTagValuesRequest{TagName: "resource.service.name", Start: 1795464000, End: 1795467600}))
	if err != nil || !bytes.Equal(msgs[len(msgs)-1], e.httpProto(t, "/api/v2/search/tag/resource.service.name/values?start=1795464000&end=1795467600", "X-Scope-OrgID", "acme|globex")) {
		t.Fatalf("multi-tenant tag values: %v", err)
	}

	_, err = collect(e.client.Search(context.Background(), search))
	if s, _ := status.FromError(err); s.Code() != codes.Unauthenticated || !strings.HasPrefix(s.Message(), "no org id: ") {
		t.Fatalf("no tenant: %v", err)
	}
	ctx := metadata.AppendToOutgoingContext(context.Background(), TenantMetadataKey, "acme", TenantMetadataKey, "globex")
	if _, err = collect(e.client.SearchTags(ctx, &tempopb.SearchTagsRequest{})); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("two tenant values: %v", err)
	}
	if _, err = collect(e.client.SearchTags(withTenant(context.Background(), "bad/tenant"), &tempopb.SearchTagsRequest{})); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("malformed tenant: %v", err)
	}
}

// mergeSearch applies messages the way a streaming client does: a trace
// seen again replaces the earlier copy.
func mergeSearch(t *testing.T, msgs [][]byte) (map[string][]byte, []*tempopb.SearchResponse) {
	t.Helper()
	traces := map[string][]byte{}
	var decoded []*tempopb.SearchResponse
	for _, b := range msgs {
		var m tempopb.SearchResponse
		if err := m.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		if m.Metrics == nil {
			t.Fatal("a message without metrics")
		}
		for _, tr := range m.Traces {
			traces[tr.TraceID] = marshal(t, &tempopb.SearchResponse{Traces: append(m.Traces[:0:0], tr)})
		}
		decoded = append(decoded, &m)
	}
	return traces, decoded
}

// With a small packet size every message is cut into packets within it;
// merged, they give the HTTP answer, and every packet carries the metrics.
func TestStreamingPackets(t *testing.T) {
	const max = 1500
	// One block at a time: of two parts of a split trace with as many
	// matches, the one merged first stays, so a parallel search may keep
	// either and two runs would not compare equal.
	e := newStreamEnv(t, Options{MaxStreamPacketSize: max, MultitenancyEnabled: true}, querier.Config{Concurrency: 1}, "multi")
	ctx := withTenant(context.Background(), "multi")
	start, end := uint32(1795464000), uint32(1795467600)
	msgs, err := collect(e.client.Search(ctx, &tempopb.SearchRequest{Query: "{ }", Limit: 1000, SpansPerSpanSet: 2, Start: start, End: end}))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) < 10 {
		t.Fatalf("%d messages for 300 traces in %d-byte packets", len(msgs), max)
	}
	for i, m := range msgs {
		if len(m) > max {
			t.Fatalf("message %d is %d bytes", i, len(m))
		}
	}
	var want tempopb.SearchResponse
	if err := want.Unmarshal(e.httpProto(t, "/api/search?q=%7B%7D&limit=1000&spss=2&start=1795464000&end=1795467600", "X-Scope-OrgID", "multi")); err != nil {
		t.Fatal(err)
	}
	got, decoded := mergeSearch(t, msgs)
	if len(got) != len(want.Traces) || len(want.Traces) != 300 {
		t.Fatalf("merged %d traces, HTTP %d", len(got), len(want.Traces))
	}
	for _, tr := range want.Traces {
		if !bytes.Equal(got[tr.TraceID], marshal(t, &tempopb.SearchResponse{Traces: append(want.Traces[:0:0], tr)})) {
			var g tempopb.SearchResponse
			g.Unmarshal(got[tr.TraceID])
			t.Fatalf("trace %s differs after merging:\n%s\n%s", tr.TraceID, jsonOf(g.Traces[0]), jsonOf(tr))
		}
	}
	if last := decoded[len(decoded)-1]; !reflect.DeepEqual(last.Metrics, want.Metrics) {
		t.Fatalf("last packet metrics %+v, want %+v", last.Metrics, want.Metrics)
	}

	// Tag names by scope: packets name their scope; the union is the answer.
	const tmax = 120
	e = newStreamEnv(t, Options{MaxStreamPacketSize: tmax, MultitenancyEnabled: true}, querier.Config{}, "multi")
	tmsgs, err := recvAll(e.client.SearchTagsV2(ctx, &tempopb.SearchTagsRequest{Start: start, End: end}))
	if err != nil {
		t.Fatal(err)
	}
	var wantTags tempopb.SearchTagsV2Response
	if err := wantTags.Unmarshal(e.httpProto(t, "/api/v2/search/tags?start=1795464000&end=1795467600", "X-Scope-OrgID", "multi")); err != nil {
		t.Fatal(err)
	}
	union := map[string]map[string]bool{}
	for _, m := range tmsgs {
		if n := len(marshal(t, m)); n > tmax {
			t.Fatalf("tags packet of %d bytes", n)
		}
		for _, s := range m.Scopes {
			if union[s.Name] == nil {
				union[s.Name] = map[string]bool{}
			}
			for _, tag := range s.Tags {
				union[s.Name][tag] = true
			}
		}
	}
	for _, s := range wantTags.Scopes {
		if len(union[s.Name]) != len(s.Tags) {
			t.Fatalf("scope %s: %d names streamed, %d in the answer", s.Name, len(union[s.Name]), len(s.Tags))
		}
	}
	if len(tmsgs) < 3 {
		t.Fatalf("tag names came in %d packets", len(tmsgs))
	}
}

// With a short interval a search over several blocks sends progress: each
// message holds traces newest first and metrics that only grow; a client
// merging them ends with the complete answer. Served by the querier alone
// and through a query frontend (which runs a job per block).
func TestStreamingProgress(t *testing.T) {
	for name, over := range map[string]func(*querier.Querier) Querier{
		"querier": func(q *querier.Querier) Querier { return q },
		"frontend": func(q *querier.Querier) Querier {
			cfg := frontend.DefaultConfig()
			cfg.Search.ConcurrentJobs = 1 // one order of merges: runs compare equal
			return frontend.New(cfg, q, frontend.NewWorker(q, frontend.DefaultQuerierConfig()), frontend.Options{})
		},
	} {
		t.Run(name, func(t *testing.T) {
			opts := Options{StreamInterval: time.Millisecond, MultitenancyEnabled: true}
			e := newStreamEnvOver(t, opts, over, querier.Config{Concurrency: 1}, "multi")
			testStreamingProgress(t, e)
		})
	}
}

func testStreamingProgress(t *testing.T, e *streamEnv) {
	path := "/api/search?q=" + urlq(`{ span.http.method = "GET" }`) + "&limit=1000&spss=5&start=1795464000&end=1795467600"
	var want tempopb.SearchResponse
	if err := want.Unmarshal(e.httpProto(t, path, "X-Scope-OrgID", "multi")); err != nil {
		t.Fatal(err)
	}
	msgs, err := collect(e.client.Search(withTenant(context.Background(), "multi"), &tempopb.SearchRequest{Query: `{ span.http.method = "GET" }`, Limit: 1000, SpansPerSpanSet: 5, Start: 1795464000, End: 1795467600}))
	if err != nil {
		t.Fatal(err)
	}
	got, decoded := mergeSearch(t, msgs)
	var prev uint32
	for i, m := range decoded {
		if m.Metrics.CompletedJobs < prev {
			t.Fatalf("message %d: completed jobs went from %d to %d", i, prev, m.Metrics.CompletedJobs)
		}
		prev = m.Metrics.CompletedJobs
		for j := 1; j < len(m.Traces); j++ {
			if m.Traces[j-1].StartTimeUnixNano < m.Traces[j].StartTimeUnixNano {
				t.Fatalf("message %d not newest first", i)
			}
		}
	}
	if len(got) != len(want.Traces) || len(want.Traces) == 0 {
		t.Fatalf("merged %d traces, want %d", len(got), len(want.Traces))
	}
	for _, tr := range want.Traces {
		if !bytes.Equal(got[tr.TraceID], marshal(t, &tempopb.SearchResponse{Traces: append(want.Traces[:0:0], tr)})) {
			t.Fatalf("trace %s: the last copy streamed is not the final one", tr.TraceID)
		}
	}
	if !bytes.Equal(msgs[len(msgs)-1], marshal(t, &want)) {
		t.Fatal("the last message is not the HTTP answer")
	}
	t.Logf("%d messages (%d before the final answer)", len(msgs), len(msgs)-1)
}

func TestStreamingCanceled(t *testing.T) {
	e := newStreamEnv(t, Options{MultitenancyEnabled: true}, querier.Config{}, "multi")
	ctx, cancel := context.WithCancel(withTenant(context.Background(), "multi"))
	stream, err := e.client.Search(ctx, &tempopb.SearchRequest{Query: "{ }", Limit: 1000, Start: 1795464000, End: 1795467600})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := recvAll(stream, nil); status.Code(err) != codes.Canceled {
		t.Fatalf("after cancel: %v", err)
	}
}

func jsonOf(v any) string { b, _ := marshalJSON(v); return string(b) }
