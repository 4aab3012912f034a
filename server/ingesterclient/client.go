// Package ingesterclient carries pushes from a distributor-only process to an
// ingester over gRPC, using the OTLP trace service (tenant in metadata) as
// the wire format, and serves that endpoint on the ingester's side.
package ingesterclient

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/server/pusher"
	"github.com/tempoctl/tempoctl/server/rawgrpc"
)

// TenantKey is the gRPC metadata key carrying the tenant between services.
const TenantKey = "x-scope-orgid"

// Client pushes to one ingester.
type Client struct {
	conn    *grpc.ClientConn
	timeout time.Duration
}

// New connects (lazily) to addr.
func New(addr string, timeout time.Duration) (*Client, error) {
	if addr == "" {
		return nil, fmt.Errorf("ingester_client.address is empty: a distributor on its own needs the ingester's gRPC address")
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("ingester client %s: %w", addr, err)
	}
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	return &Client{conn: conn, timeout: timeout}, nil
}

// Push implements pusher.Pusher: the request's bytes are forwarded as
// received. A refusal by the ingester comes back as a LimitError so the
// receivers answer 429 with a retry hint.
func (c *Client) Push(ctx context.Context, tenant string, b *otlpwire.Batch) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, TenantKey, tenant)
	err := rawgrpc.Export(ctx, c.conn, b.Raw)
	if err == nil {
		return nil
	}
	if s, ok := status.FromError(err); ok && s.Code() == codes.ResourceExhausted {
		limit, detail, _ := strings.Cut(s.Message(), ": ")
		return &pusher.LimitError{Tenant: tenant, Limit: limit, Detail: detail}
	}
	return err
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Server is the ingester side: register it on the ingester's gRPC server.
type Server struct {
	ptraceotlp.UnimplementedGRPCServer
	next pusher.Pusher
}

// Register serves pushes for next on s.
func Register(s *grpc.Server, next pusher.Pusher) {
	ptraceotlp.RegisterGRPCServer(s, &Server{next: next})
}

// Export implements the OTLP trace service.
func (s *Server) Export(ctx context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get(TenantKey)
	if len(vals) != 1 || vals[0] == "" {
		return ptraceotlp.NewExportResponse(), status.Error(codes.Unauthenticated, "no org id")
	}
	// dskit's gRPC server decodes with the standard codec; encoding once
	// more gives the ingester its wire form.
	b, err := otlpwire.FromTraces(req.Traces())
	if err != nil {
		return ptraceotlp.NewExportResponse(), status.Error(codes.InvalidArgument, err.Error())
	}
	if err := s.next.Push(ctx, vals[0], b); err != nil {
		if le, ok := err.(*pusher.LimitError); ok {
			return ptraceotlp.NewExportResponse(), status.Error(codes.ResourceExhausted, le.Limit+": "+le.Detail)
		}
		return ptraceotlp.NewExportResponse(), status.Error(codes.Internal, err.Error())
	}
	return ptraceotlp.NewExportResponse(), nil
}
