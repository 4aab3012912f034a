package jaegertest

import (
	"encoding/base64"
	"fmt"
	"strings"

	jmodel "github.com/jaegertracing/jaeger-idl/model/v1"
)

// The UI JSON Jaeger's v1 API writes, built from the domain model: processes
// referenced as p1..pN, µs times (floored), lower-case tag types, int64s
// beyond ±(2^53−1) as strings, binary as base64, and 64-bit trace IDs
// printed with 16 hex digits. Only what a fake needs; field names are
// Jaeger's.

type uiTrace struct {
	TraceID   string               `json:"traceID"`
	Spans     []uiSpan             `json:"spans"`
	Processes map[string]uiProcess `json:"processes"`
	Warnings  []string             `json:"warnings"`
}

type uiSpan struct {
	TraceID       string        `json:"traceID"`
	SpanID        string        `json:"spanID"`
	Flags         uint32        `json:"flags,omitempty"`
	OperationName string        `json:"operationName"`
	References    []uiReference `json:"references"`
	StartTime     int64         `json:"startTime"`
	Duration      int64         `json:"duration"`
	Tags          []uiKeyValue  `json:"tags"`
	Logs          []uiLog       `json:"logs"`
	ProcessID     string        `json:"processID"`
	Warnings      []string      `json:"warnings"`
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
	Timestamp int64        `json:"timestamp"`
	Fields    []uiKeyValue `json:"fields"`
}

type uiKeyValue struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

const maxSafeInt = 1<<53 - 1

func (t *storedTrace) ui() uiTrace {
	out := uiTrace{TraceID: t.jid.String(), Processes: map[string]uiProcess{}}
	pids := map[*jmodel.Process]string{}
	for _, s := range t.spans {
		pid, ok := pids[s.Process]
		if !ok {
			pid = fmt.Sprintf("p%d", len(pids)+1)
			pids[s.Process] = pid
			out.Processes[pid] = uiProcess{ServiceName: s.Process.ServiceName, Tags: uiTags(s.Process.Tags)}
		}
		us := uiSpan{
			TraceID:       s.TraceID.String(),
			SpanID:        s.SpanID.String(),
			Flags:         uint32(s.Flags),
			OperationName: s.OperationName,
			References:    []uiReference{},
			StartTime:     s.StartTime.UnixMicro(),
			Duration:      s.Duration.Microseconds(),
			Tags:          uiTags(s.Tags),
			Logs:          []uiLog{},
			ProcessID:     pid,
		}
		for _, r := range s.References {
			us.References = append(us.References, uiReference{RefType: r.RefType.String(), TraceID: r.TraceID.String(), SpanID: r.SpanID.String()})
		}
		for _, l := range s.Logs {
			us.Logs = append(us.Logs, uiLog{Timestamp: l.Timestamp.UnixMicro(), Fields: uiTags(l.Fields)})
		}
		out.Spans = append(out.Spans, us)
	}
	return out
}

func uiTags(kvs []jmodel.KeyValue) []uiKeyValue {
	out := make([]uiKeyValue, 0, len(kvs))
	for _, kv := range kvs {
		u := uiKeyValue{Key: kv.Key, Type: strings.ToLower(kv.VType.String())}
		switch kv.VType {
		case jmodel.ValueType_STRING:
			u.Value = kv.VStr
		case jmodel.ValueType_BOOL:
			u.Value = kv.VBool
		case jmodel.ValueType_INT64:
			if kv.VInt64 > maxSafeInt || kv.VInt64 < -maxSafeInt {
				u.Value = fmt.Sprint(kv.VInt64)
			} else {
				u.Value = kv.VInt64
			}
		case jmodel.ValueType_FLOAT64:
			u.Value = kv.VFloat64
		case jmodel.ValueType_BINARY:
			u.Value = base64.StdEncoding.EncodeToString(kv.VBinary)
		}
		out = append(out, u)
	}
	return out
}
