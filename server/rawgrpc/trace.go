package rawgrpc

import (
	"context"

	"google.golang.org/grpc"

	"github.com/tempoctl/tempoctl/internal/slab"
)

// ExportMethod is the OTLP trace export method's full name.
const ExportMethod = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

// ExportFunc handles one raw ExportTraceServiceRequest; an empty response is
// zero bytes. It owns ref, the request bytes' claim on their slab: it
// releases it, or ties it to what keeps the bytes (slab.ReleaseWith).
type ExportFunc func(ctx context.Context, req []byte, ref slab.Ref) error

// RegisterTraceService serves the OTLP trace service on s with fn. s must
// use Codec (grpc.ForceServerCodecV2(NewCodec())).
func RegisterTraceService(s *grpc.Server, fn ExportFunc) {
	s.RegisterService(&traceServiceDesc, fn)
}

var traceServiceDesc = grpc.ServiceDesc{
	ServiceName: "opentelemetry.proto.collector.trace.v1.TraceService",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Export",
		Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			req := &Message{}
			if err := dec(req); err != nil {
				return nil, err
			}
			fn := srv.(ExportFunc)
			call := func(ctx context.Context, req any) (any, error) {
				m := req.(*Message)
				if err := fn(ctx, m.B, m.Ref); err != nil {
					return nil, err
				}
				return &Message{}, nil
			}
			if interceptor == nil {
				return call(ctx, req)
			}
			return interceptor(ctx, req, &grpc.UnaryServerInfo{Server: srv, FullMethod: ExportMethod}, call)
		},
	}},
	Metadata: "opentelemetry/proto/collector/trace/v1/trace_service.proto",
}

// Export calls the OTLP trace service on conn with a raw request.
func Export(ctx context.Context, conn grpc.ClientConnInterface, req []byte, opts ...grpc.CallOption) error {
	return conn.Invoke(ctx, ExportMethod, &Message{B: req}, &Message{}, append(opts, grpc.ForceCodecV2(NewCodec()))...)
}
