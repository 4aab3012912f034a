package otlpwire

import (
	stdbytes "bytes"
	"encoding/binary"
	"math"
	"slices"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tempoctl/tempoctl/model"
)

// TraceParts is one trace held as wire bytes: its spans in one or more
// batches. Live data is kept this way and decoded only when a reader needs
// the trace.
type TraceParts struct {
	ID    model.TraceID
	Parts []Part
}

// Size is the bytes of the trace's span messages.
func (t TraceParts) Size() int {
	n := 0
	for _, p := range t.Parts {
		for _, s := range p.Spans {
			n += int(s.Msg.Len)
		}
	}
	return n
}

// Bounds returns the earliest span start and latest span end, read from the
// span messages without decoding anything else.
func (t TraceParts) Bounds() (start, end uint64) {
	for _, p := range t.Parts {
		for _, s := range p.Spans {
			st, en := spanTimes(p.B.Bytes(s.Msg))
			if start == 0 || st != 0 && st < start {
				start = st
			}
			end = max(end, en)
		}
	}
	return start, end
}

// Contains reports whether lit occurs in a span message of the trace or in
// the resource or scope of one: every string value the trace holds (names,
// attribute values of spans, events, links, scopes and resources) lies in
// those bytes, so a trace without lit cannot hold it as a value.
func (t TraceParts) Contains(lit []byte) bool {
	for _, p := range t.Parts {
		lastScope := ^uint32(0)
		for _, s := range p.Spans {
			if stdbytes.Contains(p.B.Bytes(s.Msg), lit) {
				return true
			}
			if s.Scope == lastScope {
				continue
			}
			lastScope = s.Scope
			sc := p.B.Scopes[s.Scope]
			if stdbytes.Contains(p.B.Bytes(sc.Msg), lit) || stdbytes.Contains(p.B.Bytes(p.B.Resources[sc.Resource].Msg), lit) {
				return true
			}
		}
	}
	return false
}

// Decode returns the trace as pdata.
func (t TraceParts) Decode() (ptrace.Traces, error) { return Traces(t.Parts...) }

// spanTimes reads a checked span message's start and end times.
func spanTimes(msg []byte) (start, end uint64) {
	for off := 0; off < len(msg); {
		num, typ, vo, ve, err := field(msg, off, len(msg))
		if err != nil {
			return start, end
		}
		if typ == protowire.Fixed64Type && ve-vo == 8 {
			switch num {
			case 7:
				start = binary.LittleEndian.Uint64(msg[vo:ve])
			case 8:
				end = binary.LittleEndian.Uint64(msg[vo:ve])
			}
		}
		off = ve
	}
	return start, end
}

// PartsOf encodes tds and returns their traces as wire parts, the parts of
// one trace across tds together, in ID order (for holders of pdata that
// serve live-data readers, and tests).
func PartsOf(tds ...ptrace.Traces) ([]TraceParts, error) {
	byID := map[model.TraceID]int{}
	var out []TraceParts
	for _, td := range tds {
		b, err := FromTraces(td)
		if err != nil {
			return nil, err
		}
		for _, t := range b.Traces {
			p := Part{B: b, Spans: t.Spans}
			if k, ok := byID[t.ID]; ok {
				out[k].Parts = append(out[k].Parts, p)
				continue
			}
			byID[t.ID] = len(out)
			out = append(out, TraceParts{ID: t.ID, Parts: []Part{p}})
		}
	}
	slices.SortFunc(out, func(a, b TraceParts) int { return a.ID.Compare(b.ID) })
	return out, nil
}

// SpanFacts are the fields of a span read without decoding the rest, and
// lookups of its and its resource's attributes.
type SpanFacts struct {
	Kind       int32
	Start, End uint64
	StatusCode int32

	msg, resource   []byte
	name, statusMsg []byte // slices of msg: a string is made only when asked
}

// Name is the span's name.
func (f SpanFacts) Name() string { return string(f.name) }

// StatusMessage is the span's status message.
func (f SpanFacts) StatusMessage() string { return string(f.statusMsg) }

// SpanAttr returns the value (an AnyValue message) of the span's attribute
// key (the first, if repeated).
func (f SpanFacts) SpanAttr(key string) ([]byte, bool) { return attrValue(f.msg, 9, key) }

// ResourceAttr is SpanAttr for the span's resource.
func (f SpanFacts) ResourceAttr(key string) ([]byte, bool) { return attrValue(f.resource, 1, key) }

