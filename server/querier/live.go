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
// lack a string the query requires.
//
// inspected, when set, adds up the bytes of the traces examined.
func (q *Querier) liveFetcher(traces []otlpwire.TraceParts, inspected *uint64) *traceql.MemoryFetcher {
	// What a trace must hold, worked out once from the request (the loader
	// runs for every trace, on several goroutines).
	var (
		once sync.Once
		need [][][]byte
		pre  func(otlpwire.SpanFacts) bool
	)
	return traceql.NewLazyMemoryFetcher(len(traces), func(i int, req traceql.FetchRequest) (model.TraceID, ptrace.Traces, bool) {
		once.Do(func() { need, pre = requiredBytes(req), spanPrecheck(req) })
		t := traces[i]
		if inspected != nil {
			atomic.AddUint64(inspected, uint64(t.Size()))
		}
		if !inTimeRange(t, req) || !holdsOneOfEach(t, need) || pre != nil && !t.AnySpan(pre) {
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

// requiredBytes lists, per condition every matching span must pass (all
// required), the byte strings one of which a trace must hold to match: an
// attribute's key for =, =~ and the orderings (a missing attribute passes
// none of them); for = also the value: a string literal itself (attributes and the intrinsics stored as the
// string; IDs are compared as hex, not as their bytes); a number as the
// OTLP AnyValue fields that hold it (int_value, or double_value of the same
// number: TraceQL compares numbers across the two); a boolean as
// bool_value. A trace lacking all of a condition's byte strings cannot
// match.
func requiredBytes(req traceql.FetchRequest) [][][]byte {
	if !req.AllConditions {
		return nil
	}
	var out [][][]byte
	for _, c := range req.Conditions {
		if len(c.Operands) != 1 || c.Operands[0].Type == traceql.TypeNil {
			continue
		}
		switch c.Op {
		case traceql.OpEqual, traceql.OpRegex, traceql.OpGreater, traceql.OpGreaterEqual, traceql.OpLess, traceql.OpLessEqual:
			// A missing attribute passes none of these: its key must be
			// there.
			if c.Attribute.Intrinsic == traceql.IntrinsicNone && c.Attribute.Name != "" {
				out = append(out, [][]byte{[]byte(c.Attribute.Name)})
			}
		}
		if c.Op != traceql.OpEqual {
			continue
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

// spanPrecheck tests the conditions on a span's duration, status and kind
// and on its and its resource's scalar attributes, read from its bytes
// without decoding it: with every condition required, a
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
	// Span and resource attributes compared with = or an ordering: a
	// missing one passes none of these.
	var attrs []*traceql.Condition
	for i := range req.Conditions {
		c := &req.Conditions[i]
		if c.Attribute.Intrinsic != traceql.IntrinsicNone || len(c.Operands) != 1 {
			continue
		}
		switch c.Attribute.Scope {
		case traceql.ScopeNone, traceql.ScopeSpan, traceql.ScopeResource:
		default:
			continue
		}
		switch c.Op {
		case traceql.OpEqual, traceql.OpGreater, traceql.OpGreaterEqual, traceql.OpLess, traceql.OpLessEqual:
		default:
			continue // regexes compile lazily, != passes missing values
		}
		switch c.Operands[0].Type {
		case traceql.TypeString, traceql.TypeInt, traceql.TypeFloat, traceql.TypeBoolean:
			attrs = append(attrs, c)
		}
	}
	if len(conds) == 0 && len(attrs) == 0 {
		return nil
	}
	check := func(c *traceql.Condition, v []byte, ok bool) bool {
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
			return true // arrays and the like: not judged here
		}
		return c.MatchValue(x)
	}
	attrsPass := func(f otlpwire.SpanFacts) bool {
		for _, c := range attrs {
			name := c.Attribute.Name
			switch c.Attribute.Scope {
			case traceql.ScopeSpan:
				if v, ok := f.SpanAttr(name); !check(c, v, ok) {
					return false
				}
			case traceql.ScopeResource:
				if v, ok := f.ResourceAttr(name); !check(c, v, ok) {
					return false
				}
			default: // either
				if v, ok := f.SpanAttr(name); check(c, v, ok) {
					continue
				}
				if v, ok := f.ResourceAttr(name); !check(c, v, ok) {
					return false
				}
			}
		}
		return true
	}
	return func(f otlpwire.SpanFacts) bool {
		if !attrsPass(f) {
			return false
		}
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
