package querier

import (
	"encoding/binary"
	"math"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/traceql"
)

// liveFetcher searches live traces, decoding each only when the engine
// reaches it and only when it can match: a search stopping at its limit
// decodes a few traces, and a selective one skips every trace whose bytes
// show it cannot match (see tracePrecheck).
//
// inspected, when set, adds up the bytes of the traces examined.
func (q *Querier) liveFetcher(traces []otlpwire.TraceParts, inspected *uint64) *traceql.MemoryFetcher {
	// What a trace must hold, worked out once from the request (the loader
	// runs for every trace, on several goroutines).
	var (
		once     sync.Once
		mayMatch func(otlpwire.TraceParts) bool
	)
	return traceql.NewLazyMemoryFetcher(len(traces), func(i int, req traceql.FetchRequest) (model.TraceID, ptrace.Traces, bool) {
		once.Do(func() { mayMatch = tracePrecheck(req) })
		t := traces[i]
		if inspected != nil {
			atomic.AddUint64(inspected, uint64(t.Size()))
		}
		if !inTimeRange(t, req) || mayMatch != nil && !mayMatch(t) {
			return t.ID, ptrace.Traces{}, false
		}
		td, ok := q.decodeLive(t)
		return t.ID, td, ok
	})
}

// holdsOneOfEach reports whether t's bytes hold one byte string of every
// list in need.
func holdsOneOfEach(t otlpwire.TraceParts, need [][][]byte) bool {
next:
	for _, alts := range need {
		for _, b := range alts {
			if t.Contains(b) {
				continue next
			}
		}
		return false
	}
	return true
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

// condCheck is what a trace's bytes tell of one pushed-down condition.
type condCheck struct {
	// need: the trace must hold one byte string of every list (see
	// requiredBytes).
	need [][][]byte
	// span reports whether a span may pass the condition, read from its
	// bytes; nil when not read from them (every span may).
	span func(otlpwire.SpanFacts) bool
}

// tracePrecheck returns whether a live trace may match req, judged from
// its bytes without decoding it; nil when nothing can be judged. It is
// exact only in one direction: it refuses a trace only when the fetcher
// contract lets the trace go (the engine decides on the rest):
//   - with AllConditions, every candidate span passes every condition: the
//     trace must hold every condition's bytes and have one span passing
//     all conditions read from span bytes;
//   - otherwise a candidate span passes one condition (each judged alone),
//     and a condition with Op == OpNone (or none at all) makes every span a
//     candidate: the trace must hold some condition's bytes and, unless that
//     condition is not read from span bytes (trace:rootService, event
//     attributes, …), have a span passing it.
func tracePrecheck(req traceql.FetchRequest) func(otlpwire.TraceParts) bool {
	if len(req.Conditions) == 0 {
		return nil
	}
	var checks []condCheck
	for i := range req.Conditions {
		c := req.Conditions[i] // a copy: MatchValue keeps its compiled regex in it
		if c.Op == traceql.OpNone {
			if req.AllConditions {
				continue // fetch only
			}
			return nil
		}
		ch := checkOf(&c)
		if !req.AllConditions && ch.need == nil && ch.span == nil {
			return nil // every span may pass it
		}
		checks = append(checks, ch)
	}
	if req.AllConditions {
		return allOf(checks)
	}
	if len(checks) > 64 {
		return nil // more than a mask holds: not worth judging
	}
	return anyOf(checks)
}

// allOf: a trace holds every check's bytes, and one span passes every check
// read from span bytes.
func allOf(checks []condCheck) func(otlpwire.TraceParts) bool {
	var (
		need  [][][]byte
		spans []func(otlpwire.SpanFacts) bool
	)
	for _, ch := range checks {
		need = append(need, ch.need...)
		if ch.span != nil {
			spans = append(spans, ch.span)
		}
	}
	if len(need) == 0 && len(spans) == 0 {
		return nil
	}
	passesAll := func(f otlpwire.SpanFacts) bool {
		for _, pass := range spans {
			if !pass(f) {
				return false
			}
		}
		return true
	}
	return func(t otlpwire.TraceParts) bool {
		return holdsOneOfEach(t, need) && (len(spans) == 0 || t.AnySpan(passesAll))
	}
}

// anyOf: some check whose bytes a trace holds is not read from span bytes,
// or a span passes it.
func anyOf(checks []condCheck) func(otlpwire.TraceParts) bool {
	return func(t otlpwire.TraceParts) bool {
		var held uint64 // checks whose bytes t holds, read from span bytes
		for i, ch := range checks {
			if !holdsOneOfEach(t, ch.need) {
				continue
			}
			if ch.span == nil {
				return true
			}
			held |= 1 << i
		}
		return held != 0 && t.AnySpan(func(f otlpwire.SpanFacts) bool {
			for i, ch := range checks {
				if held&(1<<i) != 0 && ch.span(f) {
					return true
				}
			}
			return false
		})
	}
}

// checkOf works out what the bytes tell of c; c is kept by the span check
// and must not change afterwards.
func checkOf(c *traceql.Condition) condCheck {
	if len(c.Operands) != 1 || c.Operands[0].Type == traceql.TypeNil {
		return condCheck{} // not a test of a literal: not judged
	}
	switch c.Op {
	case traceql.OpEqual, traceql.OpNotEqual, traceql.OpRegex, traceql.OpNotRegex,
		traceql.OpGreater, traceql.OpGreaterEqual, traceql.OpLess, traceql.OpLessEqual:
	default:
		return condCheck{}
	}
	// A regex compiles now, once, not on the loaders' goroutines.
	c.MatchValue(traceql.NewString(""))
	return condCheck{need: requiredBytes(c), span: spanCheck(c)}
}

// requiredBytes lists the byte strings one of each list a trace must hold
// for a span of it to pass c: an attribute's key for every comparison (a
// missing attribute passes none of them, != and !~ included); for = also
// the value: a string literal itself (attributes and the intrinsics stored
// as the string; IDs are compared as hex, not as their bytes); a number as
// the OTLP AnyValue fields that hold it (int_value, or double_value of the
// same number: TraceQL compares numbers across the two); a boolean as
// bool_value.
func requiredBytes(c *traceql.Condition) [][][]byte {
	var out [][][]byte
	if c.Attribute.Intrinsic == traceql.IntrinsicNone && c.Attribute.Name != "" {
		out = append(out, [][]byte{[]byte(c.Attribute.Name)})
	}
	if c.Op != traceql.OpEqual {
		return out
	}
	v := c.Operands[0]
	switch c.Attribute.Intrinsic {
	case traceql.IntrinsicName, traceql.IntrinsicStatusMessage, traceql.IntrinsicTraceRootSpan,
		traceql.IntrinsicTraceRootService, traceql.IntrinsicEventName,
		traceql.IntrinsicInstrumentationName, traceql.IntrinsicInstrumentationVersion:
		if v.Type == traceql.TypeString {
			out = append(out, [][]byte{[]byte(v.S)})
		}
	case traceql.IntrinsicNone:
		if alts := anyValueBytes(v); alts != nil {
			out = append(out, alts)
		}
	}
	return out
}

// anyValueBytes are the encodings of an OTLP AnyValue equal to v (nil:
// none worth requiring).
func anyValueBytes(v traceql.Static) [][]byte {
	const intTag, doubleTag, boolTag = 3<<3 | 0, 4<<3 | 1, 2<<3 | 0
	double := func(f float64) []byte {
		return binary.LittleEndian.AppendUint64([]byte{doubleTag}, math.Float64bits(f))
	}
	var alts [][]byte
	switch v.Type {
	case traceql.TypeString:
		return [][]byte{[]byte(v.S)}
	case traceql.TypeBoolean:
		b := byte(0)
		if v.B {
			b = 1
		}
		return [][]byte{{boolTag, b}}
	case traceql.TypeInt:
		alts = append(alts, protowire.AppendVarint([]byte{intTag}, uint64(v.N)), double(float64(v.N)))
		if v.N == 0 {
			alts = append(alts, double(math.Copysign(0, -1)))
		}
	case traceql.TypeFloat:
		f := v.F
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		alts = append(alts, double(f))
		if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
			alts = append(alts, protowire.AppendVarint([]byte{intTag}, uint64(int64(f))))
		}
		if f == 0 {
			alts = append(alts, double(math.Copysign(0, -1)), double(0))
		}
	default:
		return nil
	}
	return alts
}

