package jaeger

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tempoctl/tempoctl/model"
)

func readAll(t *testing.T, name, content string) (traces []Trace, bad []fileItem) {
	t.Helper()
	err := readTraceFile(context.Background(), name, strings.NewReader(content), func(it fileItem) error {
		if it.Err != nil {
			bad = append(bad, it)
		} else {
			traces = append(traces, it.Trace)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return traces, bad
}

// The three UI exports in the fixtures migrate to the traces that were sent
// (v1 JSON: µs precision).
func TestReadUIExports(t *testing.T) {
	tests := []struct {
		file string
		ids  []string
	}{
		{"export-trace-json-cf65ef4defcce38b8165c065c04c5e9e.json", []string{"cf65ef4defcce38b8165c065c04c5e9e"}},
		{"export-trace-json-unadjusted-09607f1b0cea7ba8db40563f2f15084e.json", []string{"09607f1b0cea7ba8db40563f2f15084e"}},
		{"export-download-results.json", []string{"7771a6767d013db2dad8262c438c4d1f", "5cc9f5e85dc0e41662f6eb0245b36aeb", "000000000000000026cf34cdd1ce3bc9"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			trs, bad := readAll(t, tc.file, string(fixture(t, tc.file)))
			if len(bad) > 0 {
				t.Fatalf("bad items: %v", bad[0].Err)
			}
			if len(trs) != len(tc.ids) {
				t.Fatalf("%d traces, want %d", len(trs), len(tc.ids))
			}
			for i, tr := range trs {
				if tr.ID.String() != tc.ids[i] {
					t.Errorf("trace %d is %s, want %s", i, tr.ID, tc.ids[i])
				}
				if d := diffExpected(t, tr.ID, tr.Data, true); len(d) > 0 {
					t.Errorf("%s differs:\n%s", tr.ID, strings.Join(d, "\n"))
				}
			}
		})
	}
}

// Every shape the UI's loader accepts, api/v3 bodies, OTLP JSON lines, and
// bad items reported with their place while the rest is read.
func TestReadFileShapes(t *testing.T) {
	one := string(jsonData(t, fixture(t, "v1/trace-5cc9f5e85dc0e41662f6eb0245b36aeb.json"))[0])
	v3 := strings.TrimSpace(string(fixture(t, "v3/trace-7771a6767d013db2dad8262c438c4d1f.json")))
	otlpLine := strings.SplitN(string(fixture(t, "expected.jsonl")), "\n", 2)[0]
	tests := []struct {
		name    string
		content string
		traces  int
		bad     []string
	}{
		{"bare trace", one, 1, nil},
		{"array", "[" + one + "," + one + "]", 2, nil},
		{"data object", `{"data":` + one + `}`, 1, nil},
		{"v3 body", v3, 1, nil},
		{"otlp json", otlpLine, 1, nil},
		{"json lines", one + "\n" + v3 + "\n" + `{"data":[` + one + `]}` + "\n" + otlpLine + "\n", 4, nil},
		{"bad line kept going", one + "\n{not json\n" + v3 + "\n", 2, []string{"f.jsonl:2: not valid JSON"}},
		{"bad trace in array", `{"data":[` + one + `,{"traceID":"abc","spans":[{"spanID":"zz"}]}]}`, 1, []string{"f.jsonl:#1[1] trace abc: span zz: span ID"}},
		{"saved v1 error", string(fixture(t, "v1/trace-notfound.json")), 0, []string{"saved Jaeger error response: 404 trace not found"}},
		{"saved v3 error", string(fixture(t, "v3/trace-notfound.json")), 0, []string{"saved Jaeger error response"}},
		{"unknown object", `{"foo":1}`, 0, []string{"neither a Jaeger export nor OTLP JSON"}},
		{"truncated document", "{\n \"data\": [", 0, []string{"f.jsonl:#1: not valid JSON"}},
		{"empty", "", 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			trs, bad := readAll(t, "f.jsonl", tc.content)
			if len(trs) != tc.traces {
				t.Errorf("%d traces, want %d", len(trs), tc.traces)
			}
			if len(bad) != len(tc.bad) {
				t.Fatalf("bad items %v, want %v", bad, tc.bad)
			}
			for i, b := range bad {
				if msg := b.Where + ": " + b.Err.Error(); !strings.Contains(msg, tc.bad[i]) {
					t.Errorf("bad item %q, want %q", msg, tc.bad[i])
				}
			}
		})
	}
}

func TestExpandPaths(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.json", "a.jsonl", "sub/c.ndjson", "notes.txt"} {
		p := filepath.Join(dir, n)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("{}"), 0o644)
	}
	got, err := expandPaths([]string{dir, "-"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.json"), filepath.Join(dir, "sub/c.ndjson"), "-"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := expandPaths([]string{filepath.Join(dir, "missing")}); err == nil {
		t.Error("missing path accepted")
	}
	empty := t.TempDir()
	if _, err := expandPaths([]string{empty}); err == nil || !strings.Contains(err.Error(), "no .json") {
		t.Errorf("empty dir: %v", err)
	}
	_ = model.TraceID{}
}
