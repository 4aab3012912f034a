package tempopb

import (
	"bytes"
	"reflect"
	"testing"
)

// requestTypes are the messages a server decodes from clients.
var requestTypes = []func() Message{
	func() Message { return &SearchRequest{} },
	func() Message { return &SearchTagsRequest{} },
	func() Message { return &SearchTagValuesRequest{} },
	func() Message { return &QueryRangeRequest{} },
	func() Message { return &QueryInstantRequest{} },
}

// responseTypes are the messages a client decodes from servers.
var responseTypes = []func() Message{
	func() Message { return &SearchResponse{} },
	func() Message { return &SearchTagsResponse{} },
	func() Message { return &SearchTagsV2Response{} },
	func() Message { return &SearchTagValuesResponse{} },
	func() Message { return &SearchTagValuesV2Response{} },
}

// FuzzUnmarshalRequest feeds arbitrary bytes to every request decoder
// (and, as clients decode them, the response decoders):
// none may panic, and what decodes must encode to bytes that decode to
// the same value and encode the same again.
func FuzzUnmarshalRequest(f *testing.F) {
	for _, tc := range wireCases {
		b, _ := tc.msg.Marshal()
		f.Add(b)
	}
	for _, b := range [][]byte{
		{},
		{0x08},                   // field 1 varint, value missing
		{0x0a, 0x05, 'a'},        // length past the end
		{0x2d, 1, 2, 3, 4},       // field 5 as fixed32 (wrong type: skipped)
		{0x0b, 0x0c},             // a group, unknown
		{0x00, 0x01},             // field number 0
		{0x0a, 0x02, 0x0a, 0x80}, // map entry with a truncated key
		{0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, // uint32 from a 64-bit varint
		{0x42, 0x03, 0xff, 0xfe, 0xfd},                                     // Query: invalid UTF-8
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, mk := range requestTypes {
			roundTrip(t, mk, data, true)
		}
		for _, mk := range responseTypes {
			// Responses always carry metrics: a missing one comes back
			// empty, so compare from the first re-encoding on.
			roundTrip(t, mk, data, false)
		}
	})
}

func roundTrip(t *testing.T, mk func() Message, data []byte, strict bool) {
	m := mk()
	if err := m.Unmarshal(data); err != nil {
		return
	}
	b, err := m.Marshal()
	if err != nil {
		t.Fatalf("%T: marshal after a good unmarshal: %v", m, err)
	}
	again := mk()
	if err := again.Unmarshal(b); err != nil {
		t.Fatalf("%T: our own encoding does not decode: %v", m, err)
	}
	if strict && !reflect.DeepEqual(m, again) {
		t.Fatalf("%T: changed in a round trip:\n%+v\n%+v", m, m, again)
	}
	b2, _ := again.Marshal()
	if !bytes.Equal(b, b2) {
		t.Fatalf("%T: encoding not stable", m)
	}
	third := mk()
	if err := third.Unmarshal(b2); err != nil || !reflect.DeepEqual(again, third) {
		t.Fatalf("%T: changed in a second round trip (%v)", m, err)
	}
}
