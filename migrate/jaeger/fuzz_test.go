package jaeger

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tempoctl/tempoctl/model"
)

// Every decoder of untrusted input has a fuzz target: a Jaeger (or a file
// someone saved) can send anything, and a migration must skip what it
// cannot read, never crash. testdata/fuzz/<Target>/ holds the committed seed
// corpus; -update-seeds rewrites it from the fixtures. Run the JSON targets
// with -fuzzminimizetime 200x: minimizing a several-KB input for the default
// 60s stalls the fuzzer.

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the fuzz seed corpus from the fixtures")

type fuzzSeed struct {
	name string
	data []byte
}

func uiSeeds(tb testing.TB) []fuzzSeed {
	return []fuzzSeed{
		{"v1-big-int-binary", jsonData(tb, fixture(tb, "v1/trace-5cc9f5e85dc0e41662f6eb0245b36aeb.json"))[0]},
		{"small", []byte(`{"traceID":"26cf34cdd1ce3bc9","spans":[{"traceID":"26cf34cdd1ce3bc9","spanID":"0a","operationName":"op","references":[{"refType":"FOLLOWS_FROM","traceID":"1","spanID":"2"}],"startTime":1795457172000000,"duration":5,"tags":[{"key":"b","type":"binary","value":"AAE="},{"key":"i","type":"int64","value":"4690803972045638337"},{"key":"e","type":"bool","value":true}],"logs":[{"timestamp":1795457172000001,"fields":[{"key":"event","type":"string","value":"x"}]}],"processID":"p1"}],"processes":{"p1":{"serviceName":"s","tags":[]}}}`)},
		{"embedded-process", []byte(`{"traceID":"1","spans":[{"spanID":"2","parentSpanID":"3","startTime":1,"duration":2,"process":{"serviceName":"s","tags":[{"key":"hostname","type":"string","value":"h"}]},"tags":[{"key":"f","type":"float64","value":"1e400"}]}]}`)},
	}
}

func v3Seeds(tb testing.TB) []fuzzSeed {
	return []fuzzSeed{
		{"trace", fixture(tb, "v3/trace-5cc9f5e85dc0e41662f6eb0245b36aeb.json")},
		{"small", []byte(`{"result":{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"s"}}]},"scopeSpans":[{"spans":[{"traceId":"0000000000000000000000000000000a","spanId":"000000000000000b","name":"n","kind":2,"startTimeUnixNano":"1","endTimeUnixNano":"2","status":{"code":2}}]}]}]}}`)},
		{"error", fixture(tb, "v3/search-no-results.json")},
	}
}

func fileSeeds(tb testing.TB) []fuzzSeed {
	one := jsonData(tb, fixture(tb, "v1/trace-5cc9f5e85dc0e41662f6eb0245b36aeb.json"))[0]
	return []fuzzSeed{
		{"data-object", []byte(`{"data":` + string(one) + `}`)},
		{"lines", []byte(string(one) + "\n{bad\n" + `{"data":null,"errors":[{"code":404,"msg":"trace not found"}]}` + "\n")},
		{"array-mixed", []byte(`[{"resourceSpans":[]},` + string(one) + `]`)},
	}
}

func timeSeeds() []string {
	return []string{"now", "now-2h", "now+1w2d3h", "2026-11-23T18:06:12.5+01:00", "2026-11-23", "now-99999999999999d"}
}

func checkpointSeeds() []fuzzSeed {
	h := `{"type":"header","version":1,"source":"s","window":{"start":1,"end":2},"chunk":"1h0m0s","sink":"k","created":"2026-01-01T00:00:00Z"}` + "\n"
	return []fuzzSeed{
		{"journal", []byte(h + `{"type":"flush","seq":1,"traces":["01","0a"]}` + "\n" + `{"type":"flushed","seq":1,"blocks":[{"id":"b","traces":2}],"units":["window:1-2"]}` + "\n" + `{"type":"done","units":["x"]}` + "\n")},
		{"pending-torn", []byte(h + `{"type":"flush","seq":1,"traces":["01"]}` + "\n" + `{"type":"recovered","seq":1,"traces":["01"]}` + "\n" + `{"ty`)},
	}
}

func FuzzParseUITrace(f *testing.F) {
	for _, s := range uiSeeds(f) {
		f.Add(s.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		id, td, err := ParseUITrace(data)
		if err == nil && (td.SpanCount() == 0 || id.String() == "00000000000000000000000000000000") {
			t.Fatalf("accepted a trace with %d spans and ID %s", td.SpanCount(), id)
		}
	})
}

func FuzzParseV3Result(f *testing.F) {
	for _, s := range v3Seeds(f) {
		f.Add(s.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		trs, err := ParseV3Result(data)
		if err != nil {
			return
		}
		for _, tr := range trs {
			if tr.Data.SpanCount() == 0 {
				t.Fatalf("trace %s without spans", tr.ID)
			}
		}
	})
}

func FuzzReadTraceFile(f *testing.F) {
	for _, s := range fileSeeds(f) {
		f.Add(s.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := readTraceFile(context.Background(), "f", strings.NewReader(string(data)), func(it fileItem) error {
			if it.Err == nil && it.Trace.Data.SpanCount() == 0 {
				t.Fatalf("%s: trace %s without spans", it.Where, it.Trace.ID)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("reading from memory failed: %v", err)
		}
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range timeSeeds() {
		f.Add(s)
	}
	now := time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s, now)
		if err == nil && strings.HasPrefix(strings.TrimSpace(s), "now-") && got.After(now) {
			t.Fatalf("%q is after now: %v", s, got)
		}
	})
}

func FuzzCheckpointReplay(f *testing.F) {
	for _, s := range checkpointSeeds() {
		f.Add(s.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cp := &Checkpoint{Done: map[string]bool{}, Migrated: map[model.TraceID]bool{}}
		n, err := cp.replay(data)
		if err == nil && (n < 0 || n > len(data)) {
			t.Fatalf("sound prefix %d of %d bytes", n, len(data))
		}
	})
}

// TestFuzzSeedCorpus keeps testdata/fuzz in step with the fixtures: with
// -update-seeds it writes the files, otherwise it checks they exist.
func TestFuzzSeedCorpus(t *testing.T) {
	targets := map[string][]string{}
	add := func(target string, seeds []fuzzSeed, typ string) {
		for _, s := range seeds {
			targets[target] = append(targets[target], s.name)
			if *updateSeeds {
				body := fmt.Sprintf("go test fuzz v1\n%s(%q)\n", typ, s.data)
				dir := filepath.Join("testdata", "fuzz", target)
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "seed-"+s.name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	add("FuzzParseUITrace", uiSeeds(t), "[]byte")
	add("FuzzParseV3Result", v3Seeds(t), "[]byte")
	add("FuzzReadTraceFile", fileSeeds(t), "[]byte")
	add("FuzzCheckpointReplay", checkpointSeeds(), "[]byte")
	var ts []fuzzSeed
	for i, s := range timeSeeds() {
		ts = append(ts, fuzzSeed{fmt.Sprint(i), []byte(s)})
	}
	add("FuzzParseTime", ts, "string")
	for target, names := range targets {
		for _, n := range names {
			if _, err := os.Stat(filepath.Join("testdata", "fuzz", target, "seed-"+n)); err != nil {
				t.Errorf("seed corpus: %v (run go test -run TestFuzzSeedCorpus -update-seeds)", err)
			}
		}
	}
}
