package vparquet

import (
	"encoding/base64"
	"math"
	"strconv"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// encodeAttr turns one OTLP KeyValue into a generic attribute (spec §7.5).
func encodeAttr(k string, v pcommon.Value) Attribute {
	a := Attribute{Key: k}
	switch v.Type() {
	case pcommon.ValueTypeStr:
		a.Value = []string{v.Str()}
	case pcommon.ValueTypeInt:
		a.ValueInt = []int64{v.Int()}
	case pcommon.ValueTypeDouble:
		a.ValueDouble = []float64{v.Double()}
	case pcommon.ValueTypeBool:
		a.ValueBool = []bool{v.Bool()}
	case pcommon.ValueTypeSlice:
		if encodeArray(&a, v.Slice()) {
			a.IsArray = true
			return a
		}
		a.ValueUnsupported = unsupported(v)
	default:
		a.ValueUnsupported = unsupported(v)
	}
	return a
}

// encodeArray fills a from a homogeneous array of scalars; false when the
// array is mixed or holds non-scalars.
func encodeArray(a *Attribute, s pcommon.Slice) bool {
	if s.Len() == 0 {
		return true
	}
	typ := s.At(0).Type()
	for i := 0; i < s.Len(); i++ {
		if s.At(i).Type() != typ {
			return false
		}
	}
	switch typ {
	case pcommon.ValueTypeStr:
		a.Value = make([]string, s.Len())
		for i := range a.Value {
			a.Value[i] = s.At(i).Str()
		}
	case pcommon.ValueTypeInt:
		a.ValueInt = make([]int64, s.Len())
		for i := range a.ValueInt {
			a.ValueInt[i] = s.At(i).Int()
		}
	case pcommon.ValueTypeDouble:
		a.ValueDouble = make([]float64, s.Len())
		for i := range a.ValueDouble {
			a.ValueDouble[i] = s.At(i).Double()
		}
	case pcommon.ValueTypeBool:
		a.ValueBool = make([]bool, s.Len())
		for i := range a.ValueBool {
			a.ValueBool[i] = s.At(i).Bool()
		}
	default:
		return false
	}
	return true
}

func unsupported(v pcommon.Value) *string {
	s := string(appendAnyValueJSON(nil, v))
	return &s
}

// decodeAttr puts a generic attribute back into m; it reports false when the
// attribute holds nothing and is therefore dropped (spec §7.5 read-back).
func decodeAttr(a *Attribute, m pcommon.Map) bool {
	if a.IsArray {
		s := m.PutEmptySlice(a.Key)
		switch {
		case len(a.Value) > 0:
			for _, x := range a.Value {
				s.AppendEmpty().SetStr(x)
			}
		case len(a.ValueInt) > 0:
			for _, x := range a.ValueInt {
				s.AppendEmpty().SetInt(x)
			}
		case len(a.ValueDouble) > 0:
			for _, x := range a.ValueDouble {
				s.AppendEmpty().SetDouble(x)
			}
		case len(a.ValueBool) > 0:
			for _, x := range a.ValueBool {
				s.AppendEmpty().SetBool(x)
			}
		}
		return true
	}
	switch {
	case len(a.Value) > 0:
		m.PutStr(a.Key, a.Value[0])
	case len(a.ValueInt) > 0:
		m.PutInt(a.Key, a.ValueInt[0])
	case len(a.ValueDouble) > 0:
		m.PutDouble(a.Key, a.ValueDouble[0])
	case len(a.ValueBool) > 0:
		m.PutBool(a.Key, a.ValueBool[0])
	case a.ValueUnsupported != nil:
		var av commonpb.AnyValue
		if err := protojson.Unmarshal([]byte(*a.ValueUnsupported), &av); err != nil {
			return false
		}
		setFromProto(m.PutEmpty(a.Key), &av)
	default:
		return false
	}
	return true
}

func setFromProto(dst pcommon.Value, av *commonpb.AnyValue) {
	switch x := av.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		dst.SetStr(x.StringValue)
	case *commonpb.AnyValue_IntValue:
		dst.SetInt(x.IntValue)
	case *commonpb.AnyValue_DoubleValue:
		dst.SetDouble(x.DoubleValue)
	case *commonpb.AnyValue_BoolValue:
		dst.SetBool(x.BoolValue)
	case *commonpb.AnyValue_BytesValue:
		dst.SetEmptyBytes().FromRaw(x.BytesValue)
	case *commonpb.AnyValue_ArrayValue:
		s := dst.SetEmptySlice()
		for _, e := range x.ArrayValue.GetValues() {
			setFromProto(s.AppendEmpty(), e)
		}
	case *commonpb.AnyValue_KvlistValue:
		m := dst.SetEmptyMap()
		for _, kv := range x.KvlistValue.GetValues() {
			setFromProto(m.PutEmpty(kv.GetKey()), kv.GetValue())
		}
	}
}

// appendAnyValueJSON writes v as protobuf-JSON of an OTLP AnyValue with no
// whitespace. Written by hand because protojson randomises spacing.
func appendAnyValueJSON(b []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		b = append(b, `{"stringValue":`...)
		b = appendJSONString(b, v.Str())
	case pcommon.ValueTypeInt:
		b = append(b, `{"intValue":"`...)
		b = strconv.AppendInt(b, v.Int(), 10)
		b = append(b, '"')
	case pcommon.ValueTypeDouble:
		b = append(b, `{"doubleValue":`...)
		b = appendJSONFloat(b, v.Double())
	case pcommon.ValueTypeBool:
		b = append(b, `{"boolValue":`...)
		b = strconv.AppendBool(b, v.Bool())
	case pcommon.ValueTypeBytes:
		b = append(b, `{"bytesValue":"`...)
		b = base64.StdEncoding.AppendEncode(b, v.Bytes().AsRaw())
		b = append(b, '"')
	case pcommon.ValueTypeSlice:
		b = append(b, `{"arrayValue":{`...)
		s := v.Slice()
		if s.Len() > 0 {
			b = append(b, `"values":[`...)
			for i := 0; i < s.Len(); i++ {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendAnyValueJSON(b, s.At(i))
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	case pcommon.ValueTypeMap:
		b = append(b, `{"kvlistValue":{`...)
		m := v.Map()
		if m.Len() > 0 {
			b = append(b, `"values":[`...)
			i := 0
			for k, e := range m.All() {
				if i > 0 {
					b = append(b, ',')
				}
				i++
				b = append(b, `{"key":`...)
				b = appendJSONString(b, k)
				b = append(b, `,"value":`...)
				b = appendAnyValueJSON(b, e)
				b = append(b, '}')
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	default:
		return append(b, "{}"...)
	}
	return append(b, '}')
}

// appendJSONFloat formats like protojson: NaN/Infinity quoted, exponent form
// outside [1e-6, 1e21).
func appendJSONFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	fmt := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		fmt = 'e'
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, fmt, -1, 64)
	if fmt == 'e' {
		// 1e-07 → 1e-7 as JavaScript and protojson print it.
		n := len(b)
		if n-start >= 4 && b[n-2] == '0' && (b[n-3] == '-' || b[n-3] == '+') {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendJSONString quotes s as JSON without HTML escaping (as protojson does).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r == '\b':
			b = append(b, '\\', 'b')
		case r == '\f':
			b = append(b, '\\', 'f')
		case r < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
		default:
			b = utf8.AppendRune(b, r) // invalid bytes come out as U+FFFD
		}
	}
	return append(b, '"')
}
