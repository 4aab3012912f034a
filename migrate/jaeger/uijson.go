package jaeger

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	jmodel "github.com/jaegertracing/jaeger-idl/model/v1"
	jaegertranslator "github.com/open-telemetry/opentelemetry-collector-contrib/pkg/translator/jaeger"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
)

// The v1 API (and the Jaeger UI's exports) speak Jaeger's "UI JSON": the
// domain model with hex IDs, µs times, typed tags and processes referenced by
// ID. Jaeger keeps its Go types for it in an internal package and neither
// jaeger-idl nor collector-contrib parse it, so these structs decode it into
// jaeger-idl's domain model, which the collector-contrib translator maps to
// OTLP. Field names are Jaeger's.

type uiTrace struct {
	TraceID   string               `json:"traceID"`
	Spans     []uiSpan             `json:"spans"`
	Processes map[string]uiProcess `json:"processes"`
}

type uiSpan struct {
	TraceID       string        `json:"traceID"`
	SpanID        string        `json:"spanID"`
	ParentSpanID  string        `json:"parentSpanID"` // pre-1.0 exports only
	Flags         uint32        `json:"flags"`
	OperationName string        `json:"operationName"`
	References    []uiReference `json:"references"`
	StartTime     uint64        `json:"startTime"` // µs since epoch
	Duration      uint64        `json:"duration"`  // µs
	Tags          []uiKeyValue  `json:"tags"`
	Logs          []uiLog       `json:"logs"`
	ProcessID     string        `json:"processID"`
	Process       *uiProcess    `json:"process"` // embedded by some exporters instead of processID
}

type uiReference struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

type uiProcess struct {
	ServiceName string       `json:"serviceName"`
	Tags        []uiKeyValue `json:"tags"`
}

type uiLog struct {
	Timestamp uint64       `json:"timestamp"`
	Fields    []uiKeyValue `json:"fields"`
}

