package traceql

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
)

// The oracle reads the fixture OTLP JSON with encoding/json into plain
// structs, independently of pdata and of the engine.

type tKV = map[string]any // string, int64, float64, bool, []any

type tEvent struct {
	name  string
	time  uint64
	attrs tKV
}

type tLink struct {
	traceID, spanID string
	attrs           tKV
}

type tSpan struct {
	traceID, spanID, parentID string
	name                      string
	kind, status              int
	statusMsg                 string
	start, end                uint64
	attrs, res, scopeAttrs    tKV
	scopeName, scopeVersion   string
	events                    []tEvent
	links                     []tLink
	svc                       string
	tr                        *tTrace
}

func (s *tSpan) dur() uint64 { return s.end - s.start }

type tTrace struct {
	id         string
	spans      []*tSpan
	byID       map[string]*tSpan
	start, end uint64
	root       *tSpan
}

func (t *tTrace) parent(s *tSpan) *tSpan {
	if s.parentID == "" {
		return nil
	}
	return t.byID[s.parentID]
}

// connected: the parent chain reaches a root (spans of disconnected subtrees
// have no structural position).
func (t *tTrace) connected(s *tSpan) bool {
	for i := 0; i < 1000 && s != nil; i++ {
		if s.parentID == "" {
			return true
		}
		s = t.parent(s)
	}
	return false
}

func (t *tTrace) isDescendant(b, a *tSpan) bool { // b below a
	if !t.connected(a) || !t.connected(b) {
		return false
	}
	for p := t.parent(b); p != nil; p = t.parent(p) {
		if p == a {
			return true
		}
	}
	return false
}

func (t *tTrace) isChild(b, a *tSpan) bool {
	return t.connected(a) && t.connected(b) && t.parent(b) == a
}

func (t *tTrace) isSibling(b, a *tSpan) bool {
	if a == b || !t.connected(a) || !t.connected(b) {
		return false
	}
	return t.parent(a) == t.parent(b) // nil == nil: roots are siblings
}

type jAny struct {
	StringValue *string          `json:"stringValue"`
	IntValue    *json.RawMessage `json:"intValue"`
	DoubleValue *float64         `json:"doubleValue"`
	BoolValue   *bool            `json:"boolValue"`
	ArrayValue  *struct {
		Values []jAny `json:"values"`
	} `json:"arrayValue"`
}

type jKV struct {
	Key   string `json:"key"`
	Value jAny   `json:"value"`
}

func (v jAny) conv() any {
	switch {
	case v.StringValue != nil:
		return *v.StringValue
	case v.IntValue != nil:
		s, _ := strconv.Unquote(string(*v.IntValue))
		if s == "" {
			s = string(*v.IntValue)
		}
		n, _ := strconv.ParseInt(s, 10, 64)
		return n
	case v.DoubleValue != nil:
		return *v.DoubleValue
	case v.BoolValue != nil:
		return *v.BoolValue
	case v.ArrayValue != nil:
		var out []any
		for _, e := range v.ArrayValue.Values {
			out = append(out, e.conv())
		}
		return out
	}
	return nil
}

func kvs(in []jKV) tKV {
	m := tKV{}
	for _, kv := range in {
		m[kv.Key] = kv.Value.conv()
	}
	return m
}

type jTraces struct {
	ResourceSpans []struct {
		Resource struct {
			Attributes []jKV `json:"attributes"`
		} `json:"resource"`
		ScopeSpans []struct {
			Scope struct {
				Name       string `json:"name"`
				Version    string `json:"version"`
				Attributes []jKV  `json:"attributes"`
			} `json:"scope"`
			Spans []struct {
				TraceID      string `json:"traceId"`
				SpanID       string `json:"spanId"`
				ParentSpanID string `json:"parentSpanId"`
				Name         string `json:"name"`
				Kind         int    `json:"kind"`
				Start        string `json:"startTimeUnixNano"`
				End          string `json:"endTimeUnixNano"`
				Attributes   []jKV  `json:"attributes"`
				Status       struct {
					Code    int    `json:"code"`
					Message string `json:"message"`
				} `json:"status"`
				Events []struct {
					Name       string `json:"name"`
					Time       string `json:"timeUnixNano"`
					Attributes []jKV  `json:"attributes"`
				} `json:"events"`
				Links []struct {
					TraceID    string `json:"traceId"`
					SpanID     string `json:"spanId"`
					Attributes []jKV  `json:"attributes"`
				} `json:"links"`
			} `json:"spans"`
		} `json:"scopeSpans"`
	} `json:"resourceSpans"`
}

