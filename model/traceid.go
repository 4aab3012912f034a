package model

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// TraceID is a trace ID as stored: exactly 16 bytes.
type TraceID [16]byte

// ParseTraceID parses a hex trace ID the way Tempo's HTTP API does:
// case-insensitive, an odd length gets a leading 0, more than 32 hex digits is
// an error, shorter IDs are left-padded with zeros to 16 bytes.
func ParseTraceID(s string) (TraceID, error) {
	var id TraceID
	s = strings.TrimSpace(s)
	if s == "" {
		return id, fmt.Errorf("trace ID is empty")
	}
	if len(s) > 32 {
		return id, fmt.Errorf("trace ID %q is longer than 32 hex characters", s)
	}
	if len(s)%2 == 1 {
		s = "0" + s
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return id, fmt.Errorf("trace ID %q is not hex: %w", s, err)
	}
	copy(id[16-len(b):], b)
	return id, nil
}

// TraceIDFromBytes normalises raw ID bytes to 16: shorter IDs are left-padded
// with zeros, longer ones keep their last 16 bytes.
func TraceIDFromBytes(b []byte) TraceID {
	var id TraceID
	if len(b) >= 16 {
		copy(id[:], b[len(b)-16:])
	} else {
		copy(id[16-len(b):], b)
	}
	return id
}

// String is the full 32-character lowercase hex form.
func (id TraceID) String() string { return hex.EncodeToString(id[:]) }

// Text is Tempo's TraceIDText and search-result form: lowercase hex with the
// leading '0' characters removed ("" for the all-zero ID).
func (id TraceID) Text() string { return strings.TrimLeft(hex.EncodeToString(id[:]), "0") }

// IsZero reports whether every byte is zero.
func (id TraceID) IsZero() bool { return id == TraceID{} }

// Compare orders IDs bytewise, the order blocks are sorted in.
func (id TraceID) Compare(o TraceID) int {
	for i := range id {
		if id[i] != o[i] {
			if id[i] < o[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}
