package model

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

func TestReadOTLPJSONLinesReportsBadLines(t *testing.T) {
	good := `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"x"}]}]}]}`
	in := strings.Join([]string{good, "not json", "", good, `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}`}, "\n")
	var lines []int
	bad, err := ReadOTLPJSONLines(strings.NewReader(in), func(line int, td ptrace.Traces) error {
		lines = append(lines, line)
		if td.SpanCount() != 1 {
			t.Errorf("line %d: %d spans", line, td.SpanCount())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || lines[0] != 1 || lines[1] != 4 {
		t.Errorf("good lines = %v, want [1 4]", lines)
	}
	if len(bad) != 2 || bad[0].Line != 2 || bad[1].Line != 5 {
		t.Errorf("bad lines = %v, want lines 2 and 5", bad)
	}
}

func TestOTLPJSONRoundTripFixture(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "fixtures", "tempo-blocks", "expected", "acme.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("fixtures not found at %s (shared/ must sit beside the repo): %v", path, err)
	}
	defer f.Close()
	n := 0
	bad, err := ReadOTLPJSONLines(f, func(_ int, td ptrace.Traces) error {
		n++
		b, err := MarshalOTLPJSON(td)
		if err != nil {
			return err
		}
		var um ptrace.JSONUnmarshaler
		back, err := um.UnmarshalTraces(b)
		if err != nil {
			return err
		}
		if back.SpanCount() != td.SpanCount() {
			t.Errorf("round trip lost spans: %d != %d", back.SpanCount(), td.SpanCount())
		}
		return nil
	})
	if err != nil || len(bad) != 0 {
		t.Fatalf("err=%v bad=%v", err, bad)
	}
	if n != 100 {
		t.Errorf("read %d traces, want 100", n)
	}
}
