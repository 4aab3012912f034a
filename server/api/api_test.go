package api

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/server/querier"
)

// The single-tenant fixture block spans 20:25:38–20:25:49 on 2026-11-23.
const (
	winStart = 1795465000
	winEnd   = 1795466000
	window   = "start=1795465000&end=1795466000"
)

// env is the API over the single-tenant fixture block plus live data holding
// one trace of its own and a part of a block trace.
type env struct {
	srv     string
	splitID model.TraceID // in the block, with one more span live
	blockID model.TraceID // only in the block
	liveID  model.TraceID // only live
	want    map[model.TraceID]int
	observe *observations
}

type observations struct {
	mu   sync.Mutex
	seen []string
}

func (o *observations) add(route, code string, _ time.Duration) {
	o.mu.Lock()
	o.seen = append(o.seen, route+" "+code)
	o.mu.Unlock()
}

func (o *observations) last() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.seen) == 0 {
		return ""
	}
	return o.seen[len(o.seen)-1]
}

func newEnv(t *testing.T, cfg querier.Config) *env {
	t.Helper()
	be := fixtureBucket(t, "single-tenant")
	traces := expectedTraces(t, "single-tenant")
	e := &env{observe: &observations{}, want: map[model.TraceID]int{}}
	e.splitID = model.TraceID(firstSpan(traces[7]).TraceID())
	e.blockID = model.TraceID(firstSpan(traces[11]).TraceID())
	e.liveID = model.TraceID{0xfe, 0xed, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	live := &fakeLive{}
	splitStart := time.Unix(0, int64(firstSpan(traces[7]).StartTimestamp()))
	part := liveTrace(e.splitID, "late-service", splitStart.Add(time.Second), "late span")
	firstSpan(part).SetParentSpanID(rootSpan(traces[7]).SpanID()) // a late child of the block's root
	live.add("single-tenant", part)
	live.add("single-tenant", liveTrace(e.liveID, "late-service", time.Unix(winStart+600, 0), "GET /live", "SELECT live", "cache.get"))
	e.want[e.splitID] = traces[7].SpanCount() + 1
	e.want[e.blockID] = traces[11].SpanCount()
	e.want[e.liveID] = 3
	q := querier.New(be, live, nil, nil, cfg)
	e.srv = server(t, q, Options{Observe: e.observe.add, Now: func() time.Time { return time.Unix(winEnd, 0) }}).URL
	return e
}

func TestTraceByID(t *testing.T) {
	e := newEnv(t, querier.Config{})
	tests := []struct {
		name    string
		path    string
		headers []string
		code    int
		ctype   string
		golden  string
		body    string
		spans   int
	}{
		{name: "v1 block trace", path: "/api/traces/" + e.blockID.String(), code: 200, ctype: contentTypeJSON, golden: "trace_v1.json", spans: e.want[e.blockID]},
		{name: "v1 split live+block", path: "/api/traces/" + e.splitID.String(), code: 200, ctype: contentTypeJSON, golden: "trace_v1_split.json", spans: e.want[e.splitID]},
		{name: "v1 live only, short hex, upper case", path: "/api/traces/" + strings.ToUpper(e.liveID.Text()), code: 200, ctype: contentTypeJSON, spans: 3},
		{name: "v1 protobuf", path: "/api/traces/" + e.splitID.String(), headers: []string{"Accept", "application/protobuf"}, code: 200, ctype: contentTypeProtobuf, spans: e.want[e.splitID]},
		{name: "v1 time range without the block", path: "/api/traces/" + e.splitID.String() + "?start=1795470000&end=1795480000", code: 200, ctype: contentTypeJSON, spans: 1},
		{name: "v1 not found", path: "/api/traces/0123456789abcdef", code: 404, body: ""},
		{name: "v1 not hex", path: "/api/traces/zz", code: 400, body: "trace IDs can only contain hex characters: invalid character 'z' at position 1\n"},
		{name: "v1 too long", path: "/api/traces/" + strings.Repeat("a", 33), code: 400, body: "trace IDs can't be larger than 128 bits\n"},
		{name: "v1 end before start", path: "/api/traces/" + e.blockID.String() + "?start=20&end=10", code: 400, body: "http parameter start must be before end. received start=20 end=10\n"},
		{name: "v1 bad mode", path: "/api/traces/" + e.blockID.String() + "?mode=foo", code: 400, body: "invalid value for mode foo\n"},
		{name: "v2 split", path: "/api/v2/traces/" + e.splitID.String(), code: 200, ctype: contentTypeJSON, golden: "trace_v2.json", spans: e.want[e.splitID]},
		{name: "v2 not found", path: "/api/v2/traces/0123456789abcdef", code: 200, ctype: contentTypeJSON, body: `{"trace":{},"metrics":{}}`},
		{name: "v2 filtered", path: "/api/v2/traces/" + e.splitID.String() + "?q=" + urlq(`{ kind = server }`), code: 200, ctype: contentTypeJSON, golden: "trace_v2_filtered.json"},
		{name: "v2 filter not single", path: "/api/v2/traces/" + e.splitID.String() + "?q=" + urlq(`{ } >> { }`), code: 400,
			body: "invalid TraceQL filter: only a single TraceQL filter is supported: got a structural or aggregate query\n"},
		{name: "v2 filter trace-level", path: "/api/v2/traces/" + e.splitID.String() + "?q=" + urlq(`{ rootName = "x" }`), code: 400,
			body: "invalid TraceQL filter: only a single TraceQL filter is supported: got a structural or aggregate query\n"},
		{name: "v2 protobuf", path: "/api/v2/traces/" + e.splitID.String(), headers: []string{"Accept", "application/protobuf"}, code: 200, ctype: contentTypeProtobuf, spans: e.want[e.splitID]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, e.srv+tc.path, tc.headers...)
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.code, body)
			}
			if tc.ctype != "" && resp.Header.Get("Content-Type") != tc.ctype {
				t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
			}
			if tc.code != 200 && tc.code != 404 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
				t.Fatalf("error content type %q", resp.Header.Get("Content-Type"))
			}
			if tc.golden != "" {
				golden(t, tc.golden, body)
			} else if tc.spans == 0 && string(body) != tc.body {
				t.Fatalf("body %q, want %q", body, tc.body)
			}
			if tc.spans > 0 {
				if got := spansIn(t, tc.path, tc.ctype, body); got != tc.spans {
					t.Fatalf("%d spans, want %d", got, tc.spans)
				}
			}
		})
	}
	if got := e.observe.last(); got != RouteTraceByIDV2+" 200" {
		t.Fatalf("last observation %q", got)
	}
}