// spanCheck judges c on a span's duration, status, kind, name or status
// message, or on its and its resource's scalar attributes, read from its
// bytes, with the engine's own comparison (Condition.MatchValue: anchored
// regexes, numbers across int and double, no match across types, arrays by
// their elements). nil when c is on anything else: event, link and scope
// attributes, trace-level intrinsics, IDs.
func spanCheck(c *traceql.Condition) func(otlpwire.SpanFacts) bool {
	if c.Attribute.Intrinsic != traceql.IntrinsicNone {
		if c.Attribute.Scope != traceql.ScopeNone && c.Attribute.Scope != traceql.ScopeSpan {
			return nil
		}
		switch c.Attribute.Intrinsic {
		case traceql.IntrinsicDuration:
			return func(f otlpwire.SpanFacts) bool {
				d := int64(0)
				if f.End >= f.Start {
					d = int64(f.End - f.Start)
				}
				return c.MatchValue(traceql.Static{Type: traceql.TypeDuration, N: d})
			}
		case traceql.IntrinsicStatus:
			return func(f otlpwire.SpanFacts) bool { return c.MatchValue(traceql.NewStatus(int64(f.StatusCode))) }
		case traceql.IntrinsicKind:
			return func(f otlpwire.SpanFacts) bool { return c.MatchValue(traceql.NewKind(int64(f.Kind))) }
		case traceql.IntrinsicName:
			return func(f otlpwire.SpanFacts) bool { return c.MatchValue(traceql.NewString(f.Name())) }
		case traceql.IntrinsicStatusMessage:
			return func(f otlpwire.SpanFacts) bool { return c.MatchValue(traceql.NewString(f.StatusMessage())) }
		}
		return nil
	}
	name := c.Attribute.Name
	switch c.Attribute.Scope {
	case traceql.ScopeSpan:
		return func(f otlpwire.SpanFacts) bool { v, ok := f.SpanAttr(name); return attrPasses(c, v, ok) }
	case traceql.ScopeResource:
		return func(f otlpwire.SpanFacts) bool { v, ok := f.ResourceAttr(name); return attrPasses(c, v, ok) }
	case traceql.ScopeNone:
		// The span's value wins over the resource's (a value that is not a
		// scalar may be either's: attrPasses lets it pass).
		return func(f otlpwire.SpanFacts) bool {
			if v, ok := f.SpanAttr(name); ok {
				return attrPasses(c, v, true)
			}
			v, ok := f.ResourceAttr(name)
			return attrPasses(c, v, ok)
		}
	}
	return nil
}

// attrPasses judges c on an attribute's AnyValue bytes: a missing
// attribute passes no comparison; a value that is not a scalar (an array,
// a kvlist, bytes, none) may pass.
func attrPasses(c *traceql.Condition, v []byte, ok bool) bool {
	if !ok {
		return false
	}
	var x traceql.Static
	switch kind, s, b, i, d := otlpwire.Scalar(v); kind {
	case otlpwire.ScalarString:
		x = traceql.NewString(s)
	case otlpwire.ScalarBool:
		x = traceql.NewBool(b)
	case otlpwire.ScalarInt:
		x = traceql.NewInt(i)
	case otlpwire.ScalarDouble:
		x = traceql.NewFloat(d)
	default:
		return true
	}
	return c.MatchValue(x)
}
