package tempopb

import (
	"google.golang.org/grpc/encoding"
	// The standard codec must be registered before ours wraps it.
	_ "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
)

// codecName is the content-subtype gRPC clients send for protobuf
// ("application/grpc" and "application/grpc+proto"): Tempo's clients send
// tempopb messages under it, so this codec must answer to it.
const codecName = "proto"

// codec encodes Message values itself and hands every other value to the
// codec registered before it (the standard proto codec, or a wrapper of it
// such as pdata's): the health service, OTLP and dskit's httpgrpc on the
// same server keep working.
type codec struct{ next encoding.CodecV2 }

func init() {
	encoding.RegisterCodecV2(codec{next: encoding.GetCodecV2(codecName)})
}

// Codec returns the codec, for clients that want to force it
// (grpc.ForceCodecV2); importing this package already registers it.
func Codec() encoding.CodecV2 { return codec{next: encoding.GetCodecV2(codecName)} }

func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	if m, ok := v.(Message); ok {
		b, err := m.Marshal()
		if err != nil {
			return nil, err
		}
		return mem.BufferSlice{mem.SliceBuffer(b)}, nil
	}
	return c.next.Marshal(v)
}

func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	if m, ok := v.(Message); ok {
		return m.Unmarshal(data.Materialize())
	}
	return c.next.Unmarshal(data, v)
}

func (codec) Name() string { return codecName }
