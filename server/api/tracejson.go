package api

import (
	"bytes"
	"fmt"

	"go.opentelemetry.io/collector/pdata/ptrace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Tempo's JSON is protobuf-JSON with jsonpb defaults (spec/http-api.md §0):
// base64 bytes, enum names, 64-bit integers as strings, zero values omitted.
// protojson over the standard OTLP messages produces exactly that.
var jsonOpts = protojson.MarshalOptions{UseProtoNames: false, EmitUnpopulated: false}

// toProto converts OTLP TracesData bytes to the generated messages.
func toProto(wire []byte) (*tracepb.TracesData, error) {
	var out tracepb.TracesData
	if err := proto.Unmarshal(wire, &out); err != nil {
		return nil, fmt.Errorf("unmarshal trace: %w", err)
	}
	// Tempo always writes status (an unset one as "status":{}) and scope.
	for _, rs := range out.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				if sp.Status == nil {
					sp.Status = &tracepb.Status{}
				}
			}
		}
	}
	return &out, nil
}

// marshalBatches writes `{"<key>":[ResourceSpans...]}` where key is "batches"
// (v1 trace by ID) or "resourceSpans" (v2 trace by ID). The JSON is written
// straight from the protobuf bytes (wirejson.go); what that does not handle
// goes through the generated messages and protojson.
func marshalBatches(buf *bytes.Buffer, key string, td ptrace.Traces) error {
	var m ptrace.ProtoMarshaler
	wire, err := m.MarshalTraces(td)
	if err != nil {
		return fmt.Errorf("marshal trace: %w", err)
	}
	if out, ok := appendTraceJSON(buf.AvailableBuffer(), key, wire); ok {
		buf.Write(out)
		return nil
	}
	return marshalBatchesProtojson(buf, key, wire)
}

// marshalBatchesProtojson is marshalBatches through protojson.
func marshalBatchesProtojson(buf *bytes.Buffer, key string, wire []byte) error {
	p, err := toProto(wire)
	if err != nil {
		return err
	}
	buf.WriteString(`{"`)
	buf.WriteString(key)
	buf.WriteString(`":[`)
	for i, rs := range p.ResourceSpans {
		if i > 0 {
			buf.WriteByte(',')
		}
		b, err := jsonOpts.Marshal(rs)
		if err != nil {
			return fmt.Errorf("encode resource spans: %w", err)
		}
		buf.Write(compactJSON(b))
	}
	buf.WriteString("]}")
	return nil
}

// compactJSON removes the random whitespace protojson inserts (it varies its
// output deliberately); Tempo emits compact JSON.
func compactJSON(b []byte) []byte {
	var out bytes.Buffer
	if err := jsonCompact(&out, b); err != nil {
		return b
	}
	return out.Bytes()
}

// MarshalTraceV1JSON encodes a trace as GET /api/traces/{id} answers it.
func MarshalTraceV1JSON(td ptrace.Traces) ([]byte, error) {
	var buf bytes.Buffer
	if err := marshalBatches(&buf, "batches", td); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// MarshalTraceProto encodes a trace as tempopb.Trace, which is wire-identical
// to OTLP TracesData (field 1, repeated ResourceSpans).
func MarshalTraceProto(td ptrace.Traces) ([]byte, error) {
	var m ptrace.ProtoMarshaler
	return m.MarshalTraces(td)
}
