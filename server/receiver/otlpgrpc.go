package receiver

import (
	"context"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"

	// OTLP exporters may compress with gzip; the server must know it.
	_ "google.golang.org/grpc/encoding/gzip"
)

// otlpGRPC implements opentelemetry.proto.collector.trace.v1.TraceService.
type otlpGRPC struct {
	ptraceotlp.UnimplementedGRPCServer
	*base
}

func newOTLPGRPCServer(b *base, cfg GRPCServerConfig) *grpc.Server {
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(cfg.maxRecvMsgSize()))
	ptraceotlp.RegisterGRPCServer(srv, &otlpGRPC{base: b})
	return srv
}

func (s *otlpGRPC) Export(ctx context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	tenant, ctx, err := s.tenants.fromGRPC(ctx)
	if err != nil {
		return ptraceotlp.NewExportResponse(), s.fail(OTLPGRPC, err).grpcStatus().Err()
	}
	if err := s.push(ctx, OTLPGRPC, tenant, req.Traces()); err != nil {
		return ptraceotlp.NewExportResponse(), s.fail(OTLPGRPC, err).grpcStatus().Err()
	}
	return ptraceotlp.NewExportResponse(), nil
}