func u64(s string) uint64 { n, _ := strconv.ParseUint(s, 10, 64); return n }

func fixturePath(t testing.TB, name string) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
	return filepath.Join(dir, "..", "shared", "fixtures", "tempo-blocks", "expected", name)
}

func loadOracle(t testing.TB, name string) []*tTrace {
	f, err := os.Open(fixturePath(t, name))
	if err != nil {
		t.Fatalf("fixture missing: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var out []*tTrace
	for sc.Scan() {
		var j jTraces
		if err := json.Unmarshal(sc.Bytes(), &j); err != nil {
			t.Fatal(err)
		}
		tr := &tTrace{byID: map[string]*tSpan{}}
		for _, rs := range j.ResourceSpans {
			res := kvs(rs.Resource.Attributes)
			svc, _ := res["service.name"].(string)
			for _, ss := range rs.ScopeSpans {
				for _, js := range ss.Spans {
					s := &tSpan{traceID: js.TraceID, spanID: js.SpanID, parentID: js.ParentSpanID, name: js.Name,
						kind: js.Kind, status: js.Status.Code, statusMsg: js.Status.Message,
						start: u64(js.Start), end: u64(js.End), attrs: kvs(js.Attributes), res: res,
						scopeAttrs: kvs(ss.Scope.Attributes), scopeName: ss.Scope.Name, scopeVersion: ss.Scope.Version,
						svc: svc, tr: tr}
					for _, e := range js.Events {
						s.events = append(s.events, tEvent{name: e.Name, time: u64(e.Time), attrs: kvs(e.Attributes)})
					}
					for _, l := range js.Links {
						s.links = append(s.links, tLink{traceID: l.TraceID, spanID: l.SpanID, attrs: kvs(l.Attributes)})
					}
					tr.id = s.traceID
					tr.spans = append(tr.spans, s)
					tr.byID[s.spanID] = s
					if tr.start == 0 || s.start < tr.start {
						tr.start = s.start
					}
					if s.end > tr.end {
						tr.end = s.end
					}
					if s.parentID == "" && tr.root == nil {
						tr.root = s
					}
				}
			}
		}
		out = append(out, tr)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func loadTraces(t testing.TB, name string) []ptrace.Traces {
	f, err := os.Open(fixturePath(t, name))
	if err != nil {
		t.Fatalf("fixture missing: %v", err)
	}
	defer f.Close()
	var out []ptrace.Traces
	bad, err := model.ReadOTLPJSONLines(f, func(_ int, td ptrace.Traces) error {
		out = append(out, td)
		return nil
	})
	if err != nil || len(bad) > 0 {
		t.Fatalf("reading fixture: %v %v", err, bad)
	}
	return out
}

var (
	fixtureOnce    sync.Once
	fixtureOracle  []*tTrace
	fixtureFetcher *MemoryFetcher
)

func fixture(t testing.TB) ([]*tTrace, *MemoryFetcher) {
	fixtureOnce.Do(func() {
		fixtureOracle = loadOracle(t, "single-tenant.json")
		fixtureFetcher = NewMemoryFetcher(loadTraces(t, "single-tenant.json")...)
	})
	if len(fixtureOracle) == 0 {
		t.Fatal("no fixture traces")
	}
	return fixtureOracle, fixtureFetcher
}
