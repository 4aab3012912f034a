package api

import (
	"encoding/base64"
	"math"
	"math/bits"
	"strconv"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// The trace JSON written straight from OTLP protobuf bytes, exactly as
// protojson writes the generated OTLP messages (then compacted), without
// building them: fields in the messages' declaration order, proto3 zero
// values left out, 64-bit integers as strings, enums by name, bytes as
// base64. Anything this encoder does not know (a field it does not list,
// a repeated singular field, invalid UTF-8, deep nesting) makes it give up,
// and the caller takes the protojson path, which then answers as before.

// wireKind is how a field is stored and written.
type wireKind uint8

const (
	kString  wireKind = iota
	kBytes            // base64
	kBool             // varint
	kEnum             // varint, written by name
	kUint32           // varint, as a number
	kInt64            // varint, as a string
	kFixed64          // as a string
	kFixed32          // as a number
	kDouble           // fixed64 bits
	kMessage
)

// wireField is one field of a message, in declaration order.
type wireField struct {
	num      protowire.Number
	name     string // JSON name, quoted, with its colon
	kind     wireKind
	repeated bool
	oneof    bool // written even when zero
	msg      *wireMessage
	enum     []string // names by number
}

type wireMessage struct {
	fields []wireField
	byNum  [maxWireField]*wireField
	// always are fields written as {} when absent (Tempo writes an
	// unset status as "status":{}).
	always protowire.Number
}

// maxWireField bounds field numbers (the largest is Span.flags, 16).
const maxWireField = 17

// maxWireDepth is the deepest nesting written here (values in values);
// deeper traces take the protojson path.
const maxWireDepth = 64

var (
	spanKinds   = []string{"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"}
	statusCodes = []string{"STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"}

	wireAnyValue  = &wireMessage{}
	wireArray     = &wireMessage{}
	wireKVList    = &wireMessage{}
	wireKeyValue  = &wireMessage{}
	wireResource  = &wireMessage{}
	wireScope     = &wireMessage{}
	wireStatus    = &wireMessage{}
	wireEvent     = &wireMessage{}
	wireLink      = &wireMessage{}
	wireSpan      = &wireMessage{}
	wireScopeSpan = &wireMessage{}
	wireResSpans  = &wireMessage{}
)

func init() {
	attrs := func(n protowire.Number) wireField {
		return wireField{num: n, name: `"attributes":`, kind: kMessage, repeated: true, msg: wireKeyValue}
	}
	wireAnyValue.fields = []wireField{
		{num: 1, name: `"stringValue":`, kind: kString, oneof: true},
		{num: 2, name: `"boolValue":`, kind: kBool, oneof: true},
		{num: 3, name: `"intValue":`, kind: kInt64, oneof: true},
		{num: 4, name: `"doubleValue":`, kind: kDouble, oneof: true},
		{num: 5, name: `"arrayValue":`, kind: kMessage, oneof: true, msg: wireArray},
		{num: 6, name: `"kvlistValue":`, kind: kMessage, oneof: true, msg: wireKVList},
		{num: 7, name: `"bytesValue":`, kind: kBytes, oneof: true},
	}
	wireArray.fields = []wireField{{num: 1, name: `"values":`, kind: kMessage, repeated: true, msg: wireAnyValue}}
	wireKVList.fields = []wireField{{num: 1, name: `"values":`, kind: kMessage, repeated: true, msg: wireKeyValue}}
	wireKeyValue.fields = []wireField{
		{num: 1, name: `"key":`, kind: kString},
		{num: 2, name: `"value":`, kind: kMessage, msg: wireAnyValue},
	}
	wireResource.fields = []wireField{
		attrs(1),
		{num: 2, name: `"droppedAttributesCount":`, kind: kUint32},
	}
	wireScope.fields = []wireField{
		{num: 1, name: `"name":`, kind: kString},
		{num: 2, name: `"version":`, kind: kString},
		attrs(3),
		{num: 4, name: `"droppedAttributesCount":`, kind: kUint32},
	}
	wireStatus.fields = []wireField{
		{num: 2, name: `"message":`, kind: kString},
		{num: 3, name: `"code":`, kind: kEnum, enum: statusCodes},
	}
	wireEvent.fields = []wireField{
		{num: 1, name: `"timeUnixNano":`, kind: kFixed64},
		{num: 2, name: `"name":`, kind: kString},
		attrs(3),
		{num: 4, name: `"droppedAttributesCount":`, kind: kUint32},
	}
	wireLink.fields = []wireField{
		{num: 1, name: `"traceId":`, kind: kBytes},
		{num: 2, name: `"spanId":`, kind: kBytes},
		{num: 3, name: `"traceState":`, kind: kString},
		attrs(4),
		{num: 5, name: `"droppedAttributesCount":`, kind: kUint32},
		{num: 6, name: `"flags":`, kind: kFixed32},
	}
	wireSpan.fields = []wireField{
		{num: 1, name: `"traceId":`, kind: kBytes},
		{num: 2, name: `"spanId":`, kind: kBytes},
		{num: 3, name: `"traceState":`, kind: kString},
		{num: 4, name: `"parentSpanId":`, kind: kBytes},
		{num: 16, name: `"flags":`, kind: kFixed32},
		{num: 5, name: `"name":`, kind: kString},
		{num: 6, name: `"kind":`, kind: kEnum, enum: spanKinds},
		{num: 7, name: `"startTimeUnixNano":`, kind: kFixed64},
		{num: 8, name: `"endTimeUnixNano":`, kind: kFixed64},
		attrs(9),
		{num: 10, name: `"droppedAttributesCount":`, kind: kUint32},
		{num: 11, name: `"events":`, kind: kMessage, repeated: true, msg: wireEvent},
		{num: 12, name: `"droppedEventsCount":`, kind: kUint32},
		{num: 13, name: `"links":`, kind: kMessage, repeated: true, msg: wireLink},
		{num: 14, name: `"droppedLinksCount":`, kind: kUint32},
		{num: 15, name: `"status":`, kind: kMessage, msg: wireStatus},
	}
	wireSpan.always = 15
	wireScopeSpan.fields = []wireField{
		{num: 1, name: `"scope":`, kind: kMessage, msg: wireScope},
		{num: 2, name: `"spans":`, kind: kMessage, repeated: true, msg: wireSpan},
		{num: 3, name: `"schemaUrl":`, kind: kString},
	}
	wireResSpans.fields = []wireField{
		{num: 1, name: `"resource":`, kind: kMessage, msg: wireResource},
		{num: 2, name: `"scopeSpans":`, kind: kMessage, repeated: true, msg: wireScopeSpan},
		{num: 3, name: `"schemaUrl":`, kind: kString},
	}
	for _, m := range []*wireMessage{wireAnyValue, wireArray, wireKVList, wireKeyValue, wireResource, wireScope,
		wireStatus, wireEvent, wireLink, wireSpan, wireScopeSpan, wireResSpans} {
		for i := range m.fields {
			m.byNum[m.fields[i].num] = &m.fields[i]
		}
	}
}

// appendTraceJSON appends `{"<key>":[ResourceSpans...]}` for the OTLP
// TracesData in b; ok is false when the protojson path must write it.
func appendTraceJSON(dst []byte, key string, b []byte) (_ []byte, ok bool) {
	dst = append(dst, `{"`...)
	dst = append(dst, key...)
	dst = append(dst, `":[`...)
	first := true
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || num != 1 || typ != protowire.BytesType {
			return dst, false
		}
		b = b[n:]
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return dst, false
		}
		b = b[n:]
		if !first {
			dst = append(dst, ',')
		}
		first = false
		if dst, ok = appendMessage(dst, v, wireResSpans, 0); !ok {
			return dst, false
		}
	}
	return append(dst, "]}"...), true
}

