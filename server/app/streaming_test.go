package app

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/tempoctl/tempoctl/server/tempopb"
)

func dial(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// getProto is the HTTP API's protobuf answer.
func getProto(t *testing.T, url string, into tempopb.Message) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", "application/protobuf")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if err := into.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
}

// last reads a stream to its end and returns its last message.
func last[T any](stream grpc.ServerStreamingClient[T], err error) (*T, int, error) {
	if err != nil {
		return nil, 0, err
	}
	var m *T
	n := 0
	for {
		next, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return m, n, nil
		}
		if err != nil {
			return nil, n, err
		}
		m, n = next, n+1
	}
}

// TestStreamingQuerierServe pushes traces with the OTel SDK into a real
// serve process and asks the StreamingQuerier on the gRPC port and (with
// stream_over_http_enabled) on the HTTP port: the answers are the HTTP
// API's. The health service answers on the gRPC port.
func TestStreamingQuerierServe(t *testing.T) {
	a, _ := startApp(t, "-stream_over_http_enabled=true")
	base := "http://" + a.HTTPAddr()

	ctx := context.Background()
	tp := sdkTracer(t, a, "stream-e2e", true)
	const n = 4
	for i := 0; i < n; i++ {
		ctx, root := tp.Tracer("e2e").Start(ctx, "GET /stream", trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attribute.Int("attempt", i)))
		_, child := tp.Tracer("e2e").Start(ctx, "query db", trace.WithAttributes(attribute.String("db.system", "postgresql")))
		child.End()
		root.End()
	}
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	q := `{ resource.service.name = "stream-e2e" }`
	searchURL := base + "/api/search?q=" + "%7B%20resource.service.name%20%3D%20%22stream-e2e%22%20%7D&spss=0"
	deadline := time.Now().Add(20 * time.Second)
	for {
		var resp tempopb.SearchResponse
		getProto(t, searchURL, &resp)
		if len(resp.Traces) == n && resp.Traces[0].RootServiceName == "stream-e2e" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("HTTP search finds %d of %d traces after 20s", len(resp.Traces), n)
		}
		time.Sleep(200 * time.Millisecond)
	}

	health, err := healthpb.NewHealthClient(dial(t, a.GRPCAddr())).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || health.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v %v", health, err)
	}

	for port, addr := range map[string]string{"grpc": a.GRPCAddr(), "http": a.HTTPAddr()} {
		t.Run(port, func(t *testing.T) {
			c := tempopb.NewStreamingQuerierClient(dial(t, addr))
			// Traces move from live data to blocks meanwhile, which changes
			// the bytes inspected but not the traces: compare those, and
			// ask again if a flush came between the two answers.
			var got, want *tempopb.SearchResponse
			for try := 0; try < 5; try++ {
				want = &tempopb.SearchResponse{}
				getProto(t, searchURL, want)
				if got, _, err = last(c.Search(ctx, &tempopb.SearchRequest{Query: q})); err != nil {
					t.Fatal(err)
				}
				if reflect.DeepEqual(got.Traces, want.Traces) {
					break
				}
			}
			if !reflect.DeepEqual(got.Traces, want.Traces) || len(got.Traces) != n || got.Metrics == nil || got.Metrics.CompletedJobs == 0 {
				t.Fatalf("search: %d traces (metrics %+v), HTTP %d", len(got.Traces), got.Metrics, len(want.Traces))
			}

			var wantTags tempopb.SearchTagsV2Response
			getProto(t, base+"/api/v2/search/tags?scope=span", &wantTags)
			tags, _, err := last(c.SearchTagsV2(ctx, &tempopb.SearchTagsRequest{Scope: "span"}))
			if err != nil || !reflect.DeepEqual(tags.Scopes, wantTags.Scopes) {
				t.Fatalf("tags v2: %v %v, want %v", err, tags, wantTags.Scopes)
			}
			var wantNames tempopb.SearchTagsResponse
			getProto(t, base+"/api/search/tags", &wantNames)
			names, _, err := last(c.SearchTags(ctx, &tempopb.SearchTagsRequest{}))
			if err != nil || !reflect.DeepEqual(names.TagNames, wantNames.TagNames) {
				t.Fatalf("tags: %v %v, want %v", err, names, wantNames.TagNames)
			}
			vals, _, err := last(c.SearchTagValuesV2(ctx, &tempopb.SearchTagValuesRequest{TagName: "resource.service.name"}))
			if err != nil || !reflect.DeepEqual(vals.TagValues, []tempopb.TagValue{{Type: "string", Value: "stream-e2e"}}) {
				t.Fatalf("tag values v2: %v %+v", err, vals)
			}
			v1, _, err := last(c.SearchTagValues(ctx, &tempopb.SearchTagValuesRequest{TagName: "db.system"}))
			if err != nil || !reflect.DeepEqual(v1.TagValues, []string{"postgresql"}) {
				t.Fatalf("tag values: %v %+v", err, v1)
			}
			_, _, err = last(c.Search(ctx, &tempopb.SearchRequest{Query: "{ span.foo = }"}))
			code, body := get(t, base+"/api/search?q=%7B%20span.foo%20%3D%20%7D")
			if s, _ := status.FromError(err); code != 400 || s.Code() != codes.InvalidArgument || s.Message()+"\n" != body {
				t.Fatalf("bad query: %v; HTTP %d %q", err, code, body)
			}
		})
	}

	// Plain HTTP/1.1 still reaches the API on the same port.
	if code, body := get(t, base+"/api/echo"); code != 200 || body != "echo" {
		t.Fatalf("/api/echo %d %q", code, body)
	}
}

// Without stream_over_http_enabled the HTTP port does not speak gRPC; the
// gRPC port still serves the StreamingQuerier.
func TestStreamingQuerierNotOnHTTPByDefault(t *testing.T) {
	a, _ := startApp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _, err := last(tempopb.NewStreamingQuerierClient(dial(t, a.HTTPAddr())).SearchTags(ctx, &tempopb.SearchTagsRequest{}))
	if err == nil {
		t.Fatal("gRPC answered on the HTTP port")
	}
	if _, _, err := last(tempopb.NewStreamingQuerierClient(dial(t, a.GRPCAddr())).SearchTags(ctx, &tempopb.SearchTagsRequest{})); err != nil {
		t.Fatalf("gRPC port: %v", err)
	}
}
