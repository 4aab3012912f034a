package receiver

import (
	"context"

	"google.golang.org/grpc"

	// OTLP exporters may compress with gzip; the server must know it.
	_ "google.golang.org/grpc/encoding/gzip"

	"github.com/tempoctl/tempoctl/internal/slab"
	"github.com/tempoctl/tempoctl/server/rawgrpc"
)

// newOTLPGRPCServer serves opentelemetry.proto.collector.trace.v1.TraceService
// on raw request bytes.
func newOTLPGRPCServer(b *base, cfg GRPCServerConfig) *grpc.Server {
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(cfg.maxRecvMsgSize()), grpc.ForceServerCodecV2(rawgrpc.NewCodec()))
	rawgrpc.RegisterTraceService(srv, b.exportOTLP)
	return srv
}

func (b *base) exportOTLP(ctx context.Context, req []byte, ref slab.Ref) error {
	tenant, ctx, err := b.tenants.fromGRPC(ctx)
	if err != nil {
		ref.Release()
		return b.fail(OTLPGRPC, err).grpcStatus().Err()
	}
	batch, err := b.parse(tenant, req, ref)
	if err != nil {
		return b.fail(OTLPGRPC, err).grpcStatus().Err()
	}
	if err := b.pushBatch(ctx, OTLPGRPC, tenant, batch); err != nil {
		return b.fail(OTLPGRPC, err).grpcStatus().Err()
	}
	return nil
}
