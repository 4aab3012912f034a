package receiver

import (
	"context"
	"fmt"

	"github.com/jaegertracing/jaeger-idl/model/v1"
	"github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	jaegertranslator "github.com/open-telemetry/opentelemetry-collector-contrib/pkg/translator/jaeger"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/grpc"
)

// jaegerGRPC implements jaeger.api_v2.CollectorService.
type jaegerGRPC struct {
	*base
}

func newJaegerGRPCServer(b *base, cfg GRPCServerConfig) *grpc.Server {
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(cfg.maxRecvMsgSize()))
	api_v2.RegisterCollectorServiceServer(srv, &jaegerGRPC{base: b})
	return srv
}

// decodeJaegerProto converts a PostSpans batch.
func decodeJaegerProto(batch *model.Batch) (ptrace.Traces, error) {
	td, err := jaegertranslator.ProtoToTraces([]*model.Batch{batch})
	if err != nil {
		return ptrace.Traces{}, badRequest(fmt.Errorf("convert jaeger batch: %w", err))
	}
	return td, nil
}

func (s *jaegerGRPC) PostSpans(ctx context.Context, req *api_v2.PostSpansRequest) (*api_v2.PostSpansResponse, error) {
	tenant, ctx, err := s.tenants.fromGRPC(ctx)
	if err != nil {
		return nil, s.fail(JaegerGRPC, err).grpcStatus().Err()
	}
	td, err := guardDecode(func() (ptrace.Traces, error) { return decodeJaegerProto(&req.Batch) })
	if err != nil {
		return nil, s.fail(JaegerGRPC, err).grpcStatus().Err()
	}
	if err := s.push(ctx, JaegerGRPC, tenant, td); err != nil {
		return nil, s.fail(JaegerGRPC, err).grpcStatus().Err()
	}
	return &api_v2.PostSpansResponse{}, nil
}
