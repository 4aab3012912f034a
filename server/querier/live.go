package querier

import (
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/traceql"
)

// liveFetcher searches live traces, decoding each only when the engine
// reaches it and only when it can match: a search stopping at its limit
// decodes a few traces, and a selective one skips every trace whose bytes
// lack a string the query requires.
func (q *Querier) liveFetcher(traces []otlpwire.TraceParts) *traceql.MemoryFetcher {
	return traceql.NewLazyMemoryFetcher(len(traces), func(i int, req traceql.FetchRequest) (model.TraceID, ptrace.Traces, bool) {
		t := traces[i]
		if !inTimeRange(t, req) {
			return t.ID, ptrace.Traces{}, false
		}
		for _, lit := range requiredStrings(req) {
			if !t.Contains(lit) {
				return t.ID, ptrace.Traces{}, false
			}
		}
		td, ok := q.decodeLive(t)
		return t.ID, td, ok
	})
}

// decodeLive decodes a live trace, duplicate spans (a client's retry)
// dropped; a trace that does not decode is logged and skipped.
func (q *Querier) decodeLive(t otlpwire.TraceParts) (ptrace.Traces, bool) {
	td, err := t.Decode()
	if err != nil {
		q.log.Error("live trace does not decode", "trace", t.ID, "err", err)
		return td, false
	}
	return model.Dedupe(td), true
}

func inTimeRange(t otlpwire.TraceParts, req traceql.FetchRequest) bool {
	if req.StartTimeUnixNanos == 0 && req.EndTimeUnixNanos == 0 {
		return true
	}
	start, end := t.Bounds()
	return (req.EndTimeUnixNanos == 0 || start <= req.EndTimeUnixNanos) && (req.StartTimeUnixNanos == 0 || end >= req.StartTimeUnixNanos)
}

// requiredStrings are the string literals every matching span must hold as
// a value (conditions all required, = on a string): a trace without one of
// them in its bytes cannot match. Only attributes and the intrinsics whose
// values are stored as the strings themselves count (IDs are compared as
// hex, not as their bytes).
func requiredStrings(req traceql.FetchRequest) [][]byte {
	if !req.AllConditions {
		return nil
	}
	var out [][]byte
	for _, c := range req.Conditions {
		if c.Op != traceql.OpEqual || len(c.Operands) != 1 || c.Operands[0].Type != traceql.TypeString {
			continue
		}
		switch c.Attribute.Intrinsic {
		case traceql.IntrinsicNone, traceql.IntrinsicName, traceql.IntrinsicStatusMessage,
			traceql.IntrinsicTraceRootSpan, traceql.IntrinsicTraceRootService, traceql.IntrinsicEventName,
			traceql.IntrinsicInstrumentationName, traceql.IntrinsicInstrumentationVersion:
			out = append(out, []byte(c.Operands[0].S))
		}
	}
	return out
}
