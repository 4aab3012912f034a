package jaeger

import (
	"strings"
	"testing"

	"github.com/tempoctl/tempoctl/model"
)

// Every recorded v1 trace (adjusted, raw, the 16-digit ID form, the UI's
// /api/transform output) maps back to what was sent, up to Jaeger's
// documented losses.
func TestParseUITraceFixtures(t *testing.T) {
	for _, name := range []string{
		"v1/trace-cf65ef4defcce38b8165c065c04c5e9e-raw.json",
		"v1/trace-cf65ef4defcce38b8165c065c04c5e9e.json",
		"v1/trace-7771a6767d013db2dad8262c438c4d1f.json",
		"v1/trace-09607f1b0cea7ba8db40563f2f15084e.json",
		"v1/trace-5cc9f5e85dc0e41662f6eb0245b36aeb.json",
		"v1/trace-000000000000000026cf34cdd1ce3bc9.json",
		"v1/trace-26cf34cdd1ce3bc9-short-id.json",
		"v1/transform-7771a6767d013db2dad8262c438c4d1f.json",
		"v1/transform-cf65ef4defcce38b8165c065c04c5e9e.json",
	} {
		t.Run(name, func(t *testing.T) {
			data := jsonData(t, fixture(t, name))
			if len(data) != 1 {
				t.Fatalf("%d traces in fixture", len(data))
			}
			id, td, err := ParseUITrace(data[0])
			if err != nil {
				t.Fatal(err)
			}
			if d := diffExpected(t, id, td, true); len(d) > 0 {
				t.Errorf("differs from expected:\n%s", strings.Join(d, "\n"))
			}
		})
	}
}

func TestParseUITraceWidensShortID(t *testing.T) {
	data := jsonData(t, fixture(t, "v1/trace-26cf34cdd1ce3bc9-short-id.json"))
	id, td, err := ParseUITrace(data[0])
	if err != nil {
		t.Fatal(err)
	}
	want, _ := model.ParseTraceID("000000000000000026cf34cdd1ce3bc9")
	if id != want {
		t.Fatalf("id %s", id)
	}
	got := model.TraceIDFromBytes(func() []byte { b := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).TraceID(); return b[:] }())
	if got != want {
		t.Fatalf("span trace id %s", got)
	}
}

func TestParseUITraceErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not json", `{`, "jaeger trace JSON"},
		{"no spans", `{"traceID":"01","spans":[]}`, "no spans"},
		{"bad trace id", `{"traceID":"xyz","spans":[{"spanID":"01","processID":"p1"}],"processes":{"p1":{"serviceName":"a"}}}`, "trace ID"},
		{"zero trace id", `{"traceID":"0","spans":[{"spanID":"01","processID":"p1"}],"processes":{"p1":{"serviceName":"a"}}}`, "zero"},
		{"bad span id", `{"traceID":"01","spans":[{"spanID":"zz","processID":"p1"}],"processes":{"p1":{"serviceName":"a"}}}`, "span ID"},
		{"unknown process", `{"traceID":"01","spans":[{"spanID":"01","processID":"p9"}],"processes":{}}`, "unknown processID"},
		{"bad ref type", `{"traceID":"01","spans":[{"spanID":"01","processID":"p1","references":[{"refType":"X","traceID":"01","spanID":"02"}]}],"processes":{"p1":{"serviceName":"a"}}}`, "reference type"},
		{"bad int", `{"traceID":"01","spans":[{"spanID":"01","processID":"p1","tags":[{"key":"k","type":"int64","value":"x"}]}],"processes":{"p1":{"serviceName":"a"}}}`, `tag "k"`},
		{"bad binary", `{"traceID":"01","spans":[{"spanID":"01","processID":"p1","tags":[{"key":"k","type":"binary","value":"%%"}]}],"processes":{"p1":{"serviceName":"a"}}}`, `tag "k"`},
		{"unknown type", `{"traceID":"01","spans":[{"spanID":"01","processID":"p1","tags":[{"key":"k","type":"list","value":1}]}],"processes":{"p1":{"serviceName":"a"}}}`, "unknown tag type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseUITrace([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

// Tag values arrive as strings or JSON scalars depending on the writer.
func TestParseUITraceTagForms(t *testing.T) {
	in := `{"traceID":"0a","spans":[{"spanID":"01","parentSpanID":"02","operationName":"op","startTime":1000,"duration":5,"processID":"p1",
	 "tags":[{"key":"i","type":"int64","value":"4690803972045638337"},{"key":"j","type":"int64","value":7},
	         {"key":"b","type":"bool","value":"true"},{"key":"c","type":"bool","value":false},
	         {"key":"f","type":"float64","value":"1.5"},{"key":"g","type":"float64","value":2.25},
	         {"key":"s","value":"plain"},{"key":"n","type":"string","value":3}]}],
	 "processes":{"p1":{"serviceName":"svc","tags":[{"key":"hostname","type":"string","value":"h1"}]}}}`
	_, td, err := ParseUITrace([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	rs := td.ResourceSpans().At(0)
	if v, _ := rs.Resource().Attributes().Get("host.name"); v.Str() != "h1" {
		t.Errorf("hostname not mapped to host.name: %v", rs.Resource().Attributes().AsRaw())
	}
	s := rs.ScopeSpans().At(0).Spans().At(0)
	got := s.Attributes().AsRaw()
	want := map[string]any{"i": int64(4690803972045638337), "j": int64(7), "b": true, "c": false, "f": 1.5, "g": 2.25, "s": "plain", "n": "3"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	if s.ParentSpanID().String() != "0000000000000002" {
		t.Errorf("parent %s", s.ParentSpanID())
	}
	if s.StartTimestamp() != 1000000 || s.EndTimestamp() != 1005000 {
		t.Errorf("times %d %d", s.StartTimestamp(), s.EndTimestamp())
	}
}

func TestJSONString(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{`"plain"`, "plain", true},
		{` "spaced" `, "spaced", true},
		{`"esc\"aped\n"`, "esc\"aped\n", true},
		{`"\u00e9t\u00e9"`, "été", true},
		{`""`, "", true},
		{`12`, "", false},
		{`true`, "", false},
		{`"`, "", false},
		{"\"bad\xff\"", "bad\ufffd", true},
	}
	for _, tc := range tests {
		got, ok := jsonString([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: %q %v, want %q %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