type uiKeyValue struct {
	Key   string          `json:"key"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// ParseUITrace decodes one trace in Jaeger's UI JSON ({traceID, spans,
// processes}) and maps it to OTLP with the collector-contrib translator.
func ParseUITrace(raw []byte) (model.TraceID, ptrace.Traces, error) {
	var t uiTrace
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&t); err != nil {
		return model.TraceID{}, ptrace.Traces{}, fmt.Errorf("jaeger trace JSON: %w", err)
	}
	return t.toOTLP()
}

// uiTraceID reads only the traceID of a UI JSON trace, so a trace that fails
// to decode can still be named (and fetched again by ID).
func uiTraceID(raw []byte) string {
	var t struct {
		TraceID string `json:"traceID"`
	}
	_ = json.Unmarshal(raw, &t)
	return t.TraceID
}

func (t *uiTrace) toOTLP() (model.TraceID, ptrace.Traces, error) {
	if len(t.Spans) == 0 {
		return model.TraceID{}, ptrace.Traces{}, errors.New("trace has no spans")
	}
	tid := t.TraceID
	if tid == "" {
		tid = t.Spans[0].TraceID
	}
	jid, err := parseJaegerTraceID(tid)
	if err != nil {
		return model.TraceID{}, ptrace.Traces{}, err
	}
	processes := make(map[string]*jmodel.Process, len(t.Processes))
	for id, p := range t.Processes {
		jp, err := p.toDomain()
		if err != nil {
			return model.TraceID{}, ptrace.Traces{}, fmt.Errorf("process %s: %w", id, err)
		}
		processes[id] = jp
	}
	// One batch per process, so the translator makes one resource per process.
	batches := map[*jmodel.Process]*jmodel.Batch{}
	var order []*jmodel.Batch
	for i := range t.Spans {
		s := &t.Spans[i]
		js, err := s.toDomain(jid)
		if err != nil {
			return model.TraceID{}, ptrace.Traces{}, fmt.Errorf("span %s: %w", s.SpanID, err)
		}
		var p *jmodel.Process
		switch {
		case s.Process != nil:
			if p, err = s.Process.toDomain(); err != nil {
				return model.TraceID{}, ptrace.Traces{}, fmt.Errorf("span %s process: %w", s.SpanID, err)
			}
		default:
			p = processes[s.ProcessID]
			if p == nil {
				return model.TraceID{}, ptrace.Traces{}, fmt.Errorf("span %s: unknown processID %q", s.SpanID, s.ProcessID)
			}
		}
		b := batches[p]
		if b == nil {
			b = &jmodel.Batch{Process: p}
			batches[p] = b
			order = append(order, b)
		}
		b.Spans = append(b.Spans, js)
	}
	td, err := jaegertranslator.ProtoToTraces(order)
	if err != nil {
		return model.TraceID{}, ptrace.Traces{}, err
	}
	return widenTraceID(jid), td, nil
}

// widenTraceID places a Jaeger (high, low) ID in 16 bytes, big endian, the
// way the translator (and so Tempo's Jaeger receiver) does: a 64-bit ID gets
// a zero high half.
func widenTraceID(id jmodel.TraceID) model.TraceID {
	var out model.TraceID
	for i := 0; i < 8; i++ {
		out[i] = byte(id.High >> (56 - 8*i))
		out[8+i] = byte(id.Low >> (56 - 8*i))
	}
	return out
}

func parseJaegerTraceID(s string) (jmodel.TraceID, error) {
	if s == "" {
		return jmodel.TraceID{}, errors.New("empty trace ID")
	}
	id, err := jmodel.TraceIDFromString(s)
	if err != nil {
		return jmodel.TraceID{}, fmt.Errorf("trace ID %q: %w", s, err)
	}
	if id.High == 0 && id.Low == 0 {
		return jmodel.TraceID{}, fmt.Errorf("trace ID %q is zero", s)
	}
	return id, nil
}

func parseJaegerSpanID(s string) (jmodel.SpanID, error) {
	if s == "" {
		return 0, errors.New("empty span ID")
	}
	id, err := jmodel.SpanIDFromString(s)
	if err != nil {
		return 0, fmt.Errorf("span ID %q: %w", s, err)
	}
	return id, nil
}

func (s *uiSpan) toDomain(traceID jmodel.TraceID) (*jmodel.Span, error) {
	if s.TraceID != "" {
		id, err := parseJaegerTraceID(s.TraceID)
		if err != nil {
			return nil, err
		}
		traceID = id
	}
	spanID, err := parseJaegerSpanID(s.SpanID)
	if err != nil {
		return nil, err
	}
	js := &jmodel.Span{
		TraceID:       traceID,
		SpanID:        spanID,
		OperationName: s.OperationName,
		Flags:         jmodel.Flags(s.Flags),
		StartTime:     jmodel.EpochMicrosecondsAsTime(s.StartTime),
		Duration:      jmodel.MicrosecondsAsDuration(s.Duration),
	}
	for _, r := range s.References {
		ref, err := r.toDomain()
		if err != nil {
			return nil, err
		}
		js.References = append(js.References, ref)
	}
	if s.ParentSpanID != "" && len(js.References) == 0 {
		// Old exports carried the parent as a field; the domain model keeps
		// it as the first CHILD_OF reference.
		pid, err := parseJaegerSpanID(s.ParentSpanID)
		if err != nil {
			return nil, fmt.Errorf("parentSpanID: %w", err)
		}
		if pid != 0 {
			js.References = append(js.References, jmodel.NewChildOfRef(traceID, pid))
		}
	}
	if js.Tags, err = toKeyValues(s.Tags); err != nil {
		return nil, err
	}
	for _, l := range s.Logs {
		fields, err := toKeyValues(l.Fields)
		if err != nil {
			return nil, fmt.Errorf("log: %w", err)
		}
		js.Logs = append(js.Logs, jmodel.Log{Timestamp: jmodel.EpochMicrosecondsAsTime(l.Timestamp), Fields: fields})
	}
	return js, nil
}

func (r uiReference) toDomain() (jmodel.SpanRef, error) {
	tid, err := parseJaegerTraceID(r.TraceID)
	if err != nil {
		return jmodel.SpanRef{}, fmt.Errorf("reference: %w", err)
	}
	sid, err := parseJaegerSpanID(r.SpanID)
	if err != nil {
		return jmodel.SpanRef{}, fmt.Errorf("reference: %w", err)
	}
	t, ok := jmodel.SpanRefType_value[strings.ToUpper(r.RefType)]
	if !ok {
		return jmodel.SpanRef{}, fmt.Errorf("reference type %q", r.RefType)
	}
	return jmodel.SpanRef{TraceID: tid, SpanID: sid, RefType: jmodel.SpanRefType(t)}, nil
}

func (p uiProcess) toDomain() (*jmodel.Process, error) {
	tags, err := toKeyValues(p.Tags)
	if err != nil {
		return nil, err
	}
	return jmodel.NewProcess(p.ServiceName, tags), nil
}

func toKeyValues(kvs []uiKeyValue) ([]jmodel.KeyValue, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	out := make([]jmodel.KeyValue, 0, len(kvs))
	for _, kv := range kvs {
		v, err := kv.toDomain()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// toDomain parses a tag by its declared type. Values may come as JSON
// strings for any type: Jaeger writes int64s beyond ±(2^53−1) as strings,
// and other tools write every value as a string.
func (kv uiKeyValue) toDomain() (jmodel.KeyValue, error) {
	bad := func(err error) (jmodel.KeyValue, error) {
		return jmodel.KeyValue{}, fmt.Errorf("tag %q (%s): %w", kv.Key, kv.Type, err)
	}
	str, isStr := jsonString(kv.Value)
	switch strings.ToLower(kv.Type) {
	case "", "string":
		if !isStr {
			// A non-string value without a usable type: keep its JSON text.
			if len(kv.Value) == 0 {
				return bad(errors.New("no value"))
			}
			return jmodel.String(kv.Key, string(kv.Value)), nil
		}
		return jmodel.String(kv.Key, str), nil
	case "bool":
		var b bool
		if isStr {
			v, err := strconv.ParseBool(str)
			if err != nil {
				return bad(err)
			}
			b = v
		} else if err := json.Unmarshal(kv.Value, &b); err != nil {
			return bad(err)
		}
		return jmodel.Bool(kv.Key, b), nil
	case "int64":
		text := string(bytes.TrimSpace(kv.Value))
		if isStr {
			text = str
		}
		v, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			// 1e3 or 12.0 from tools that write numbers as floats.
			f, ferr := strconv.ParseFloat(text, 64)
			if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<63-1024 {
				return bad(err)
			}
			v = int64(f)
		}
		return jmodel.Int64(kv.Key, v), nil
	case "float64":
		text := string(bytes.TrimSpace(kv.Value))
		if isStr {
			text = str
		}
		v, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return bad(err)
		}
		return jmodel.Float64(kv.Key, v), nil
	case "binary":
		if !isStr {
			return bad(errors.New("binary value is not a base64 string"))
		}
		b, err := base64.StdEncoding.DecodeString(str)
		if err != nil {
			return bad(err)
		}
		return jmodel.Binary(kv.Key, b), nil
	}
	return bad(errors.New("unknown tag type"))
}

// jsonString reads a JSON string value; most tag values have no escapes and
// skip the decoder.
func jsonString(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if body := raw[1 : len(raw)-1]; raw[len(raw)-1] == '"' && bytes.IndexByte(body, '\\') < 0 && bytes.IndexByte(body, '"') < 0 && utf8.Valid(body) {
		return string(body), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}