func urlq(s string) string {
	r := strings.NewReplacer(" ", "%20", "{", "%7B", "}", "%7D", `"`, "%22", "=", "%3D", ">", "%3E", "&", "%26", "|", "%7C")
	return r.Replace(s)
}

// spansIn decodes any trace-by-ID body and counts its spans.
func spansIn(t *testing.T, path, ctype string, body []byte) int {
	t.Helper()
	v2 := strings.Contains(path, "/v2/")
	if ctype == contentTypeProtobuf {
		if v2 {
			body = protoField(t, body, 1)
		}
		td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(body)
		if err != nil {
			t.Fatal(err)
		}
		return td.SpanCount()
	}
	var doc struct {
		Batches []json.RawMessage `json:"batches"`
		Trace   struct {
			ResourceSpans []json.RawMessage `json:"resourceSpans"`
		} `json:"trace"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	rs := doc.Batches
	if v2 {
		rs = doc.Trace.ResourceSpans
	}
	// Back to OTLP JSON to count with pdata (IDs are base64 here, which
	// pdata's JSON reader does not take, so count span objects instead).
	n := 0
	for _, r := range rs {
		var b struct {
			ScopeSpans []struct {
				Spans []json.RawMessage `json:"spans"`
			} `json:"scopeSpans"`
		}
		if err := json.Unmarshal(r, &b); err != nil {
			t.Fatal(err)
		}
		for _, ss := range b.ScopeSpans {
			n += len(ss.Spans)
		}
	}
	return n
}

// protoField returns the bytes of the first occurrence of a length-delimited field.
func protoField(t *testing.T, b []byte, field protowire.Number) []byte {
	t.Helper()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatal("bad protobuf")
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			t.Fatal("bad protobuf")
		}
		if num == field && typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(b)
			return v
		}
		b = b[m:]
	}
	return nil
}

func TestTraceByIDPartial(t *testing.T) {
	e := newEnv(t, querier.Config{MaxBytesPerTrace: func(string) int { return 600 }})
	resp, body := get(t, e.srv+"/api/traces/"+e.splitID.String())
	if resp.StatusCode != http.StatusUnprocessableEntity || string(body) != "trace exceeds maximum size of 600 bytes\n" {
		t.Fatalf("v1: %d %q", resp.StatusCode, body)
	}
	resp, body = get(t, e.srv+"/api/v2/traces/"+e.splitID.String())
	if resp.StatusCode != 200 {
		t.Fatalf("v2: %d %s", resp.StatusCode, body)
	}
	var doc struct {
		Status, Message string
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Status != "PARTIAL" || doc.Message != "Trace exceeds maximum size of 600 bytes, a partial trace is returned" {
		t.Fatalf("v2 status %q message %q", doc.Status, doc.Message)
	}
	if n := spansIn(t, "/v2/", contentTypeJSON, body); n == 0 || n >= e.want[e.splitID] {
		t.Fatalf("partial trace has %d spans", n)
	}
}

func TestSearch(t *testing.T) {
	e := newEnv(t, querier.Config{})
	tests := []struct {
		name   string
		query  string
		code   int
		golden string
		body   string
	}{
		{name: "traceql", query: "q=" + urlq(`{ resource.service.name = "payment" }`) + "&limit=4&" + window, code: 200, golden: "search.json"},
		{name: "traceql live + block merged", query: "q=" + urlq(`{ resource.service.name = "late-service" || name = "POST /api/checkout" }`) + "&limit=3&spss=2&" + window, code: 200, golden: "search_merged.json"},
		{name: "by and count", query: "q=" + urlq(`{ status = error } | by(resource.service.name) | count() > 1`) + "&limit=2&" + window, code: 200, golden: "search_by.json"},
		{name: "select", query: "q=" + urlq(`{ name = "GET /live" } | select(span.http.method, resource.nope)`) + "&" + window, code: 200, golden: "search_select.json"},
		{name: "legacy tags", query: "tags=" + urlq(`service.name=PAYM http.method="POST"`) + "&limit=3&" + window, code: 200, golden: "search_legacy.json"},
		{name: "legacy bare params", query: "service.name=late-service", code: 200, golden: "search_legacy_bare.json"},
		{name: "no results", query: "q=" + urlq(`{ name = "nothing" }`) + "&" + window, code: 200, golden: "search_empty.json"},
		{name: "bad traceql", query: "q=" + urlq(`{ status = }`), code: 400, body: "invalid TraceQL query: parse error at line 1, col 9: syntax error: unexpected }\n"},
		{name: "metrics query", query: "q=" + urlq(`{ } | rate()`), code: 400, body: "invalid TraceQL query: metrics queries cannot be run as a search: use /api/metrics/query_range\n"},
		{name: "tags and q", query: "q=%7B%7D&tags=a%3Db", code: 400, body: "invalid request: can't specify tags and q in the same query\n"},
		{name: "duplicate tag", query: "tags=a%3Db%20a%3Dc", code: 400, body: "invalid tags: duplicate key \"a\"\n"},
		{name: "limit 0", query: "q=%7B%7D&limit=0", code: 400, body: "invalid limit: must be a positive number\n"},
		{name: "spss too big", query: "q=%7B%7D&spss=101", code: 400, body: "spans per span set exceeds 100. received 101\n"},
		{name: "only start", query: "q=%7B%7D&start=10", code: 400, body: "error parsing date range: only one of start and end provided: must provide both or neither\n"},
		{name: "end before start", query: "q=%7B%7D&start=10&end=10", code: 400, body: "http parameter start must be before end. received start=10 end=10\n"},
		{name: "range too long", query: "q=%7B%7D&start=1000000&end=2000000", code: 400, body: "range specified by start and end exceeds 168h0m0s. received start=1000000 end=2000000\n"},
		{name: "min above max", query: "minDuration=2s&maxDuration=1s", code: 400, body: "invalid maxDuration: must be greater than minDuration\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, e.srv+"/api/search?"+tc.query)
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.code, body)
			}
			if tc.golden != "" {
				if ct := resp.Header.Get("Content-Type"); ct != contentTypeJSON {
					t.Fatalf("content type %q", ct)
				}
				golden(t, tc.golden, body)
				return
			}
			if string(body) != tc.body {
				t.Fatalf("body %q, want %q", body, tc.body)
			}
		})
	}
}

// TestSearchResultContent checks search answers against the data: trace
// IDs without leading zeros, root names merged from the block into the
// live part's result, service stats of both parts, spss=0.
func TestSearchResultContent(t *testing.T) {
	e := newEnv(t, querier.Config{})
	type result struct {
		Traces []struct {
			TraceID, RootServiceName, RootTraceName string
			SpanSets                                []struct {
				Spans   []struct{ SpanID string }
				Matched int
			}
			ServiceStats map[string]struct{ SpanCount int }
		}
		Metrics struct {
			InspectedBytes string
			TotalBlocks    int
			TotalJobs      int
			CompletedJobs  int
		}
	}
	search := func(q string) result {
		_, body := get(t, e.srv+"/api/search?q="+urlq(q)+"&spss=0&limit=1000&"+window)
		var r result
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	resp := search(`{ resource.service.name = "late-service" }`)
	got := map[string]int{}
	for _, tr := range resp.Traces {
		got[tr.TraceID] = tr.SpanSets[0].Matched
		if len(tr.SpanSets[0].Spans) != tr.SpanSets[0].Matched {
			t.Fatal("spss=0 lists every matched span")
		}
		if tr.TraceID == e.splitID.Text() && tr.RootServiceName != "<root span not yet received>" {
			t.Fatalf("only the live, rootless part matched: root %q", tr.RootServiceName)
		}
	}
	if len(got) != 2 || got[e.liveID.Text()] != 3 || got[e.splitID.Text()] != 1 {
		t.Fatalf("results %v", got)
	}
	if resp.Metrics.TotalBlocks != 1 || resp.Metrics.TotalJobs != 2 || resp.Metrics.CompletedJobs != 2 || resp.Metrics.InspectedBytes == "" {
		t.Fatalf("metrics %+v", resp.Metrics)
	}

	resp = search(`{ }`)
	if len(resp.Traces) != 201 {
		t.Fatalf("%d traces, want the block's 200 and the live one", len(resp.Traces))
	}
	root := rootSpan(expectedTraces(t, "single-tenant")[7])
	for _, tr := range resp.Traces {
		if tr.TraceID != e.splitID.Text() {
			continue
		}
		if tr.RootTraceName != root.Name() || tr.RootServiceName == "<root span not yet received>" {
			t.Fatalf("root names not merged: %q %q", tr.RootServiceName, tr.RootTraceName)
		}
		if tr.ServiceStats["late-service"].SpanCount != 1 || len(tr.ServiceStats) < 2 {
			t.Fatalf("service stats %v", tr.ServiceStats)
		}
		if tr.SpanSets[0].Matched != e.want[e.splitID]-1 {
			t.Fatalf("the larger spanset (the block's) stays: matched %d", tr.SpanSets[0].Matched)
		}
	}
}

func TestTags(t *testing.T) {
	e := newEnv(t, querier.Config{})
	tests := []struct {
		name, path string
		code       int
		golden     string
		body       string
	}{
		{"v1 all", "/api/search/tags?" + window, 200, "tags_v1.json", ""},
		{"v1 intrinsic", "/api/search/tags?scope=intrinsic&" + window, 200, "tags_v1_intrinsic.json", ""},
		{"v1 bad scope", "/api/search/tags?scope=foo", 400, "", "invalid scope: foo\n"},
		{"v2 all", "/api/v2/search/tags?" + window, 200, "tags_v2.json", ""},
		{"v2 span scope, filtered", "/api/v2/search/tags?scope=span&q=" + urlq(`{ resource.service.name = "db" }`) + "&" + window, 200, "tags_v2_span_db.json", ""},
		{"v1 values", "/api/search/tag/service.name/values?" + window, 200, "tag_values_v1.json", ""},
		{"v1 values, strings only", "/api/search/tag/http.status_code/values?" + window, 200, "", "STRINGSONLY"},
		{"v2 values", "/api/v2/search/tag/resource.service.name/values?" + window, 200, "tag_values_v2.json", ""},
		{"v2 values dedicated int", "/api/v2/search/tag/span.http.status_code/values?" + window, 200, "tag_values_v2_status_code.json", ""},
		{"v2 values filtered", "/api/v2/search/tag/span.http.method/values?q=" + urlq(`{ resource.service.name = "late-service" }`) + "&" + window, 200, "", `{"tagValues":[{"type":"string","value":"PATCH"}],"metrics":{"inspectedBytes":"INSPECTED"}}`},
		{"v2 values incomplete q", "/api/v2/search/tag/span.http.method/values?q=" + urlq(`{ resource.service.name = "late-service" && name = }`) + "&" + window, 200, "", `{"tagValues":[{"type":"string","value":"PATCH"}],"metrics":{"inspectedBytes":"INSPECTED"}}`},
		{"v2 status keywords", "/api/v2/search/tag/status/values", 200, "", `{"tagValues":[{"type":"keyword","value":"ok"},{"type":"keyword","value":"error"},{"type":"keyword","value":"unset"}],"metrics":{}}`},
		{"v2 duration", "/api/v2/search/tag/duration/values", 200, "", `{"metrics":{}}`},
		{"v2 bad name", "/api/v2/search/tag/foo/values", 400, "", "please provide a valid tagName: failed to parse identifier foo: parse error at line 1, col 2: unknown identifier: foo\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, e.srv+tc.path)
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.code, body)
			}
			switch {
			case tc.golden != "":
				golden(t, tc.golden, body)
			case tc.body == "STRINGSONLY":
				if string(body) != `{"metrics":{"inspectedBytes":"`+inspected(t, body)+`"}}` {
					t.Fatalf("ints are not v1 values: %s", body)
				}
			case strings.Contains(tc.body, "LIVE") || strings.Contains(tc.body, "INSPECTED"):
				want := strings.NewReplacer("LIVE", inspected(t, body), "INSPECTED", inspected(t, body)).Replace(tc.body)
				if string(body) != want {
					t.Fatalf("body %s\nwant %s", body, want)
				}
			default:
				if string(body) != tc.body {
					t.Fatalf("body %q, want %q", body, tc.body)
				}
			}
		})
	}
}

// Without start/end, tags cover the recent window: live data and blocks that
// ended within it (spec/http-api.md §3).
func TestRecentWindowSkipsOldBlocks(t *testing.T) {
	be := fixtureBucket(t, "single-tenant")
	now := time.Unix(winEnd+7200, 0)
	live := &fakeLive{}
	live.add("single-tenant", liveTrace(model.TraceID{1}, "late-service", now.Add(-time.Minute), "recent"))
	srv := server(t, querier.New(be, live, nil, nil, querier.Config{}), Options{Now: func() time.Time { return now }}).URL
	_, body := get(t, srv+"/api/v2/search/tags?scope=resource")
	if want := `{"scopes":[{"name":"resource","tags":["service.name"]}],"metrics":{"inspectedBytes":"` + inspected(t, body) + `"}}`; string(body) != want {
		t.Fatalf("recent window: %s", body)
	}
	_, body = get(t, srv+"/api/v2/search/tags?scope=resource&since=3h")
	if !strings.Contains(string(body), "k8s.pod.name") {
		t.Fatalf("since=3h reaches the block: %s", body)
	}
	_, body = get(t, srv+"/api/search?q=%7B%7D")
	var sr struct{ Traces []struct{ TraceID string } }
	if err := json.Unmarshal(body, &sr); err != nil || len(sr.Traces) != 1 || sr.Traces[0].TraceID != "1000000000000000000000000000000" {
		t.Fatalf("recent search: %s", body)
	}
}

func inspected(t *testing.T, body []byte) string {
	var doc struct {
		Metrics struct{ InspectedBytes string }
	}
	json.Unmarshal(body, &doc)
	if doc.Metrics.InspectedBytes == "" || doc.Metrics.InspectedBytes == "0" {
		t.Fatalf("no inspectedBytes in %s", body)
	}
	return doc.Metrics.InspectedBytes
}

func TestTenants(t *testing.T) {
	be := fixtureBucket(t, "acme", "globex")
	q := querier.New(be, nil, nil, nil, querier.Config{})
	srv := server(t, q, Options{MultitenancyEnabled: true}).URL
	acme := model.TraceID(firstSpan(expectedTraces(t, "acme")[0]).TraceID())
	globex := model.TraceID(firstSpan(expectedTraces(t, "globex")[0]).TraceID())

	resp, body := get(t, srv+"/api/traces/"+acme.String())
	if resp.StatusCode != 401 || !strings.HasPrefix(string(body), "no org id: ") || !strings.Contains(string(body), "X-Scope-OrgID header") {
		t.Fatalf("no header: %d %q", resp.StatusCode, body)
	}
	if resp, _ := get(t, srv+"/api/traces/"+acme.String(), "X-Scope-OrgID", "acme"); resp.StatusCode != 200 {
		t.Fatalf("acme reads acme: %d", resp.StatusCode)
	}
	if resp, _ := get(t, srv+"/api/traces/"+acme.String(), "X-Scope-OrgID", "globex"); resp.StatusCode != 404 {
		t.Fatalf("globex must not see acme: %d", resp.StatusCode)
	}
	for _, id := range []model.TraceID{acme, globex} {
		if resp, _ := get(t, srv+"/api/traces/"+id.String(), "X-Scope-OrgID", "acme|globex"); resp.StatusCode != 200 {
			t.Fatalf("multi-tenant read of %s: %d", id, resp.StatusCode)
		}
	}
	resp, body = get(t, srv+"/api/search?q=%7B%7D&limit=1000&start=1795465000&end=1795467000", "X-Scope-OrgID", "acme|globex")
	var sr struct{ Traces []json.RawMessage }
	if err := json.Unmarshal(body, &sr); err != nil || resp.StatusCode != 200 || len(sr.Traces) != 200 {
		t.Fatalf("multi-tenant search: %d, %d traces, %v", resp.StatusCode, len(sr.Traces), err)
	}
	resp, body = get(t, srv+"/api/search?q=%7B%7D", "X-Scope-OrgID", "bad/tenant")
	if resp.StatusCode != 400 {
		t.Fatalf("malformed tenant: %d %s", resp.StatusCode, body)
	}

	// Multitenancy off: the header is ignored, the tenant is single-tenant.
	be2 := fixtureBucket(t, "single-tenant")
	off := server(t, querier.New(be2, nil, nil, nil, querier.Config{}), Options{}).URL
	st := model.TraceID(firstSpan(expectedTraces(t, "single-tenant")[0]).TraceID())
	if resp, _ := get(t, off+"/api/traces/"+st.String(), "X-Scope-OrgID", "acme"); resp.StatusCode != 200 {
		t.Fatalf("multitenancy off: %d", resp.StatusCode)
	}
}

func TestGzipAndPrefix(t *testing.T) {
	be := fixtureBucket(t, "single-tenant")
	srv := server(t, querier.New(be, nil, nil, nil, querier.Config{}), Options{PathPrefix: "/tempo"}).URL
	id := model.TraceID(firstSpan(expectedTraces(t, "single-tenant")[0]).TraceID())
	if resp, _ := get(t, srv+"/api/traces/"+id.String()); resp.StatusCode != 404 {
		t.Fatalf("unprefixed route answered %d", resp.StatusCode)
	}
	resp, body := get(t, srv+"/tempo/api/traces/"+id.String(), "Accept-Encoding", "gzip")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !bytes.HasPrefix(plain, []byte(`{"batches":[`)) {
		t.Fatalf("%v %.40s", err, plain)
	}
	// Compressors are pooled: concurrent answers each decode to their own
	// uncompressed body.
	var wg sync.WaitGroup
	for _, td := range expectedTraces(t, "single-tenant")[:8] {
		url := srv + "/tempo/api/traces/" + model.TraceID(firstSpan(td).TraceID()).String()
		_, want := get(t, url)
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := http.DefaultClient.Get(url) // transparent gzip
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				got, err := io.ReadAll(resp.Body)
				if err != nil || !resp.Uncompressed || !bytes.Equal(got, want) {
					t.Errorf("%s: gzip answer differs (uncompressed %v, %v)", url, resp.Uncompressed, err)
				}
			}()
		}
	}
	wg.Wait()
	// Not found stays an empty body, even gzip-encoded requests.
	resp, body = get(t, srv+"/tempo/api/traces/0123", "Accept-Encoding", "gzip")
	if resp.StatusCode != 404 || len(body) != 0 {
		t.Fatalf("404 with %d bytes", len(body))
	}
}

func TestProtobufSearchAndTags(t *testing.T) {
	e := newEnv(t, querier.Config{})
	pb := []string{"Accept", "application/protobuf"}
	resp, body := get(t, e.srv+"/api/search?q="+urlq(`{ resource.service.name = "late-service" }`)+"&"+window, pb...)
	if resp.Header.Get("Content-Type") != contentTypeProtobuf {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	var ids []string
	for b := body; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		b = b[n:]
		v, m := protowire.ConsumeBytes(b)
		if typ != protowire.BytesType || m < 0 {
			t.Fatal("bad protobuf")
		}
		b = b[m:]
		if num == 1 {
			ids = append(ids, string(protoField(t, v, 1)))
		}
	}
	if fmt.Sprint(ids) != fmt.Sprint([]string{e.liveID.Text(), e.splitID.Text()}) && fmt.Sprint(ids) != fmt.Sprint([]string{e.splitID.Text(), e.liveID.Text()}) {
		t.Fatalf("trace IDs %v", ids)
	}
	_, body = get(t, e.srv+"/api/v2/search/tag/resource.service.name/values?"+window, pb...)
	first := protoField(t, body, 1) // TagValue{type, value}
	if string(protoField(t, first, 1)) != "string" || len(protoField(t, first, 2)) == 0 {
		t.Fatalf("tag value %q", first)
	}
}
