package otlpwire

import (
	"encoding/binary"

	"google.golang.org/protobuf/encoding/protowire"
)

// SplitKeyValue splits a KeyValue message in the forms SDKs and collectors
// write, without a field walk: the key (field 1) and the value (field 2),
// once each in either order (the protobuf runtimes write the key first,
// pdata the value first), with one-byte lengths, filling the message
// exactly; or the key alone. ok is false for any other form, which the
// caller walks: a walk gives the same key and value for these forms.
func SplitKeyValue(msg []byte) (key, val []byte, ok bool) {
	const keyTag, valTag = 1<<3 | 2, 2<<3 | 2
	if len(msg) < 2 || msg[1] >= 0x80 {
		return nil, nil, false
	}
	k := 2 + int(msg[1])
	if k > len(msg) {
		return nil, nil, false
	}
	first, rest := msg[2:k], msg[k:]
	if len(rest) == 0 {
		return first, nil, msg[0] == keyTag
	}
	if len(rest) < 2 || rest[1] >= 0x80 || int(rest[1]) != len(rest)-2 {
		return nil, nil, false
	}
	second := rest[2:]
	switch {
	case msg[0] == keyTag && rest[0] == valTag:
		return first, second, true
	case msg[0] == valTag && rest[0] == keyTag:
		return second, first, true
	}
	return nil, nil, false
}

// OneScalar reads an AnyValue holding exactly one string, bool, int or
// double field, without a field walk (Scalar walks, and copies). kind is
// ScalarString, ScalarBool, ScalarInt or ScalarDouble; a string's bytes are
// in payload, the others' value in x (a double's IEEE 754 bits). ok is
// false for any other message, which the caller walks.
func OneScalar(v []byte) (kind int, payload []byte, x uint64, ok bool) {
	if len(v) < 2 {
		return 0, nil, 0, false
	}
	switch v[0] {
	case 1<<3 | 2: // string_value
		if v[1] < 0x80 && int(v[1]) == len(v)-2 {
			return ScalarString, v[2:], 0, true
		}
	case 2<<3 | 0, 3<<3 | 0: // bool_value, int_value
		if y, n := protowire.ConsumeVarint(v[1:]); n == len(v)-1 {
			return ScalarBool + int(v[0]>>3) - 2, nil, y, true
		}
	case 4<<3 | 1: // double_value
		if len(v) == 9 {
			return ScalarDouble, nil, binary.LittleEndian.Uint64(v[1:]), true
		}
	}
	return 0, nil, 0, false
}
