package tui

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	jaegermodel "github.com/jaegertracing/jaeger-idl/model/v1"
	jaegertranslator "github.com/open-telemetry/opentelemetry-collector-contrib/pkg/translator/jaeger"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The Jaeger UI's JSON model (what "Trace JSON" and "Download Results" save,
// and what /api/traces answers). jaeger-idl only has the protobuf model, so
// these structs decode the UI shape and are then turned into jaeger-idl
// batches for the collector-contrib translator, which owns the mapping to
// OTLP (span kinds, status, scope, links).
type jaegerUITrace struct {
	TraceID   string                     `json:"traceID"`
	Spans     []jaegerUISpan             `json:"spans"`
	Processes map[string]jaegerUIProcess `json:"processes"`
}

type jaegerUISpan struct {
	TraceID       string           `json:"traceID"`
	SpanID        string           `json:"spanID"`
	OperationName string           `json:"operationName"`
	References    []jaegerUIRef    `json:"references"`
	Flags         uint32           `json:"flags"`
	StartTime     int64            `json:"startTime"` // µs since the epoch
	Duration      int64            `json:"duration"`  // µs
	Tags          []jaegerUITag    `json:"tags"`
	Logs          []jaegerUILog    `json:"logs"`
	ProcessID     string           `json:"processID"`
	Process       *jaegerUIProcess `json:"process"`
	Warnings      []string         `json:"warnings"`
}

type jaegerUIRef struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