// fieldSeen is where a field's value lies in its message: the first
// occurrence (and, for a singular field, the only one).
type fieldSeen struct {
	count int
	at    int // offset of the first occurrence's tag
	val   []byte
	v     uint64 // varint and fixed values
}

// appendMessage writes message b of type t as JSON.
func appendMessage(dst []byte, b []byte, t *wireMessage, depth int) ([]byte, bool) {
	if depth > maxWireDepth {
		return dst, false
	}
	var seen [maxWireField]fieldSeen
	byNum := &t.byNum
	oneofs := 0
	for off := 0; off < len(b); {
		num, typ, n := protowire.ConsumeTag(b[off:])
		if n < 0 || num <= 0 || num >= maxWireField || byNum[num] == nil {
			return dst, false
		}
		f := byNum[num]
		s := &seen[num]
		if s.count == 0 {
			s.at = off
		} else if !f.repeated {
			return dst, false // proto would merge or keep the last one
		}
		s.count++
		if f.oneof {
			oneofs++
		}
		off += n
		var ok bool
		if s.val, s.v, n, ok = consumeValue(b[off:], f.kind, typ); !ok {
			return dst, false
		}
		off += n
	}
	if oneofs > 1 {
		return dst, false
	}
	dst = append(dst, '{')
	comma := false
	var ok bool
	for i := range t.fields {
		f := &t.fields[i]
		s := &seen[f.num]
		if s.count == 0 {
			if f.num == t.always && t.always != 0 {
				dst = appendComma(dst, &comma)
				dst = append(dst, f.name...)
				dst = append(dst, "{}"...)
			}
			continue
		}
		if f.repeated {
			dst = appendComma(dst, &comma)
			dst = append(dst, f.name...)
			dst = append(dst, '[')
			k := 0
			for off := s.at; off < len(b) && k < s.count; {
				num, typ, n := protowire.ConsumeTag(b[off:])
				off += n
				if num != f.num {
					off += protowire.ConsumeFieldValue(num, typ, b[off:]) // valid: scanned above
					continue
				}
				val, m := protowire.ConsumeBytes(b[off:])
				off += m
				if k > 0 {
					dst = append(dst, ',')
				}
				k++
				if dst, ok = appendMessage(dst, val, f.msg, depth+1); !ok {
					return dst, false
				}
			}
			dst = append(dst, ']')
			continue
		}
		if !f.oneof && isZero(f.kind, s) {
			continue
		}
		dst = appendComma(dst, &comma)
		dst = append(dst, f.name...)
		if dst, ok = appendValue(dst, f, s, depth); !ok {
			return dst, false
		}
	}
	return append(dst, '}'), true
}

