// Package rawgrpc carries gRPC messages as their wire bytes: the OTLP trace
// service is served and called this way so a request is parsed once, by
// otlpwire, and stored in the WAL exactly as received.
package rawgrpc

import (
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"

	"github.com/tempoctl/tempoctl/internal/slab"

	// The fallback for messages that are not raw.
	_ "google.golang.org/grpc/encoding/proto"
)

// Message is a message kept as its wire bytes. A received message's bytes
// are carved from slab.Requests; Ref is their claim on the slab, which the
// receiver of the message owns (see slab.ReleaseWith).
type Message struct {
	B   []byte
	Ref slab.Ref
}

// Codec passes *Message through and everything else to the standard protobuf
// codec (health checks, error details). Use it with grpc.ForceServerCodecV2
// or grpc.ForceCodecV2.
type Codec struct{ proto encoding.CodecV2 }

// NewCodec returns the codec.
func NewCodec() Codec { return Codec{proto: encoding.GetCodecV2("proto")} }

// Name is "proto": on the wire these are ordinary protobuf messages.
func (c Codec) Name() string { return "proto" }

// Marshal implements encoding.CodecV2.
func (c Codec) Marshal(v any) (mem.BufferSlice, error) {
	if m, ok := v.(*Message); ok {
		return mem.BufferSlice{mem.SliceBuffer(m.B)}, nil
	}
	return c.proto.Marshal(v)
}

// Unmarshal implements encoding.CodecV2. A *Message gets a copy of its own,
// in slab.Requests: gRPC reuses its buffers, and a batch's bytes live on in
// the ingester.
func (c Codec) Unmarshal(data mem.BufferSlice, v any) error {
	if m, ok := v.(*Message); ok {
		m.B, m.Ref = slab.Requests.Alloc(data.Len())
		data.CopyTo(m.B)
		return nil
	}
	return c.proto.Unmarshal(data, v)
}
