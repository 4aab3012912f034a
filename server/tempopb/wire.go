package tempopb

import (
	"math"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
)

// Message is a hand-encoded tempopb message; the codec carries any value
// implementing it (as a pointer) and hands everything else to the standard
// proto codec.
type Message interface {
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

// Writers: proto3 leaves zero scalars out.

func appendString(b []byte, f protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, f, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendStrings(b []byte, f protowire.Number, ss []string) []byte {
	for _, s := range ss {
		b = protowire.AppendTag(b, f, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	return b
}

func appendUint(b []byte, f protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, f, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendInt(b []byte, f protowire.Number, v int64) []byte { return appendUint(b, f, uint64(v)) }

// protowireBool writes a bool even when false (proto3 optional fields).
func protowireBool(b []byte, f protowire.Number, v bool) []byte {
	b = protowire.AppendTag(b, f, protowire.VarintType)
	return protowire.AppendVarint(b, protowire.EncodeBool(v))
}

// appendMessage writes an embedded message, even an empty one (presence of
// a message field is meaningful).
func appendMessage(b []byte, f protowire.Number, m []byte) []byte {
	b = protowire.AppendTag(b, f, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

// appendInt64Map writes map<string,int64> entries in key order.
func appendInt64Map(b []byte, f protowire.Number, m map[string]int64) []byte {
	for _, k := range sortedKeys(m) {
		v := protowire.AppendTag(mapKey(k), 2, protowire.VarintType)
		b = appendMessage(b, f, protowire.AppendVarint(v, uint64(m[k])))
	}
	return b
}

// mapKey starts a map entry with its key. Entries write key and value even
// when empty, as protobuf runtimes do.
func mapKey(k string) []byte {
	b := protowire.AppendTag(nil, 1, protowire.BytesType)
	return protowire.AppendString(b, k)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// field is one decoded field: v holds varint and fixed values, b the bytes
// of a length-delimited one.
type field struct {
	num protowire.Number
	typ protowire.Type
	v   uint64
	b   []byte
}

// eachField walks the fields of b in order.
func eachField(b []byte, fn func(f field) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			f.v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.v = uint64(v)
		case protowire.Fixed64Type:
			f.v, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			f.b, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// Readers: a field of another wire type than expected is skipped.

func (f field) varint() (uint64, bool) { return f.v, f.typ == protowire.VarintType }

func (f field) setUint32(dst *uint32) {
	if v, ok := f.varint(); ok {
		*dst = uint32(v)
	}
}

func (f field) setUint64(dst *uint64) {
	if v, ok := f.varint(); ok {
		*dst = v
	}
}

func (f field) setInt64(dst *int64) {
	if v, ok := f.varint(); ok {
		*dst = int64(v)
	}
}

func (f field) setInt32(dst *int32) {
	if v, ok := f.varint(); ok {
		*dst = int32(v)
	}
}

func (f field) setBool(dst *bool) {
	if v, ok := f.varint(); ok {
		*dst = v != 0
	}
}

func (f field) setDouble(dst *float64) {
	if f.typ == protowire.Fixed64Type {
		*dst = math.Float64frombits(f.v)
	}
}

func (f field) isBytes() bool { return f.typ == protowire.BytesType }

func (f field) setString(dst *string) {
	if f.isBytes() {
		*dst = string(f.b)
	}
}

func (f field) appendString(dst *[]string) {
	if f.isBytes() {
		*dst = append(*dst, string(f.b))
	}
}

// mapEntry decodes a map<string, V> entry: key is field 1, the value field
// 2 (given to value when present).
func mapEntry(b []byte, value func(f field) error) (string, error) {
	var key string
	err := eachField(b, func(f field) error {
		switch f.num {
		case 1:
			f.setString(&key)
		case 2:
			return value(f)
		}
		return nil
	})
	return key, err
}

func decodeInt64Map(dst *map[string]int64, f field) error {
	if !f.isBytes() {
		return nil
	}
	var v int64
	k, err := mapEntry(f.b, func(f field) error { f.setInt64(&v); return nil })
	if err != nil {
		return err
	}
	if *dst == nil {
		*dst = map[string]int64{}
	}
	(*dst)[k] = v
	return nil
}

// Timestamp is google.protobuf.Timestamp (the deprecated RF1After fields).
type Timestamp struct {
	Seconds int64
	Nanos   int32
}

func (t *Timestamp) marshal() []byte {
	return appendInt(appendInt(nil, 1, t.Seconds), 2, int64(t.Nanos))
}

func (t *Timestamp) unmarshal(b []byte) error {
	return eachField(b, func(f field) error {
		switch f.num {
		case 1:
			f.setInt64(&t.Seconds)
		case 2:
			f.setInt32(&t.Nanos)
		}
		return nil
	})
}

// decodeTimestamp merges a Timestamp field into *dst.
func decodeTimestamp(dst **Timestamp, f field) error {
	if !f.isBytes() {
		return nil
	}
	if *dst == nil {
		*dst = &Timestamp{}
	}
	return (*dst).unmarshal(f.b)
}
