package jaegertest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/internal/tracecmp"
	"github.com/tempoctl/tempoctl/migrate/jaeger"
	"github.com/tempoctl/tempoctl/migrate/jaeger/jaegertest"
	"github.com/tempoctl/tempoctl/model"
)

var dir = filepath.Join("..", "..", "..", "..", "shared", "fixtures", "jaeger")

type manifestRequest struct {
	Name    string `json:"name"`
	Method  string `json:"method"`
	URL     string `json:"url"`
	Status  int    `json:"status"`
	File    string `json:"file"`
	Summary *struct {
		Order  [][]any          `json:"order"`
		Errors []map[string]any `json:"errors"`
	} `json:"summary"`
}

func requests(t *testing.T) []manifestRequest {
	var m struct {
		Requests []manifestRequest `json:"requests"`
	}
	dec := json.NewDecoder(strings.NewReader(string(readFile(t, "manifest.json"))))
	dec.UseNumber() // µs and ns starts exceed float64's integers
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m.Requests
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	f, err := http.Dir(dir).Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func start(t *testing.T, opts jaegertest.Options) *jaegertest.Server {
	t.Helper()
	opts.Dir = dir
	s, err := jaegertest.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// notModelled are recorded requests whose features the fake leaves out: the
// migration never sends them.
var notModelled = map[string]string{
	"v1/search-payment-tags-error-limit5.json":                           "tag filters",
	"v1/search-payment-tag-kv-limit5.json":                               "tag filters",
	"v1/search-frontend-minDuration1s.json":                              "duration filters",
	"v3/search-payment-attributes-num5.json":                             "attribute filters",
	"v1/dependencies.json":                                               "dependencies",
	"v1/dependencies-badendts.json":                                      "dependencies",
	"v3/dependencies.json":                                               "dependencies",
	"v3/trace-summaries-frontend-num5.json":                              "trace summaries",
	"v1/operations-legacy-frontend.json":                                 "operation order is random in Jaeger",
	"v1/operations-legacy-checkout.json":                                 "operation order is random in Jaeger",
	"v1/operations-legacy-cart.json":                                     "operation order is random in Jaeger",
	"v1/operations-legacy-payment.json":                                  "operation order is random in Jaeger",
	"v1/operations-legacy-db.json":                                       "operation order is random in Jaeger",
	"v1/search-badtags.json":                                             "tag filters",
	"v3/search-bad-attributes.json":                                      "attribute filters",
	"v1/search-badstart.json":                                            "checked below",
	"export-trace-json-cf65ef4defcce38b8165c065c04c5e9e.json":            "prettyPrint",
	"export-trace-json-unadjusted-09607f1b0cea7ba8db40563f2f15084e.json": "prettyPrint",
}

// The fake, answering from its data alone, gives every recorded request the
// same status and the same traces (order, span counts, first span start)
// as the real Jaeger did.
func TestFakeMatchesRecordedJaeger(t *testing.T) {
	fake := start(t, jaegertest.Options{NoRecordings: true})
	checked := 0
	for _, r := range requests(t) {
		if r.Method != "GET" || notModelled[r.Name] != "" {
			continue
		}
		t.Run(r.Name, func(t *testing.T) {
			u, err := url.Parse(r.URL)
			if err != nil {
				t.Fatal(err)
			}
			status, body := get(t, fake.URL+u.RequestURI())
			if status != r.Status {
				t.Fatalf("status %d, want %d: %s", status, r.Status, body)
			}
			if r.Summary != nil {
				got := order(t, strings.HasPrefix(u.Path, "/api/v3"), body)
				var want [][3]string
				for _, o := range r.Summary.Order {
					id, err := model.ParseTraceID(o[0].(string))
					if err != nil {
						t.Fatal(err)
					}
					want = append(want, [3]string{id.String(), fmt.Sprint(o[1]), fmt.Sprint(o[2])})
				}
				if !reflect.DeepEqual(got, want) {
					for i := range min(len(got), len(want)) {
						if got[i] != want[i] {
							t.Errorf("trace %d: got %v, want %v", i, got[i], want[i])
							break
						}
					}
					t.Errorf("traces differ from the recording: got %d, want %d:\n got %v\nwant %v", len(got), len(want), head(got), head(want))
				}
			}
			if r.File != "" && status == http.StatusOK && r.Summary == nil && strings.Contains(u.Path, "/traces/") {
				same(t, strings.HasPrefix(u.Path, "/api/v3"), readFile(t, r.File), body)
			}
			checked++
		})
	}
	if checked < 40 {
		t.Errorf("only %d recorded requests compared", checked)
	}
}

func head(o [][3]string) [][3]string {
	if len(o) > 5 {
		return o[:5]
	}
	return o
}

func get(t *testing.T, u string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// order lists (trace ID, spans, first span start) as the manifest does: µs
// for v1, ns for v3.
func order(t *testing.T, v3 bool, body []byte) [][3]string {
	t.Helper()
	var out [][3]string
	add := func(id model.TraceID, td ptrace.Traces, v3 bool) {
		start, _, _ := model.TimeRange(td)
		ts := fmt.Sprint(start / 1000)
		if v3 {
			ts = fmt.Sprint(start)
		}
		out = append(out, [3]string{id.String(), fmt.Sprint(td.SpanCount()), ts})
	}
	if v3 {
		trs, err := jaeger.ParseV3Result(body)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range trs {
			add(tr.ID, tr.Data, true)
		}
		return out
	}
	var env struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	for _, raw := range env.Data {
		id, td, err := jaeger.ParseUITrace(raw)
		if err != nil {
			t.Fatal(err)
		}
		add(id, td, false)
	}
	return out
}

// same compares two trace bodies span by span.
func same(t *testing.T, v3 bool, want, got []byte) {
	t.Helper()
	w, g := order(t, v3, want), order(t, v3, got)
	if !reflect.DeepEqual(w, g) {
		t.Fatalf("traces %v, want %v", g, w)
	}
	parse := func(b []byte) ptrace.Traces {
		if v3 {
			trs, err := jaeger.ParseV3Result(b)
			if err != nil {
				t.Fatal(err)
			}
			return trs[0].Data
		}
		var env struct {
			Data []json.RawMessage `json:"data"`
		}
		json.Unmarshal(b, &env)
		_, td, err := jaeger.ParseUITrace(env.Data[0])
		if err != nil {
			t.Fatal(err)
		}
		return td
	}
	if d := tracecmp.Diff(parse(want), parse(got), tracecmp.Options{}, 5); len(d) > 0 {
		t.Errorf("body differs from the recording:\n%s", strings.Join(d, "\n"))
	}
}

// Recorded bodies are served as recorded; the rest comes from the data.
func TestRecordedBodiesServedVerbatim(t *testing.T) {
	fake := start(t, jaegertest.Options{})
	status, body := get(t, fake.URL+"/api/traces/cf65ef4defcce38b8165c065c04c5e9e?raw=true")
	if status != 200 || string(body) != string(readFile(t, "v1/trace-cf65ef4defcce38b8165c065c04c5e9e-raw.json")) {
		t.Errorf("recorded body not served verbatim (status %d)", status)
	}
	status, _ = get(t, fake.URL+"/api/traces?service=frontend&start=yesterday&end=1795464372000000")
	if status != http.StatusBadRequest {
		t.Errorf("bad start: status %d", status)
	}
	if n := fake.Requests("/api/traces/{id}"); n != 1 {
		t.Errorf("request count %d", n)
	}
}

func TestNoV3(t *testing.T) {
	fake := start(t, jaegertest.Options{NoV3: true})
	if status, _ := get(t, fake.URL+"/api/v3/services"); status != http.StatusNotFound {
		t.Errorf("api/v3 status %d", status)
	}
	if status, _ := get(t, fake.URL+"/api/services"); status != http.StatusOK {
		t.Errorf("v1 status %d", status)
	}
}