func appendComma(dst []byte, comma *bool) []byte {
	if *comma {
		dst = append(dst, ',')
	}
	*comma = true
	return dst
}

// consumeValue reads a value of kind k stored with wire type typ.
func consumeValue(b []byte, k wireKind, typ protowire.Type) (val []byte, v uint64, n int, ok bool) {
	switch k {
	case kString, kBytes, kMessage:
		if typ != protowire.BytesType {
			return nil, 0, 0, false
		}
		val, n = protowire.ConsumeBytes(b)
	case kBool, kEnum, kUint32, kInt64:
		if typ != protowire.VarintType {
			return nil, 0, 0, false
		}
		v, n = protowire.ConsumeVarint(b)
	case kFixed64, kDouble:
		if typ != protowire.Fixed64Type {
			return nil, 0, 0, false
		}
		v, n = protowire.ConsumeFixed64(b)
	case kFixed32:
		if typ != protowire.Fixed32Type {
			return nil, 0, 0, false
		}
		var x uint32
		x, n = protowire.ConsumeFixed32(b)
		v = uint64(x)
	}
	return val, v, n, n >= 0
}

// isZero says whether proto3 leaves the field out (implicit presence).
func isZero(k wireKind, s *fieldSeen) bool {
	switch k {
	case kString, kBytes:
		return len(s.val) == 0
	case kMessage:
		return false
	case kUint32, kEnum:
		return uint32(s.v) == 0
	}
	return s.v == 0
}

func appendValue(dst []byte, f *wireField, s *fieldSeen, depth int) ([]byte, bool) {
	switch f.kind {
	case kString:
		return appendJSONString(dst, s.val)
	case kBytes:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, s.val)
		return append(dst, '"'), true
	case kBool:
		return strconv.AppendBool(dst, s.v != 0), true
	case kEnum:
		if e := int32(s.v); e >= 0 && int(e) < len(f.enum) {
			dst = append(dst, '"')
			dst = append(dst, f.enum[e]...)
			return append(dst, '"'), true
		}
		return strconv.AppendInt(dst, int64(int32(s.v)), 10), true
	case kUint32:
		return strconv.AppendUint(dst, uint64(uint32(s.v)), 10), true
	case kInt64:
		dst = append(dst, '"')
		dst = strconv.AppendInt(dst, int64(s.v), 10)
		return append(dst, '"'), true
	case kFixed64:
		dst = append(dst, '"')
		dst = strconv.AppendUint(dst, s.v, 10)
		return append(dst, '"'), true
	case kFixed32:
		return strconv.AppendUint(dst, s.v, 10), true
	case kDouble:
		return appendJSONFloat(dst, math.Float64frombits(s.v)), true
	case kMessage:
		return appendMessage(dst, s.val, f.msg, depth+1)
	}
	return dst, false
}

// appendJSONString quotes s as protojson does: only ", \ and control
// characters escaped; invalid UTF-8 is not written.
func appendJSONString(dst []byte, s []byte) ([]byte, bool) {
	if !utf8.Valid(s) {
		return dst, false
	}
	dst = append(dst, '"')
	start := 0
	for i, c := range s {
		if c >= ' ' && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		start = i + 1
		dst = append(dst, '\\')
		switch c {
		case '"', '\\':
			dst = append(dst, c)
		case '\b':
			dst = append(dst, 'b')
		case '\f':
			dst = append(dst, 'f')
		case '\n':
			dst = append(dst, 'n')
		case '\r':
			dst = append(dst, 'r')
		case '\t':
			dst = append(dst, 't')
		default:
			dst = append(dst, 'u')
			dst = append(dst, "0000"[1+(bits.Len32(uint32(c))-1)/4:]...)
			dst = strconv.AppendUint(dst, uint64(c), 16)
		}
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"'), true
}

// appendJSONFloat writes a double as protojson does (encoding/json's
// format; NaN and the infinities as strings).
func appendJSONFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}