// attrValue finds key among the KeyValue messages in field attrs of msg.
func attrValue(msg []byte, attrs protowire.Number, key string) ([]byte, bool) {
	for off := 0; off < len(msg); {
		num, typ, vo, ve, err := field(msg, off, len(msg))
		if err != nil {
			return nil, false
		}
		off = ve
		if num != attrs || typ != protowire.BytesType {
			continue
		}
		kv := msg[vo:ve]
		var k, v []byte
		hasV := false
		for ko := 0; ko < len(kv); {
			kn, kt, kvo, kve, err := field(kv, ko, len(kv))
			if err != nil {
				break
			}
			if kt == protowire.BytesType {
				switch kn {
				case 1:
					k = kv[kvo:kve]
				case 2:
					v, hasV = kv[kvo:kve], true
				}
			}
			ko = kve
		}
		if string(k) == key {
			return v, hasV
		}
	}
	return nil, false
}

// Scalar kinds of an AnyValue.
const (
	ScalarNone = iota // absent, array, kvlist or bytes
	ScalarString
	ScalarBool
	ScalarInt
	ScalarDouble
)

// Scalar decodes an AnyValue message holding a string, bool, int or double
// (the last value field wins, as in any decoder).
func Scalar(v []byte) (kind int, s string, b bool, i int64, d float64) {
	for off := 0; off < len(v); {
		num, typ, vo, ve, err := field(v, off, len(v))
		if err != nil {
			return ScalarNone, "", false, 0, 0
		}
		switch {
		case num == 1 && typ == protowire.BytesType:
			kind, s = ScalarString, string(v[vo:ve])
		case num == 2 && typ == protowire.VarintType:
			x, _ := protowire.ConsumeVarint(v[vo:ve])
			kind, b = ScalarBool, x != 0
		case num == 3 && typ == protowire.VarintType:
			x, _ := protowire.ConsumeVarint(v[vo:ve])
			kind, i = ScalarInt, int64(x)
		case num == 4 && typ == protowire.Fixed64Type && ve-vo == 8:
			kind, d = ScalarDouble, math.Float64frombits(binary.LittleEndian.Uint64(v[vo:ve]))
		case num >= 5 && num <= 7:
			kind = ScalarNone
		}
		off = ve
	}
	return kind, s, b, i, d
}

// AnySpan reports whether fn holds for some span of the trace.
func (t TraceParts) AnySpan(fn func(SpanFacts) bool) bool {
	for _, p := range t.Parts {
		for _, s := range p.Spans {
			f := spanFacts(p.B.Bytes(s.Msg))
			f.resource = p.B.Bytes(p.B.Resources[p.B.Scopes[s.Scope].Resource].Msg)
			if fn(f) {
				return true
			}
		}
	}
	return false
}

// spanFacts reads a checked span message's kind, times, name and status
// (the last occurrence of a field wins, as in any decoder; a repeated status
// merges into the earlier ones, field by field, as pdata decodes it).
func spanFacts(msg []byte) (f SpanFacts) {
	f.msg = msg
	for off := 0; off < len(msg); {
		num, typ, vo, ve, err := field(msg, off, len(msg))
		if err != nil {
			return f
		}
		switch {
		case num == 6 && typ == protowire.VarintType:
			v, _ := protowire.ConsumeVarint(msg[vo:ve])
			f.Kind = int32(v)
		case num == 7 && typ == protowire.Fixed64Type && ve-vo == 8:
			f.Start = binary.LittleEndian.Uint64(msg[vo:ve])
		case num == 8 && typ == protowire.Fixed64Type && ve-vo == 8:
			f.End = binary.LittleEndian.Uint64(msg[vo:ve])
		case num == 5 && typ == protowire.BytesType:
			f.name = msg[vo:ve]
		case num == 15 && typ == protowire.BytesType:
			st := msg[vo:ve]
			for so := 0; so < len(st); {
				sn, styp, svo, sve, err := field(st, so, len(st))
				if err != nil {
					break
				}
				switch {
				case sn == 2 && styp == protowire.BytesType:
					f.statusMsg = st[svo:sve]
				case sn == 3 && styp == protowire.VarintType:
					v, _ := protowire.ConsumeVarint(st[svo:sve])
					f.StatusCode = int32(v)
				}
				so = sve
			}
		}
		off = ve
	}
	return f
}
