package model

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// LineError reports one bad line of an OTLP JSON lines stream.
type LineError struct {
	Line int
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// ReadOTLPJSONLines reads OTLP JSON, one TracesData per line (as the
// OpenTelemetry Collector's file exporter writes it), calling fn for each good
// line. Bad lines are collected and returned, not fatal; only an I/O error or
// an error from fn stops the read.
func ReadOTLPJSONLines(r io.Reader, fn func(line int, td ptrace.Traces) error) ([]LineError, error) {
	var bad []LineError
	var um ptrace.JSONUnmarshaler
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 256<<20)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if !json.Valid(line) {
			bad = append(bad, LineError{Line: n, Err: errors.New("not valid JSON")})
			continue
		}
		td, err := um.UnmarshalTraces(line)
		if err != nil {
			bad = append(bad, LineError{Line: n, Err: err})
			continue
		}
		if err := fn(n, td); err != nil {
			return bad, err
		}
	}
	if err := sc.Err(); err != nil {
		return bad, fmt.Errorf("read line %d: %w", n+1, err)
	}
	return bad, nil
}

// MarshalOTLPJSON encodes td as OTLP JSON ({"resourceSpans":[...]}, hex IDs).
func MarshalOTLPJSON(td ptrace.Traces) ([]byte, error) {
	var m ptrace.JSONMarshaler
	return m.MarshalTraces(td)
}
