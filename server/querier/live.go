package querier

import (
	"sync/atomic"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/traceql"
)

// liveFetcher searches live traces, decoding each only when the engine
// reaches it and only when it can match: a search stopping at its limit
// decodes a few traces, and a selective one skips every trace whose bytes
// lack a string the query requires.
//
// inspected, when set, adds up the bytes of the traces examined.
func (q *Querier) liveFetcher(traces []otlpwire.TraceParts, inspected *uint64) *traceql.MemoryFetcher {
	return traceql.NewLazyMemoryFetcher(len(traces), func(i int, req traceql.FetchRequest) (model.TraceID, ptrace.Traces, bool) {
		t := traces[i]
		if inspected != nil {
			atomic.AddUint64(inspected, uint64(t.Size()))
		}
		if !inTimeRange(t, req) {
			return t.ID, ptrace.Traces{}, false
		}
		for _, lit := range requiredStrings(req) {
			if !t.Contains(lit) {
				return t.ID, ptrace.Traces{}, false
			}
		}
		if pre := spanPrecheck(req); pre != nil && !t.AnySpan(pre) {
			return t.ID, ptrace.Traces{}, false
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

// spanPrecheck tests the conditions on a span's duration, status and kind,
// read from its bytes without decoding it: with every condition required, a
// trace none of whose spans passes them all cannot match. nil when the
// request has no such condition.
func spanPrecheck(req traceql.FetchRequest) func(otlpwire.SpanFacts) bool {
	if !req.AllConditions {
		return nil
	}
	var conds []*traceql.Condition
	for i := range req.Conditions {
		c := &req.Conditions[i]
		if c.Op == traceql.OpNone || len(c.Operands) == 0 || c.Attribute.Scope != traceql.ScopeNone && c.Attribute.Scope != traceql.ScopeSpan {
			continue
		}
		switch c.Attribute.Intrinsic {
		case traceql.IntrinsicDuration, traceql.IntrinsicStatus, traceql.IntrinsicKind:
			conds = append(conds, c)
		}
	}
	if len(conds) == 0 {
		return nil
	}
	return func(f otlpwire.SpanFacts) bool {
		for _, c := range conds {
			var v traceql.Static
			switch c.Attribute.Intrinsic {
			case traceql.IntrinsicDuration:
				d := int64(0)
				if f.End >= f.Start {
					d = int64(f.End - f.Start)
				}
				v = traceql.Static{Type: traceql.TypeDuration, N: d}
			case traceql.IntrinsicStatus:
				v = traceql.NewStatus(int64(f.StatusCode))
			case traceql.IntrinsicKind:
				v = traceql.NewKind(int64(f.Kind))
			}
			if !c.MatchValue(v) {
				return false
			}
		}
		return true
	}
}
