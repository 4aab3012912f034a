package jaeger

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/internal/tracecmp"
	"github.com/tempoctl/tempoctl/model"
)

// fixtureDir is ../shared/fixtures/jaeger beside the repository.
var fixtureDir = filepath.Join("..", "..", "..", "shared", "fixtures", "jaeger")

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

type expectedData struct {
	ids    []model.TraceID // in file order
	traces map[model.TraceID]ptrace.Traces
	spans  int
}

var (
	expectedOnce sync.Once
	expectedVal  expectedData
	expectedErr  error
)

// expected returns what was pushed into the recorded Jaeger (expected.jsonl).
func expected(t testing.TB) expectedData {
	t.Helper()
	expectedOnce.Do(func() {
		b, err := os.ReadFile(filepath.Join(fixtureDir, "expected.jsonl"))
		if err != nil {
			expectedErr = err
			return
		}
		expectedVal.traces = map[model.TraceID]ptrace.Traces{}
		_, expectedErr = model.ReadOTLPJSONLines(bytes.NewReader(b), func(_ int, td ptrace.Traces) error {
			ids, parts := model.SplitByTraceID(td)
			for _, id := range ids {
				expectedVal.ids = append(expectedVal.ids, id)
				expectedVal.traces[id] = parts[id]
				expectedVal.spans += parts[id].SpanCount()
			}
			return nil
		})
	})
	if expectedErr != nil {
		t.Fatalf("expected.jsonl: %v", expectedErr)
	}
	return expectedVal
}

// withJaegerLosses applies to a copy of td exactly what the fixtures README
// documents Jaeger loses: array/map attributes become JSON strings, link
// attributes become opentracing.ref_type=follows_from (link trace state is
// dropped) and, through the v1 JSON API, times are floored to µs with the
// end rebuilt from the floored start and duration.
func withJaegerLosses(td ptrace.Traces, v1 bool) ptrace.Traces {
	out := ptrace.NewTraces()
	td.CopyTo(out)
	rss := out.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		stringifyComplex(rs.Resource().Attributes())
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			spans := rs.ScopeSpans().At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				s := spans.At(k)
				stringifyComplex(s.Attributes())
				for e := 0; e < s.Events().Len(); e++ {
					stringifyComplex(s.Events().At(e).Attributes())
				}
				for l := 0; l < s.Links().Len(); l++ {
					lk := s.Links().At(l)
					lk.TraceState().FromRaw("")
					lk.Attributes().Clear()
					lk.Attributes().PutStr("opentracing.ref_type", "follows_from")
				}
				if v1 {
					start, end := uint64(s.StartTimestamp()), uint64(s.EndTimestamp())
					fs := start / 1000 * 1000
					s.SetStartTimestamp(pcommon.Timestamp(fs))
					s.SetEndTimestamp(pcommon.Timestamp(fs + (end-start)/1000*1000))
					for e := 0; e < s.Events().Len(); e++ {
						ev := s.Events().At(e)
						ev.SetTimestamp(ev.Timestamp() / 1000 * 1000)
					}
				}
			}
		}
	}
	return out
}

func stringifyComplex(m pcommon.Map) {
	m.Range(func(k string, v pcommon.Value) bool {
		if v.Type() == pcommon.ValueTypeSlice || v.Type() == pcommon.ValueTypeMap {
			v.SetStr(v.AsString())
		}
		return true
	})
}

// diffExpected compares got with the expected trace after Jaeger's
// documented losses; attributes compare as sets.
func diffExpected(t testing.TB, id model.TraceID, got ptrace.Traces, v1 bool) []string {
	t.Helper()
	want, ok := expected(t).traces[id]
	if !ok {
		return []string{"trace " + id.String() + " is not in expected.jsonl"}
	}
	return tracecmp.Diff(withJaegerLosses(want, v1), got, tracecmp.Options{}, 10)
}

// jsonData returns the elements of a v1 envelope's data array.
func jsonData(t testing.TB, b []byte) []json.RawMessage {
	t.Helper()
	var env struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	return env.Data
}
