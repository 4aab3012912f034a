package tempopb

import (
	"context"

	"google.golang.org/grpc"
)

// ServiceName is the gRPC service; methods are /tempopb.StreamingQuerier/<Method>.
const ServiceName = "tempopb.StreamingQuerier"

// Full method names.
const (
	MethodSearch              = "/" + ServiceName + "/Search"
	MethodSearchTags          = "/" + ServiceName + "/SearchTags"
	MethodSearchTagsV2        = "/" + ServiceName + "/SearchTagsV2"
	MethodSearchTagValues     = "/" + ServiceName + "/SearchTagValues"
	MethodSearchTagValuesV2   = "/" + ServiceName + "/SearchTagValuesV2"
	MethodMetricsQueryRange   = "/" + ServiceName + "/MetricsQueryRange"
	MethodMetricsQueryInstant = "/" + ServiceName + "/MetricsQueryInstant"
)

// StreamingQuerierServer is the service (spec/http-api.md §8). Every method
// streams responses; the last one sent is the complete result.
type StreamingQuerierServer interface {
	Search(*SearchRequest, grpc.ServerStreamingServer[SearchResponse]) error
	SearchTags(*SearchTagsRequest, grpc.ServerStreamingServer[SearchTagsResponse]) error
	SearchTagsV2(*SearchTagsRequest, grpc.ServerStreamingServer[SearchTagsV2Response]) error
	SearchTagValues(*SearchTagValuesRequest, grpc.ServerStreamingServer[SearchTagValuesResponse]) error
	SearchTagValuesV2(*SearchTagValuesRequest, grpc.ServerStreamingServer[SearchTagValuesV2Response]) error
	MetricsQueryRange(*QueryRangeRequest, grpc.ServerStreamingServer[RawMessage]) error
	MetricsQueryInstant(*QueryInstantRequest, grpc.ServerStreamingServer[RawMessage]) error
}

// RegisterStreamingQuerierServer serves srv on s.
func RegisterStreamingQuerierServer(s grpc.ServiceRegistrar, srv StreamingQuerierServer) {
	s.RegisterService(&ServiceDesc, srv)
}

// handler decodes the one request of a server stream and calls the method.
func handler[Req any, Res any, PReq interface {
	*Req
	Message
}](call func(StreamingQuerierServer, *Req, grpc.ServerStreamingServer[Res]) error) grpc.StreamHandler {
	return func(srv any, stream grpc.ServerStream) error {
		req := PReq(new(Req))
		if err := stream.RecvMsg(req); err != nil {
			return err
		}
		return call(srv.(StreamingQuerierServer), req, &grpc.GenericServerStream[Req, Res]{ServerStream: stream})
	}
}

// ServiceDesc describes tempopb.StreamingQuerier for grpc.Server.
var ServiceDesc = grpc.ServiceDesc{
	ServiceName: ServiceName,
	HandlerType: (*StreamingQuerierServer)(nil),
	Streams: []grpc.StreamDesc{
		{StreamName: "Search", ServerStreams: true, Handler: handler(StreamingQuerierServer.Search)},
		{StreamName: "SearchTags", ServerStreams: true, Handler: handler(StreamingQuerierServer.SearchTags)},
		{StreamName: "SearchTagsV2", ServerStreams: true, Handler: handler(StreamingQuerierServer.SearchTagsV2)},
		{StreamName: "SearchTagValues", ServerStreams: true, Handler: handler(StreamingQuerierServer.SearchTagValues)},
		{StreamName: "SearchTagValuesV2", ServerStreams: true, Handler: handler(StreamingQuerierServer.SearchTagValuesV2)},
		{StreamName: "MetricsQueryRange", ServerStreams: true, Handler: handler(StreamingQuerierServer.MetricsQueryRange)},
		{StreamName: "MetricsQueryInstant", ServerStreams: true, Handler: handler(StreamingQuerierServer.MetricsQueryInstant)},
	},
	Metadata: "tempo.proto",
}

// StreamingQuerierClient calls the service over a connection.
type StreamingQuerierClient struct{ cc grpc.ClientConnInterface }

// NewStreamingQuerierClient returns a client on cc.
func NewStreamingQuerierClient(cc grpc.ClientConnInterface) *StreamingQuerierClient {
	return &StreamingQuerierClient{cc: cc}
}

// call opens a server stream for method and sends the request.
func call[Res any](ctx context.Context, cc grpc.ClientConnInterface, i int, method string, req Message, opts []grpc.CallOption) (grpc.ServerStreamingClient[Res], error) {
	stream, err := cc.NewStream(ctx, &ServiceDesc.Streams[i], method, opts...)
	if err != nil {
		return nil, err
	}
	if err := stream.SendMsg(req); err != nil {
		return nil, err
	}
	if err := stream.CloseSend(); err != nil {
		return nil, err
	}
	return &grpc.GenericClientStream[Message, Res]{ClientStream: stream}, nil
}

// Search streams a TraceQL or tag search.
func (c *StreamingQuerierClient) Search(ctx context.Context, in *SearchRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[SearchResponse], error) {
	return call[SearchResponse](ctx, c.cc, 0, MethodSearch, in, opts)
}

// SearchTags streams tag names (flat).
func (c *StreamingQuerierClient) SearchTags(ctx context.Context, in *SearchTagsRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[SearchTagsResponse], error) {
	return call[SearchTagsResponse](ctx, c.cc, 1, MethodSearchTags, in, opts)
}

// SearchTagsV2 streams tag names by scope.
func (c *StreamingQuerierClient) SearchTagsV2(ctx context.Context, in *SearchTagsRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[SearchTagsV2Response], error) {
	return call[SearchTagsV2Response](ctx, c.cc, 2, MethodSearchTagsV2, in, opts)
}

// SearchTagValues streams the string values of a raw attribute name.
func (c *StreamingQuerierClient) SearchTagValues(ctx context.Context, in *SearchTagValuesRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[SearchTagValuesResponse], error) {
	return call[SearchTagValuesResponse](ctx, c.cc, 3, MethodSearchTagValues, in, opts)
}

// SearchTagValuesV2 streams the typed values of a TraceQL identifier.
func (c *StreamingQuerierClient) SearchTagValuesV2(ctx context.Context, in *SearchTagValuesRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[SearchTagValuesV2Response], error) {
	return call[SearchTagValuesV2Response](ctx, c.cc, 4, MethodSearchTagValuesV2, in, opts)
}

// MetricsQueryRange streams a TraceQL metrics range query (tempoctl
// answers Unimplemented).
func (c *StreamingQuerierClient) MetricsQueryRange(ctx context.Context, in *QueryRangeRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[RawMessage], error) {
	return call[RawMessage](ctx, c.cc, 5, MethodMetricsQueryRange, in, opts)
}

// MetricsQueryInstant streams a TraceQL metrics instant query (tempoctl
// answers Unimplemented).
func (c *StreamingQuerierClient) MetricsQueryInstant(ctx context.Context, in *QueryInstantRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[RawMessage], error) {
	return call[RawMessage](ctx, c.cc, 6, MethodMetricsQueryInstant, in, opts)
}
