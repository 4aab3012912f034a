package tempopb

import (
	"bytes"
	"testing"

	"google.golang.org/grpc/encoding"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// The registered "proto" codec carries tempopb messages and leaves every
// other message to the standard codec (the health service, OTLP, dskit's
// httpgrpc share the server).
func TestCodecFallsBack(t *testing.T) {
	for name, c := range map[string]encoding.CodecV2{"registered": encoding.GetCodecV2("proto"), "Codec()": Codec()} {
		req := &SearchRequest{Query: "{ }", Limit: 5}
		data, err := c.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := req.Marshal()
		if !bytes.Equal(data.Materialize(), want) {
			t.Fatalf("%s: tempopb message encoded differently", name)
		}
		var back SearchRequest
		if err := c.Unmarshal(data, &back); err != nil || back.Query != "{ }" || back.Limit != 5 {
			t.Fatalf("%s: %v %+v", name, err, back)
		}

		hc := &healthpb.HealthCheckRequest{Service: "tempopb.StreamingQuerier"}
		data, err = c.Marshal(hc)
		if err != nil {
			t.Fatalf("%s: standard message: %v", name, err)
		}
		std, _ := proto.Marshal(hc)
		if !bytes.Equal(data.Materialize(), std) {
			t.Fatalf("%s: standard message encoded differently", name)
		}
		var hback healthpb.HealthCheckRequest
		if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(std)}, &hback); err != nil || hback.Service != hc.Service {
			t.Fatalf("%s: standard message decoded as %v (%v)", name, &hback, err)
		}
		if c.Name() != "proto" {
			t.Fatalf("%s: name %q", name, c.Name())
		}
	}
}
