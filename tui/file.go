package tui

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
)

// OpenFile reads a trace file into a source the TUI can search: OTLP JSON
// (one TracesData per line, or one object, also Tempo's {"batches":[...]})
// or a Jaeger UI export ({"data":[{traceID, spans, processes}]}).
func OpenFile(path string) (*MemorySource, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	traces, err := DecodeTraceFile(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	src := NewMemorySource("file "+path, traces...)
	src.bytes = uint64(len(raw))
	return src, nil
}

// DecodeTraceFile recognises the format by its top-level keys and returns
// one ptrace.Traces per trace ID.
func DecodeTraceFile(raw []byte) ([]ptrace.Traces, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, errors.New("empty file")
	}
	var all []ptrace.Traces
	if raw[0] == '[' {
		return decodeJaegerUI(raw)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		// Not one JSON value: OTLP JSON lines.
		bad, err := model.ReadOTLPJSONLines(bytes.NewReader(raw), func(_ int, td ptrace.Traces) error {
			all = append(all, td)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(all) == 0 {
			if len(bad) > 0 {
				return nil, fmt.Errorf("not OTLP JSON lines nor a Jaeger export: %v", bad[0])
			}
			return nil, errors.New("no traces in file")
		}
	} else {
		switch {
		case top["resourceSpans"] != nil || top["batches"] != nil:
			td, err := decodeOTLPOrTempoJSON(raw)
			if err != nil {
				return nil, err
			}
			all = append(all, td)
		case top["data"] != nil || top["spans"] != nil:
			return decodeJaegerUI(raw)
		default:
			return nil, errors.New(`unknown JSON: expected OTLP ("resourceSpans"), Tempo ("batches") or a Jaeger export ("data")`)
		}
	}
	return splitTraces(all), nil
}

// splitTraces regroups any number of TracesData into one value per trace.
func splitTraces(in []ptrace.Traces) []ptrace.Traces {
	byID := map[model.TraceID][]ptrace.Traces{}
	var order []model.TraceID
	for _, td := range in {
		ids, parts := model.SplitByTraceID(td)
		for _, id := range ids {
			if _, ok := byID[id]; !ok {
				order = append(order, id)
			}
			byID[id] = append(byID[id], parts[id])
		}
	}
	out := make([]ptrace.Traces, 0, len(order))
	for _, id := range order {
		parts := byID[id]
		if len(parts) == 1 {
			out = append(out, parts[0])
		} else {
			out = append(out, model.Combine(parts...))
		}
	}
	return out
}

// decodeOTLPOrTempoJSON decodes OTLP JSON, also as Tempo answers it: the
// v1 trace's top-level key is "batches" instead of "resourceSpans", and
// trace/span IDs are base64 (protobuf JSON) instead of OTLP JSON's hex.
func decodeOTLPOrTempoJSON(raw []byte) (ptrace.Traces, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep 64-bit integers exact through the round trip
	var top map[string]any
	if err := dec.Decode(&top); err != nil {
		return ptrace.Traces{}, err
	}
	if b, ok := top["batches"]; ok {
		if _, dup := top["resourceSpans"]; !dup {
			top["resourceSpans"] = b
		}
		delete(top, "batches")
	}
	hexIDs(top)
	norm, err := json.Marshal(top)
	if err != nil {
		return ptrace.Traces{}, err
	}
	var um ptrace.JSONUnmarshaler
	td, err := um.UnmarshalTraces(norm)
	if err != nil {
		return ptrace.Traces{}, fmt.Errorf("OTLP JSON: %w", err)
	}
	return td, nil
}

// idLen is the hex length of each ID field.
var idLen = map[string]int{"traceId": 32, "spanId": 16, "parentSpanId": 16}

// hexIDs rewrites base64 IDs as hex wherever they are (spans, links).
func hexIDs(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if n, ok := idLen[k]; ok {
				if s, ok := e.(string); ok && s != "" && !isHex(s, n) {
					if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b)*2 == n {
						x[k] = hex.EncodeToString(b)
					}
				}
				continue
			}
			hexIDs(e)
		}
	case []any:
		for _, e := range x {
			hexIDs(e)
		}
	}
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
