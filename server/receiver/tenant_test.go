package receiver

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// sendFunc sends one small request carrying the given headers (gRPC:
// metadata) and returns the transport's answer: an HTTP status or a gRPC
// code name, and the error message if any.
type sendFunc func(t *testing.T, r *Receivers, header map[string]string) (string, string)

func httpSender(name, path, contentType string, body func(testing.TB) []byte) sendFunc {
	return func(t *testing.T, r *Receivers, header map[string]string) (string, string) {
		h := map[string]string{"Content-Type": contentType}
		for k, v := range header {
			h[k] = v
		}
		code, _, resp := postRaw(t, "http://"+r.Addr(name)+path, h, body(t))
		if code >= 300 {
			return fmt.Sprint(code), resp
		}
		return fmt.Sprint(code), ""
	}
}

func grpcSender(name string, call func(testing.TB, context.Context, *grpc.ClientConn) error) sendFunc {
	return func(t *testing.T, r *Receivers, header map[string]string) (string, string) {
		conn, err := grpc.NewClient(r.Addr(name), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		ctx := context.Background()
		for k, v := range header {
			ctx = metadata.AppendToOutgoingContext(ctx, k, v)
		}
		st := status.Convert(call(t, ctx, conn))
		return st.Code().String(), st.Message()
	}
}

var senders = []struct {
	receiver string
	send     sendFunc
	ok, auth string // the answers for success and for a missing tenant
}{
	{OTLPGRPC, grpcSender(OTLPGRPC, func(t testing.TB, ctx context.Context, conn *grpc.ClientConn) error {
		req := ptraceotlp.NewExportRequest()
		if err := req.UnmarshalJSON(otlpBody(t, true)); err != nil {
			t.Fatal(err)
		}
		_, err := ptraceotlp.NewGRPCClient(conn).Export(ctx, req)
		return err
	}), "OK", "Unauthenticated"},
	{OTLPHTTP, httpSender(OTLPHTTP, "/v1/traces", "application/json", func(t testing.TB) []byte { return otlpBody(t, true) }), "200", "401"},
	{Zipkin, httpSender(Zipkin, "/api/v2/spans", "application/json", func(testing.TB) []byte { return []byte(sampleZipkinV2JSON) }), "202", "401"},
	{JaegerThriftHTTP, httpSender(JaegerThriftHTTP, "/api/traces", "application/x-thrift", func(t testing.TB) []byte { return encodeThriftBatch(t, jaegerThriftBatch()) }), "202", "401"},
	{JaegerGRPC, grpcSender(JaegerGRPC, func(_ testing.TB, ctx context.Context, conn *grpc.ClientConn) error {
		_, err := api_v2.NewCollectorServiceClient(conn).PostSpans(ctx, &api_v2.PostSpansRequest{Batch: jaegerProtoBatch()})
		return err
	}), "OK", "Unauthenticated"},
}

// TestTenantRouting checks, for every receiver, which tenant a push goes
// to and when a request is refused for want of one.
func TestTenantRouting(t *testing.T) {
	tests := []struct {
		name       string
		opts       Options
		header     map[string]string
		wantTenant string // "" means refused as unauthenticated
		wantMsg    string
	}{
		{name: "multitenancy off ignores the header", opts: Options{}, header: map[string]string{"X-Scope-OrgID": "team-a"}, wantTenant: SingleTenant},
		{name: "multitenancy off without header", opts: Options{}, wantTenant: SingleTenant},
		{name: "multitenancy on", opts: Options{MultitenancyEnabled: true}, header: map[string]string{"X-Scope-OrgID": "team-a"}, wantTenant: "team-a"},
		{name: "multitenancy on, lower-case header", opts: Options{MultitenancyEnabled: true}, header: map[string]string{"x-scope-orgid": "team-a"}, wantTenant: "team-a"},
		{name: "multitenancy on, missing tenant", opts: Options{MultitenancyEnabled: true}, wantMsg: "no org id: multitenancy is enabled and the request has no X-Scope-OrgID header"},
		{name: "multitenancy on, two tenants", opts: Options{MultitenancyEnabled: true}, header: map[string]string{"X-Scope-OrgID": "a|b"}, wantMsg: "multiple org IDs present"},
		{name: "custom header", opts: Options{MultitenancyEnabled: true, TenantHeader: "X-Tenant"}, header: map[string]string{"X-Tenant": "team-b"}, wantTenant: "team-b"},
		{name: "custom header, default one ignored", opts: Options{MultitenancyEnabled: true, TenantHeader: "X-Tenant"}, header: map[string]string{"X-Scope-OrgID": "team-b"}, wantMsg: "no org id: multitenancy is enabled and the request has no X-Tenant header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, p := startReceivers(t, allReceivers(), tt.opts)
			for _, s := range senders {
				t.Run(s.receiver, func(t *testing.T) {
					got, msg := s.send(t, r, tt.header)
					pushes := p.reset()
					if tt.wantTenant == "" {
						// OTLP/HTTP wraps the message in a google.rpc.Status.
						if got != s.auth || !strings.Contains(msg, tt.wantMsg) {
							t.Errorf("got %s %q, want %s %q", got, msg, s.auth, tt.wantMsg)
						}
						if len(pushes) != 0 {
							t.Errorf("%d pushes for a refused request", len(pushes))
						}
						return
					}
					if got != s.ok {
						t.Fatalf("got %s %q, want %s", got, msg, s.ok)
					}
					if len(pushes) == 0 {
						t.Fatal("nothing pushed")
					}
					for _, push := range pushes {
						if push.tenant != tt.wantTenant || !push.orgID {
							t.Errorf("pushed to %q (org ID in context: %v), want %q", push.tenant, push.orgID, tt.wantTenant)
						}
					}
				})
			}
		})
	}
}