type jaegerUITag struct {
	Key   string          `json:"key"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

type jaegerUILog struct {
	Timestamp int64         `json:"timestamp"`
	Fields    []jaegerUITag `json:"fields"`
}

type jaegerUIProcess struct {
	ServiceName string        `json:"serviceName"`
	Tags        []jaegerUITag `json:"tags"`
}

// decodeJaegerUI accepts the shapes the Jaeger UI's file loader accepts:
// {"data":[trace...]}, {"data":trace}, [trace...] or one trace object.
func decodeJaegerUI(raw []byte) ([]ptrace.Traces, error) {
	raw = bytes.TrimSpace(raw)
	var traces []jaegerUITrace
	switch {
	case len(raw) > 0 && raw[0] == '[':
		if err := json.Unmarshal(raw, &traces); err != nil {
			return nil, fmt.Errorf("jaeger JSON: %w", err)
		}
	default:
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(raw, &env); err != nil {
			return nil, fmt.Errorf("jaeger JSON: %w", err)
		}
		d := bytes.TrimSpace(env.Data)
		switch {
		case len(d) == 0 || string(d) == "null":
			var one jaegerUITrace
			if err := json.Unmarshal(raw, &one); err != nil {
				return nil, fmt.Errorf("jaeger JSON: %w", err)
			}
			traces = []jaegerUITrace{one}
		case d[0] == '[':
			if err := json.Unmarshal(d, &traces); err != nil {
				return nil, fmt.Errorf("jaeger JSON data: %w", err)
			}
		default:
			var one jaegerUITrace
			if err := json.Unmarshal(d, &one); err != nil {
				return nil, fmt.Errorf("jaeger JSON data: %w", err)
			}
			traces = []jaegerUITrace{one}
		}
	}
	out := make([]ptrace.Traces, 0, len(traces))
	for i, t := range traces {
		batches, err := t.batches()
		if err != nil {
			return nil, fmt.Errorf("jaeger trace %d (%s): %w", i, t.TraceID, err)
		}
		td, err := jaegertranslator.ProtoToTraces(batches)
		if err != nil {
			return nil, fmt.Errorf("jaeger trace %d (%s): %w", i, t.TraceID, err)
		}
		if td.SpanCount() > 0 {
			out = append(out, td)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("jaeger JSON holds no spans")
	}
	return out, nil
}

// batches groups the spans by process, one jaeger-idl batch per process.
func (t jaegerUITrace) batches() ([]*jaegermodel.Batch, error) {
	byProc := map[string]*jaegermodel.Batch{}
	var order []string
	for i, s := range t.Spans {
		span, err := s.toModel(t.TraceID)
		if err != nil {
			return nil, fmt.Errorf("span %d (%s): %w", i, s.SpanID, err)
		}
		key := s.ProcessID
		p := s.Process
		if p == nil {
			if pp, ok := t.Processes[s.ProcessID]; ok {
				p = &pp
			}
		} else if key == "" {
			key = "inline:" + p.ServiceName
		}
		b, ok := byProc[key]
		if !ok {
			b = &jaegermodel.Batch{Process: &jaegermodel.Process{}}
			if p != nil {
				b.Process.ServiceName = p.ServiceName
				tags, err := jaegerTags(p.Tags)
				if err != nil {
					return nil, fmt.Errorf("process %s: %w", key, err)
				}
				b.Process.Tags = tags
			}
			byProc[key] = b
			order = append(order, key)
		}
		b.Spans = append(b.Spans, span)
	}
	out := make([]*jaegermodel.Batch, 0, len(order))
	for _, k := range order {
		out = append(out, byProc[k])
	}
	return out, nil
}

func (s jaegerUISpan) toModel(traceID string) (*jaegermodel.Span, error) {
	if s.TraceID != "" {
		traceID = s.TraceID
	}
	tid, err := jaegermodel.TraceIDFromString(traceID)
	if err != nil {
		return nil, fmt.Errorf("traceID %q: %w", traceID, err)
	}
	sid, err := jaegermodel.SpanIDFromString(s.SpanID)
	if err != nil {
		return nil, fmt.Errorf("spanID %q: %w", s.SpanID, err)
	}
	tags, err := jaegerTags(s.Tags)
	if err != nil {
		return nil, err
	}
	span := &jaegermodel.Span{
		TraceID:       tid,
		SpanID:        sid,
		OperationName: s.OperationName,
		Flags:         jaegermodel.Flags(s.Flags),
		StartTime:     time.UnixMicro(s.StartTime).UTC(),
		Duration:      time.Duration(s.Duration) * time.Microsecond,
		Tags:          tags,
		Warnings:      s.Warnings,
	}
	for _, r := range s.References {
		rt, err := jaegermodel.TraceIDFromString(r.TraceID)
		if err != nil {
			return nil, fmt.Errorf("reference traceID %q: %w", r.TraceID, err)
		}
		rs, err := jaegermodel.SpanIDFromString(r.SpanID)
		if err != nil {
			return nil, fmt.Errorf("reference spanID %q: %w", r.SpanID, err)
		}
		ref := jaegermodel.SpanRef{TraceID: rt, SpanID: rs, RefType: jaegermodel.SpanRefType_CHILD_OF}
		if r.RefType == "FOLLOWS_FROM" {
			ref.RefType = jaegermodel.SpanRefType_FOLLOWS_FROM
		}
		span.References = append(span.References, ref)
	}
	for _, l := range s.Logs {
		fields, err := jaegerTags(l.Fields)
		if err != nil {
			return nil, fmt.Errorf("log: %w", err)
		}
		span.Logs = append(span.Logs, jaegermodel.Log{Timestamp: time.UnixMicro(l.Timestamp).UTC(), Fields: fields})
	}
	return span, nil
}

// jaegerTags converts typed UI tags. int64 values beyond 2^53 arrive as
// JSON strings, so numbers are read from their text, never through float64.
func jaegerTags(in []jaegerUITag) ([]jaegermodel.KeyValue, error) {
	out := make([]jaegermodel.KeyValue, 0, len(in))
	for _, t := range in {
		kv := jaegermodel.KeyValue{Key: t.Key}
		text := unquoteRaw(t.Value)
		var err error
		switch t.Type {
		case "", "string":
			kv.VType = jaegermodel.ValueType_STRING
			kv.VStr = text
		case "bool":
			kv.VType = jaegermodel.ValueType_BOOL
			kv.VBool, err = strconv.ParseBool(text)
		case "int64":
			kv.VType = jaegermodel.ValueType_INT64
			kv.VInt64, err = strconv.ParseInt(text, 10, 64)
		case "float64":
			kv.VType = jaegermodel.ValueType_FLOAT64
			kv.VFloat64, err = strconv.ParseFloat(text, 64)
		case "binary":
			kv.VType = jaegermodel.ValueType_BINARY
			kv.VBinary, err = base64.StdEncoding.DecodeString(text)
		default:
			return nil, fmt.Errorf("tag %q: unknown type %q", t.Key, t.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("tag %q (%s): %w", t.Key, t.Type, err)
		}
		out = append(out, kv)
	}
	return out, nil
}

// unquoteRaw gives a JSON value's text: strings unquoted, others verbatim.
func unquoteRaw(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	return string(raw)
}
