package jaeger

import (
	"encoding/json"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
)

// Trace is one whole trace in OTLP form.
type Trace struct {
	ID   model.TraceID
	Data ptrace.Traces
}

// ParseV3Result decodes an api/v3 body, {"result": TracesData}, and splits it
// by trace: a search puts every trace's resourceSpans in one TracesData. The
// OTLP data is kept as Jaeger gave it.
func ParseV3Result(raw []byte) ([]Trace, error) {
	var env struct {
		Result json.RawMessage `json:"result"`
		Error  *v3Error        `json:"error"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("api/v3 JSON: %w", err)
	}
	if env.Error != nil {
		return nil, env.Error
	}
	if len(env.Result) == 0 || string(env.Result) == "null" {
		return nil, errors.New(`api/v3 JSON: no "result"`)
	}
	return parseOTLPJSON(env.Result)
}

// parseOTLPJSON decodes one OTLP JSON TracesData and splits it by trace.
func parseOTLPJSON(raw []byte) ([]Trace, error) {
	var u ptrace.JSONUnmarshaler
	td, err := u.UnmarshalTraces(raw)
	if err != nil {
		return nil, fmt.Errorf("OTLP JSON: %w", err)
	}
	ids, parts := model.SplitByTraceID(td)
	out := make([]Trace, 0, len(ids))
	for _, id := range ids {
		if id == (model.TraceID{}) {
			return nil, errors.New("OTLP JSON: span with an empty trace ID")
		}
		out = append(out, Trace{ID: id, Data: parts[id]})
	}
	return out, nil
}

// v3Error is api/v3's error body: {"error":{"httpCode":400,"message":"..."}}.
type v3Error struct {
	HTTPCode int    `json:"httpCode"`
	Message  string `json:"message"`
}

func (e *v3Error) Error() string { return fmt.Sprintf("jaeger api/v3: %d %s", e.HTTPCode, e.Message) }

// v1Envelope is the v1 API's body: {"data":...,"errors":[{"code","msg"}]}.
type v1Envelope struct {
	Data   json.RawMessage `json:"data"`
	Errors []v1Error       `json:"errors"`
}

type v1Error struct {
	Code    int    `json:"code"`
	Msg     string `json:"msg"`
	TraceID string `json:"traceID"`
}
