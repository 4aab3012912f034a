package tui

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
)

type flatSpan struct {
	name, service, parent string
	kind                  ptrace.SpanKind
	status                ptrace.StatusCode
	startMicros           int64
	events                int
	links                 []string
	attrs                 pcommon.Map
}

func flatSpans(td ptrace.Traces) map[string]flatSpan {
	out := map[string]flatSpan{}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		svc, _ := rss.At(i).Resource().Attributes().Get("service.name")
		for j := 0; j < rss.At(i).ScopeSpans().Len(); j++ {
			spans := rss.At(i).ScopeSpans().At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				fs := flatSpan{name: sp.Name(), service: svc.AsString(), parent: sp.ParentSpanID().String(),
					kind: sp.Kind(), status: sp.Status().Code(), startMicros: int64(sp.StartTimestamp()) / 1000,
					events: sp.Events().Len(), attrs: sp.Attributes()}
				for l := 0; l < sp.Links().Len(); l++ {
					fs.links = append(fs.links, model.TraceID(sp.Links().At(l).TraceID()).String()+"/"+sp.Links().At(l).SpanID().String())
				}
				out[sp.SpanID().String()] = fs
			}
		}
	}
	return out
}

// jaegerExpected reads the OTLP that was pushed into the Jaeger the exports
// came from.
func jaegerExpected(t *testing.T) map[model.TraceID]ptrace.Traces {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtures(t), "jaeger", "expected.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[model.TraceID]ptrace.Traces{}
	_, err = model.ReadOTLPJSONLines(bytes.NewReader(raw), func(_ int, td ptrace.Traces) error {
		ids, parts := model.SplitByTraceID(td)
		for _, id := range ids {
			out[id] = parts[id]
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestJaegerExports decodes the Jaeger UI's "Trace JSON", "Trace JSON
// (unadjusted)" and "Download Results" files and compares every span with
// what was originally sent: IDs, parents, names, services, kinds, status,
// µs start times, events, links and the typed span attributes (int64
// beyond 2^53 included).
func TestJaegerExports(t *testing.T) {
	want := jaegerExpected(t)
	for _, tc := range []struct {
		file   string
		traces int
	}{
		{"export-trace-json-cf65ef4defcce38b8165c065c04c5e9e.json", 1},
		{"export-trace-json-unadjusted-09607f1b0cea7ba8db40563f2f15084e.json", 1},
		{"export-download-results.json", 3},
	} {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(fixtures(t), "jaeger", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			traces, err := DecodeTraceFile(raw)
			if err != nil {
				t.Fatal(err)
			}
			if len(traces) != tc.traces {
				t.Fatalf("%d traces, want %d", len(traces), tc.traces)
			}
			for _, td := range traces {
				ids, _ := model.SplitByTraceID(td)
				exp, ok := want[ids[0]]
				if !ok {
					t.Fatalf("trace %s not in expected.jsonl", ids[0])
				}
				compareSpans(t, flatSpans(td), flatSpans(exp))
			}
		})
	}
}

func compareSpans(t *testing.T, got, want map[string]flatSpan) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d spans, want %d", len(got), len(want))
	}
	for id, w := range want {
		g, ok := got[id]
		if !ok {
			t.Fatalf("span %s missing", id)
		}
		if g.name != w.name || g.service != w.service || g.parent != w.parent || g.kind != w.kind ||
			g.status != w.status || g.startMicros != w.startMicros || g.events != w.events ||
			strings.Join(g.links, ",") != strings.Join(w.links, ",") {
			t.Errorf("span %s:\n got %+v\nwant %+v", id, g, w)
		}
		w.attrs.Range(func(k string, v pcommon.Value) bool {
			gv, ok := g.attrs.Get(k)
			if !ok {
				t.Errorf("span %s: attribute %s missing", id, k)
			} else if v.Type() != pcommon.ValueTypeSlice && v.Type() != pcommon.ValueTypeBytes && gv.AsString() != v.AsString() {
				t.Errorf("span %s: %s = %s, want %s", id, k, gv.AsString(), v.AsString())
			}
			return true
		})
	}
}

func TestDecodeTraceFileShapes(t *testing.T) {
	lines, err := os.ReadFile(filepath.Join(blockFixtures(t), "expected", "acme.json"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := bytes.Cut(lines, []byte("\n"))
	tempoShape := bytes.Replace(first, []byte(`"resourceSpans"`), []byte(`"batches"`), 1)
	jaegerTrace, err := os.ReadFile(filepath.Join(fixtures(t), "jaeger", "export-trace-json-cf65ef4defcce38b8165c065c04c5e9e.json"))
	if err != nil {
		t.Fatal(err)
	}
	jaegerData := bytes.TrimSpace(jaegerTrace)
	// {"data":[X]} → X and [X]
	inner := bytes.TrimSpace(jaegerData[bytes.IndexByte(jaegerData, '[')+1 : bytes.LastIndexByte(jaegerData, ']')])
	for _, tc := range []struct {
		name    string
		raw     []byte
		traces  int
		wantErr string
	}{
		{"OTLP JSON lines", lines, 100, ""},
		{"one OTLP object", first, 1, ""},
		{"Tempo batches", tempoShape, 1, ""},
		{"Jaeger data array", jaegerData, 1, ""},
		{"Jaeger bare array", append(append([]byte("["), inner...), ']'), 1, ""},
		{"Jaeger single trace", inner, 1, ""},
		{"Jaeger data object", append(append([]byte(`{"data":`), inner...), '}'), 1, ""},
		{"empty", []byte("  \n"), 0, "empty file"},
		{"unknown object", []byte(`{"foo":1}`), 0, "unknown JSON"},
		{"garbage lines", []byte("not json\nstill not\n"), 0, "not OTLP JSON lines"},
		{"Jaeger without spans", []byte(`{"data":[]}`), 0, "no spans"},
		{"Jaeger bad span ID", []byte(`{"data":[{"traceID":"01","spans":[{"spanID":"zz"}]}]}`), 0, "spanID"},
		{"Jaeger bad tag type", []byte(`{"data":[{"traceID":"01","spans":[{"spanID":"02","tags":[{"key":"a","type":"map","value":1}]}]}]}`), 0, "unknown type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeTraceFile(tc.raw)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.traces {
				t.Fatalf("%d traces, want %d", len(got), tc.traces)
			}
		})
	}
}

func TestOpenFileSearches(t *testing.T) {
	src, err := OpenFile(filepath.Join(blockFixtures(t), "expected", "acme.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(src.TraceIDs()) != 100 {
		t.Fatalf("%d traces", len(src.TraceIDs()))
	}
	resp, err := src.Search(t.Context(), `{ status = error }`, zeroTime, zeroTime, 500)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, td := range expectedTraces(t, "acme") {
		if hasError(td) {
			want++
		}
	}
	if len(resp.Traces) != want || want == 0 {
		t.Fatalf("%d error traces found, %d in the file", len(resp.Traces), want)
	}
	if resp.Metrics.InspectedBytes == 0 {
		t.Error("a file search reports the file's size as bytes inspected")
	}
	id := src.TraceIDs()[0]
	if _, err := src.Trace(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Trace(t.Context(), model.TraceID{1}); err != ErrTraceNotFound {
		t.Fatalf("unknown trace: %v", err)
	}
	if _, err := OpenFile(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Fatal("a missing file must fail")
	}
}

func hasError(td ptrace.Traces) bool {
	for _, s := range flatSpans(td) {
		if s.status == ptrace.StatusCodeError {
			return true
		}
	}
	return false
}

// FuzzDecodeTraceFile: any bytes decode or fail cleanly, and what decodes
// is one trace per value.
func FuzzDecodeTraceFile(f *testing.F) {
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102","spanId":"0304","name":"x"}]}]}]}`))
	f.Add([]byte(`{"batches":[{"scopeSpans":[{"spans":[{"traceId":"AQI=","spanId":"AwQ=","name":"x"}]}]}]}`))
	f.Add([]byte(`{"data":[{"traceID":"01","spans":[{"traceID":"01","spanID":"02","operationName":"x","startTime":1,"duration":2,"tags":[{"key":"n","type":"int64","value":"9007199254740993"}],"processID":"p1"}],"processes":{"p1":{"serviceName":"s","tags":[]}}}]}`))
	f.Add([]byte(`[{"traceID":"01","spans":[{"spanID":"02","references":[{"refType":"FOLLOWS_FROM","traceID":"03","spanID":"04"}]}]}]`))
	f.Add([]byte("{}\n{}\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		traces, err := DecodeTraceFile(raw)
		if err != nil {
			return
		}
		for _, td := range traces {
			if ids, _ := model.SplitByTraceID(td); len(ids) > 1 {
				t.Fatalf("a decoded value holds %d traces", len(ids))
			}
		}
	})
}
