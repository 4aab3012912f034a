package jaeger

import (
	"strings"
	"testing"
)

// Recorded api/v3 bodies keep nanoseconds and everything but the documented
// losses; a search body splits into its traces.
func TestParseV3ResultFixtures(t *testing.T) {
	tests := []struct {
		name   string
		traces int
	}{
		{"v3/trace-cf65ef4defcce38b8165c065c04c5e9e-raw.json", 1},
		{"v3/trace-7771a6767d013db2dad8262c438c4d1f.json", 1},
		{"v3/trace-09607f1b0cea7ba8db40563f2f15084e.json", 1},
		{"v3/trace-5cc9f5e85dc0e41662f6eb0245b36aeb.json", 1},
		{"v3/trace-000000000000000026cf34cdd1ce3bc9.json", 1},
		{"v3/trace-26cf34cdd1ce3bc9-short-id.json", 1},
		{"v3/search-frontend-raw-num5.json", 5},
		{"v3/search-noservice-num5.json", 5},
		{"v3/search-frontend-num20.json", 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			trs, err := ParseV3Result(fixture(t, tc.name))
			if err != nil {
				t.Fatal(err)
			}
			if len(trs) != tc.traces {
				t.Fatalf("%d traces, want %d", len(trs), tc.traces)
			}
			for _, tr := range trs {
				if d := diffExpected(t, tr.ID, tr.Data, false); len(d) > 0 {
					t.Errorf("%s differs:\n%s", tr.ID, strings.Join(d, "\n"))
				}
				if tr.Data.SpanCount() != expected(t).traces[tr.ID].SpanCount() {
					t.Errorf("%s: %d spans, want %d", tr.ID, tr.Data.SpanCount(), expected(t).traces[tr.ID].SpanCount())
				}
			}
		})
	}
}

func TestParseV3ResultErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{string(fixture(t, "v3/search-no-results.json")), "404 No traces found"},
		{string(fixture(t, "v3/search-bad-time.json")), "400 malformed parameter"},
		{`{"result":null}`, `no "result"`},
		{`{"result":{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}}`, "OTLP JSON"},
		{`nope`, "api/v3 JSON"},
	}
	for _, tc := range tests {
		if _, err := ParseV3Result([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.40s: err %v, want %q", tc.in, err, tc.want)
		}
	}
}
