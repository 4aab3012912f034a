package traceql

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
)

func kvMap(kvs []KeyValue) map[string]AnyValue {
	m := map[string]AnyValue{}
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

func TestSearchTraceFields(t *testing.T) {
	traces, f := fixture(t)
	_, resp := runSearch(t, f, `{ status = error } | select(span.http.url, resource.service.name)`)
	if len(resp.Traces) == 0 {
		t.Fatal("no results")
	}
	byID := map[string]*tTrace{}
	for _, tr := range traces {
		byID[strings.TrimLeft(tr.id, "0")] = tr
	}
	for i, got := range resp.Traces {
		if i > 0 && got.StartTimeUnixNano > resp.Traces[i-1].StartTimeUnixNano {
			t.Fatalf("traces not ordered newest first at %d", i)
		}
		tr := byID[got.TraceID]
		if tr == nil {
			t.Fatalf("unknown trace %s", got.TraceID)
		}
		if tr.root == nil || got.RootServiceName != tr.root.svc || got.RootTraceName != tr.root.name {
			t.Errorf("%s: root %q/%q", got.TraceID, got.RootServiceName, got.RootTraceName)
		}
		if got.StartTimeUnixNano != tr.start || got.DurationMs != uint32((tr.end-tr.start)/ms) {
			t.Errorf("%s: start/duration %d/%d", got.TraceID, got.StartTimeUnixNano, got.DurationMs)
		}
		stats := map[string]ServiceStats{}
		for _, s := range tr.spans {
			st := stats[s.svc]
			st.SpanCount++
			if s.status == 2 {
				st.ErrorCount++
			}
			stats[s.svc] = st
		}
		if len(stats) != len(got.ServiceStats) {
			t.Errorf("%s: serviceStats %v want %v", got.TraceID, got.ServiceStats, stats)
		}
		for k, v := range stats {
			if got.ServiceStats[k] != v {
				t.Errorf("%s: serviceStats[%s] %v want %v", got.TraceID, k, got.ServiceStats[k], v)
			}
		}
		if got.SpanSet != got.SpanSets[0] || len(got.SpanSets) != 1 {
			t.Fatalf("%s: spanSet must mirror the single spanSets entry", got.TraceID)
		}
		for _, s := range got.SpanSets[0].Spans {
			span := tr.byID[s.SpanID]
			if s.Name != "" {
				t.Errorf("name returned although the query does not reference it")
			}
			if s.StartTimeUnixNano != span.start || s.DurationNanos != span.dur() {
				t.Errorf("%s: span times", s.SpanID)
			}
			a := kvMap(s.Attributes)
			if v := a["status"]; v.StringValue == nil || *v.StringValue != "error" {
				t.Errorf("%s: status attribute %+v", s.SpanID, v)
			}
			wantURL := "nil"
			if u, ok := asStr(sattr(span, "http.url")); ok {
				wantURL = u
			}
			if v := a["span.http.url"]; v.StringValue == nil || *v.StringValue != wantURL {
				t.Errorf("%s: span.http.url = %+v, want %q", s.SpanID, v, wantURL)
			}
			if v := a["resource.service.name"]; v.StringValue == nil || *v.StringValue != span.svc {
				t.Errorf("%s: resource.service.name = %+v", s.SpanID, v)
			}
		}
	}
}

func TestSearchNameAndGroups(t *testing.T) {
	_, f := fixture(t)
	_, resp := runSearch(t, f, `{ name = "HTTP GET" }`)
	for _, tr := range resp.Traces {
		for _, s := range tr.SpanSets[0].Spans {
			if s.Name != "HTTP GET" || len(s.Attributes) != 0 {
				t.Fatalf("span %+v: want name and no attributes", s)
			}
		}
	}
	_, resp = runSearch(t, f, `{ } | by(resource.service.name) | count() > 5`)
	if len(resp.Traces) == 0 {
		t.Fatal("no results")
	}
	for _, tr := range resp.Traces {
		seen := map[string]bool{}
		for _, ss := range tr.SpanSets {
			a := kvMap(ss.Attributes)
			by, cnt := a["by(resource.service.name)"], a["count()"]
			if by.StringValue == nil || cnt.IntValue == nil {
				t.Fatalf("spanset attributes %+v", ss.Attributes)
			}
			if seen[*by.StringValue] {
				t.Errorf("group %s twice", *by.StringValue)
			}
			seen[*by.StringValue] = true
			if *cnt.IntValue != int64(ss.Matched) || *cnt.IntValue <= 5 {
				t.Errorf("count() %d, matched %d", *cnt.IntValue, ss.Matched)
			}
			for _, s := range ss.Spans {
				if v := kvMap(s.Attributes)["resource.service.name"]; v.StringValue == nil || *v.StringValue != *by.StringValue {
					t.Errorf("span in group %s has service %+v", *by.StringValue, v)
				}
			}
		}
	}
}

func TestSearchLimitAndSpss(t *testing.T) {
	_, f := fixture(t)
	resp, err := NewEngine().ExecuteSearch(context.Background(), `{ }`, f, SearchOptions{Limit: 7, SpansPerSpanSet: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Traces) != 7 {
		t.Fatalf("%d traces, want 7", len(resp.Traces))
	}
	for _, tr := range resp.Traces {
		ss := tr.SpanSets[0]
		if len(ss.Spans) != 2 || ss.Matched < 3 {
			t.Errorf("spans %d matched %d", len(ss.Spans), ss.Matched)
		}
	}
	// default limit is 20
	resp, err = NewEngine().ExecuteSearch(context.Background(), `{ }`, f, SearchOptions{})
	if err != nil || len(resp.Traces) != 20 {
		t.Fatalf("default limit: %d traces, %v", len(resp.Traces), err)
	}
	// most_recent looks at everything and returns the newest
	all, _ := runSearch(t, f, `{ }`)
	resp, err = NewEngine().ExecuteSearch(context.Background(), `{ } with (most_recent=true)`, f, SearchOptions{Limit: 3})
	if err != nil || len(resp.Traces) != 3 || resp.Metrics.InspectedTraces != uint32(len(all)) {
		t.Fatalf("most_recent: %d traces, inspected %d, %v", len(resp.Traces), resp.Metrics.InspectedTraces, err)
	}
}

// synthetic builds traces with precise shapes.
func synthetic() (ptrace.Traces, ptrace.Traces) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "api")
	ss := rs.ScopeSpans().AppendEmpty()
	tid := pcommon.TraceID{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0xbc}
	add := func(ss ptrace.ScopeSpans, tid pcommon.TraceID, id, parent byte, name string, startMs, durMs int) ptrace.Span {
		s := ss.Spans().AppendEmpty()
		s.SetTraceID(tid)
		s.SetSpanID(pcommon.SpanID{0, 0, 0, 0, 0, 0, 0, id})
		if parent != 0 {
			s.SetParentSpanID(pcommon.SpanID{0, 0, 0, 0, 0, 0, 0, parent})
		}
		s.SetName(name)
		st := base.Add(time.Duration(startMs) * time.Millisecond)
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(st))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(st.Add(time.Duration(durMs) * time.Millisecond)))
		return s
	}
	root := add(ss, tid, 1, 0, "root", 0, 100)
	root.SetKind(ptrace.SpanKindServer)
	c := add(ss, tid, 2, 1, "child", 10, 50)
	c.Attributes().PutInt("n", 0)
	c.Attributes().PutDouble("f", 2.5)
	add(ss, tid, 3, 2, "grandchild", 20, 10).Status().SetCode(ptrace.StatusCodeError)

	// second part of the same trace plus a rootless trace
	td2 := ptrace.NewTraces()
	rs2 := td2.ResourceSpans().AppendEmpty()
	rs2.Resource().Attributes().PutStr("service.name", "worker")
	ss2 := rs2.ScopeSpans().AppendEmpty()
	add(ss2, tid, 4, 3, "late", 30, 5)
	other := pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	add(ss2, other, 9, 8, "orphan", 1000, 1)
	return td, td2
}

