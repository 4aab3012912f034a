package otlpwire

import (
	stdbytes "bytes"
	"encoding/binary"
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

// SpanFacts are the fields of a span read without decoding the rest.
type SpanFacts struct {
	Kind       int32
	Start, End uint64
	StatusCode int32
}

// AnySpan reports whether fn holds for some span of the trace.
func (t TraceParts) AnySpan(fn func(SpanFacts) bool) bool {
	for _, p := range t.Parts {
		for _, s := range p.Spans {
			if fn(spanFacts(p.B.Bytes(s.Msg))) {
				return true
			}
		}
	}
	return false
}

// spanFacts reads a checked span message's kind, times and status code
// (the last occurrence of a field wins, as in any decoder).
func spanFacts(msg []byte) (f SpanFacts) {
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
		case num == 15 && typ == protowire.BytesType:
			f.StatusCode = 0
			st := msg[vo:ve]
			for so := 0; so < len(st); {
				sn, styp, svo, sve, err := field(st, so, len(st))
				if err != nil {
					break
				}
				if sn == 3 && styp == protowire.VarintType {
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
