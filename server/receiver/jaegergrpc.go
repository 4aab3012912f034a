package receiver

import (
	"context"
	"fmt"

	"github.com/jaegertracing/jaeger-idl/model/v1"
	"github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	jaegertranslator "github.com/open-telemetry/opentelemetry-collector-contrib/pkg/translator/jaeger"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/grpc"

	"github.com/tempoctl/tempoctl/server/rawgrpc"
)

// jaegerGRPC serves jaeger.api_v2.CollectorService.
type jaegerGRPC struct {
	*base
}

// newJaegerGRPCServer serves CollectorService on request bytes, decoded by
// the handler: gRPC's own decoding would answer a malformed request with
// Internal and could not recover a decoder panic; here it is
// InvalidArgument, as for OTLP.
func newJaegerGRPCServer(b *base, cfg GRPCServerConfig) *grpc.Server {
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(cfg.maxRecvMsgSize()), grpc.ForceServerCodecV2(rawgrpc.NewCodec()))
	srv.RegisterService(&jaegerCollectorDesc, &jaegerGRPC{base: b})
	return srv
}

// jaegerCollectorDesc is api_v2.CollectorService with the request taken as
// bytes (same service, method and wire format).
var jaegerCollectorDesc = grpc.ServiceDesc{
	ServiceName: "jaeger.api_v2.CollectorService",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "PostSpans",
		Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			m := &rawgrpc.Message{}
			if err := dec(m); err != nil {
				return nil, err
			}
			// The decoded request copies what it keeps: the bytes can go.
			defer m.Ref.Release()
			return srv.(*jaegerGRPC).postSpans(ctx, m.B)
		},
	}},
	Metadata: "collector.proto",
}

// decodePostSpans decodes a PostSpansRequest body and converts its batch.
func decodePostSpans(body []byte) (ptrace.Traces, error) {
	var req api_v2.PostSpansRequest
	if err := req.Unmarshal(body); err != nil {
		return ptrace.Traces{}, badRequest(fmt.Errorf("decode jaeger PostSpans request: %w", err))
	}
	return decodeJaegerProto(&req.Batch)
}

// decodeJaegerProto converts a PostSpans batch.
func decodeJaegerProto(batch *model.Batch) (ptrace.Traces, error) {
	td, err := jaegertranslator.ProtoToTraces([]*model.Batch{batch})
	if err != nil {
		return ptrace.Traces{}, badRequest(fmt.Errorf("convert jaeger batch: %w", err))
	}
	return td, nil
}

func (s *jaegerGRPC) postSpans(ctx context.Context, body []byte) (*api_v2.PostSpansResponse, error) {
	tenant, ctx, err := s.tenants.fromGRPC(ctx)
	if err != nil {
		return nil, s.fail(JaegerGRPC, err).grpcStatus().Err()
	}
	td, err := guardDecode(func() (ptrace.Traces, error) { return decodePostSpans(body) })
	if err != nil {
		return nil, s.fail(JaegerGRPC, err).grpcStatus().Err()
	}
	if err := s.push(ctx, JaegerGRPC, tenant, td); err != nil {
		return nil, s.fail(JaegerGRPC, err).grpcStatus().Err()
	}
	return &api_v2.PostSpansResponse{}, nil
}