func TestSearchSyntheticJSON(t *testing.T) {
	a, b := synthetic()
	f := NewMemoryFetcher(a, b)
	resp, err := NewEngine().ExecuteSearch(context.Background(), `{ name = "root" } >> { status = error }`, f, SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(resp.Traces)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"traceID":"abc","rootServiceName":"api","rootTraceName":"root","startTimeUnixNano":"1767225600000000000","durationMs":100,` +
		`"spanSet":{"spans":[{"spanID":"0000000000000003","name":"grandchild","startTimeUnixNano":"1767225600020000000","durationNanos":"10000000","attributes":[{"key":"status","value":{"stringValue":"error"}}]}],"matched":1},` +
		`"spanSets":[{"spans":[{"spanID":"0000000000000003","name":"grandchild","startTimeUnixNano":"1767225600020000000","durationNanos":"10000000","attributes":[{"key":"status","value":{"stringValue":"error"}}]}],"matched":1}],` +
		`"serviceStats":{"api":{"spanCount":3,"errorCount":1},"worker":{"spanCount":1}}}]`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	// the part that arrived separately is structurally placed
	res, _ := runSearch(t, f, `{ name = "child" } >> { name = "late" }`)
	if len(res["abc"]) != 1 {
		t.Errorf("late span not found below child: %v", res)
	}
	// a rootless trace: root name placeholder; no structural position
	resp, err = NewEngine().ExecuteSearch(context.Background(), `{ name = "orphan" }`, f, SearchOptions{})
	if err != nil || len(resp.Traces) != 1 || resp.Traces[0].RootServiceName != RootSpanNotYetReceived || resp.Traces[0].RootTraceName != "" {
		t.Fatalf("orphan: %+v %v", resp.Traces, err)
	}
	if res, _ := runSearch(t, f, `{ } !> { name = "orphan" }`); len(res) != 1 {
		t.Errorf("unknown position must satisfy negated relations: %v", res)
	}
	if res, _ := runSearch(t, f, `{ } ~ { name = "orphan" }`); len(res) != 0 {
		t.Errorf("unknown position must not satisfy relations: %v", res)
	}
	// int/float arithmetic, division by zero is an evaluation error
	if res, _ := runSearch(t, f, `{ span.f * 2 = 5 && span.n + 1 = 1.0 }`); len(res) != 1 {
		t.Errorf("arithmetic: %v", res)
	}
	if _, err := NewEngine().ExecuteSearch(context.Background(), `{ 1 / span.n = 1 }`, f, SearchOptions{}); err == nil {
		t.Error("division by zero: no error")
	}
	// time range
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	resp, err = NewEngine().ExecuteSearch(context.Background(), `{ }`, f, SearchOptions{Start: base.Add(500 * time.Millisecond), End: base.Add(time.Hour)})
	if err != nil || len(resp.Traces) != 1 || resp.Traces[0].TraceID != "102030405060708090a0b0c0d0e0f10" {
		t.Fatalf("time range: %+v %v", resp.Traces, err)
	}
	// metrics queries are not searches
	if _, err := NewEngine().ExecuteSearch(context.Background(), `{ } | rate()`, f, SearchOptions{}); !errors.Is(err, ErrMetricsQuery) {
		t.Errorf("metrics query: %v", err)
	}
}

func TestBuildFetchRequest(t *testing.T) {
	cases := []struct {
		q    string
		all  bool
		want string
		str  bool
	}{
		{`{ span.a = 1 && status = error }`, true, `span.a = 1; status = error`, false},
		{`{ span.a = 1 && 2 < duration } | by(resource.x)`, true, `span.a = 1; duration > 2; resource.x`, false},
		{`{ span.a = 1 || status = error }`, false, `span.a = 1; status = error`, false},
		{`{ span.a = 1 && (span.b =~ "x" || 3 > span.c) }`, false, `span.a = 1; span.b =~ "x"; span.c < 3`, false},
		{`{ span.a = 1 || span.b = nil }`, false, `span.a; span.b`, false},
		{`{ span.a = 1 || !(span.b = 2) }`, false, `span.a; span.b`, false},
		{`{ span.a = 1 || span.flag }`, false, `span.a; span.flag`, false},
		{`{ span.a = 1 || span.b = span.c }`, false, `span.a; span.b; span.c`, false},
		{`{ span.a = 1 || span.b = 2 } | select(span.c)`, false, `span.a = 1; span.b = 2; span.c`, false},
		{`{ true } || { span.a = 1 }`, false, ``, false},
		{`{ span.a = 1 } >> { 1 = 1 }`, false, ``, true},
		{`{ span.a = 1 } | { true }`, false, ``, false},
		{`{ span.a = 1 } && { .b =~ "x" }`, false, `span.a = 1; .b =~ "x"`, false},
		{`{ span.a = 1 } > { .b = nil }`, false, `span.a = 1; .b`, true},
		{`{ } > { .b = 2 }`, false, ``, true},
	}
	for _, c := range cases {
		r, err := Parse(c.q)
		if err != nil {
			t.Fatal(err)
		}
		req := BuildFetchRequest(r)
		var parts []string
		for _, cond := range req.Conditions {
			s := cond.Attribute.String()
			if cond.Op != OpNone {
				s += " " + cond.Op.String() + " " + cond.Operands[0].String()
			}
			parts = append(parts, s)
		}
		if got := strings.Join(parts, "; "); got != c.want || req.AllConditions != c.all || req.Structural != c.str {
			t.Errorf("%s: got %q all=%v structural=%v", c.q, got, req.AllConditions, req.Structural)
		}
	}
}

// TestLazyMemoryFetcher: traces loaded on demand answer as the eager
// fetcher does, and a search stopping at its limit loads no more than it
// reads; a trace the loader skips is not seen.
func TestLazyMemoryFetcher(t *testing.T) {
	var ids []model.TraceID
	var one []ptrace.Traces
	for _, td := range loadTraces(t, "single-tenant.json") {
		tids, parts := model.SplitByTraceID(td)
		for _, id := range tids {
			ids, one = append(ids, id), append(one, parts[id])
		}
	}
	eager := NewMemoryFetcher(one...)
	if len(eager.traces) != len(one) {
		t.Fatalf("fixture traces repeat: %d parts, %d traces", len(one), len(eager.traces))
	}
	var mu sync.Mutex // the loader runs on several goroutines
	loads := 0
	lazy := func(skip int) *MemoryFetcher {
		loads = 0
		return NewLazyMemoryFetcher(len(one), func(i int, _ FetchRequest) (model.TraceID, ptrace.Traces, bool) {
			mu.Lock()
			loads++
			mu.Unlock()
			if i == skip {
				return model.TraceID{}, ptrace.Traces{}, false
			}
			return ids[i], one[i], true
		})
	}
	ctx := context.Background()
	for _, q := range []string{`{ }`, `{ status = error }`, `{ resource.service.name = "frontend" } >> { }`} {
		want, err := NewEngine().ExecuteSearch(ctx, q, eager, SearchOptions{Limit: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		got, err := NewEngine().ExecuteSearch(ctx, q, lazy(-1), SearchOptions{Limit: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Traces) != len(want.Traces) || len(got.Traces) == 0 || got.Metrics.InspectedSpans != want.Metrics.InspectedSpans {
			t.Errorf("%s: lazy %d traces / %d spans, eager %d / %d", q, len(got.Traces), got.Metrics.InspectedSpans, len(want.Traces), want.Metrics.InspectedSpans)
		}
	}
	// Traces load ahead in rounds of 4, 8, 16…: a search stopping at 5
	// loads the first two rounds only.
	if _, err := NewEngine().ExecuteSearch(ctx, `{ }`, lazy(-1), SearchOptions{Limit: 5}); err != nil || loads != 12 {
		t.Errorf("limit 5: %d traces loaded, want 12 (of %d), %v", loads, len(one), err)
	}
	resp, err := NewEngine().ExecuteSearch(ctx, `{ }`, lazy(0), SearchOptions{Limit: 1 << 20})
	if err != nil || int(resp.Metrics.InspectedTraces) != len(eager.traces)-1 {
		t.Errorf("one skipped: inspected %d of %d", resp.Metrics.InspectedTraces, len(eager.traces))
	}
}
