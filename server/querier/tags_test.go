package querier

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/traceql"
)

// expectedNames collects attribute names per scope from the expected
// traces with plain loops; keep selects the spans that count.
func expectedNames(traces []ptrace.Traces, keep func(svc string, sp ptrace.Span) bool) map[string][]string {
	sets := map[string]map[string]bool{}
	add := func(scope string, m pcommon.Map) {
		if sets[scope] == nil {
			sets[scope] = map[string]bool{}
		}
		for k := range m.All() {
			sets[scope][k] = true
		}
	}
	for _, td := range traces {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			rs := td.ResourceSpans().At(i)
			svc, _ := rs.Resource().Attributes().Get("service.name")
			any := false
			for j := 0; j < rs.ScopeSpans().Len(); j++ {
				ss := rs.ScopeSpans().At(j)
				for k := 0; k < ss.Spans().Len(); k++ {
					sp := ss.Spans().At(k)
					if !keep(svc.AsString(), sp) {
						continue
					}
					any = true
					add("span", sp.Attributes())
					for e := 0; e < sp.Events().Len(); e++ {
						add("event", sp.Events().At(e).Attributes())
					}
					for l := 0; l < sp.Links().Len(); l++ {
						add("link", sp.Links().At(l).Attributes())
					}
				}
			}
			if any {
				add("resource", rs.Resource().Attributes())
			}
		}
	}
	out := map[string][]string{}
	for scope, set := range sets {
		for n := range set {
			out[scope] = append(out[scope], n)
		}
		slices.Sort(out[scope])
		if len(out[scope]) == 0 {
			delete(out, scope)
		}
	}
	return out
}

func all(string, ptrace.Span) bool { return true }

func TestTagNamesFromBlocks(t *testing.T) {
	tenants := []string{"single-tenant", "v4-tenant"}
	be, _ := fixtureBucket(t, tenants...)
	q := New(be, nil, nil, nil, Config{})
	ctx := context.Background()
	for _, tn := range tenants {
		t.Run(tn, func(t *testing.T) {
			want := expectedNames(expectedTraces(t, tn), all)
			res, err := q.TagNames(ctx, TagsRequest{Tenant: tn, Start: fixtureStart, End: fixtureEnd})
			if err != nil {
				t.Fatal(err)
			}
			for _, scope := range []string{"span", "resource", "event", "link"} {
				if !slices.Equal(res.Scopes[scope], want[scope]) {
					t.Errorf("%s:\n got %v\nwant %v", scope, res.Scopes[scope], want[scope])
				}
			}
			// Dedicated columns are included (Tempo 3.1 leaves them out).
			if !slices.Contains(res.Scopes["span"], "http.method") || !slices.Contains(res.Scopes["resource"], "k8s.pod.name") {
				t.Error("dedicated-column attributes missing")
			}
			if !slices.Equal(res.Scopes["intrinsic"], Intrinsics) {
				t.Errorf("intrinsics %v", res.Scopes["intrinsic"])
			}
			if res.InspectedBytes == 0 {
				t.Error("inspected bytes not counted")
			}

			one, err := q.TagNames(ctx, TagsRequest{Tenant: tn, Scope: "resource", Start: fixtureStart, End: fixtureEnd})
			if err != nil {
				t.Fatal(err)
			}
			if len(one.Scopes) != 1 || !slices.Equal(one.Scopes["resource"], want["resource"]) {
				t.Errorf("scope=resource: %v", one.Scopes)
			}

			// q restricts the names to matching spans (and their resources).
			db := func(svc string, _ ptrace.Span) bool { return svc == "db" }
			wantDB := expectedNames(expectedTraces(t, tn), db)
			f, err := q.TagNames(ctx, TagsRequest{Tenant: tn, Query: `{ resource.service.name = "db" }`, Start: fixtureStart, End: fixtureEnd})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f.Scopes["span"], wantDB["span"]) || !slices.Equal(f.Scopes["resource"], wantDB["resource"]) {
				t.Errorf("q filter:\n got %v\nwant %v", f.Scopes, wantDB)
			}
			// An unfinished q keeps its valid matchers.
			f2, err := q.TagNames(ctx, TagsRequest{Tenant: tn, Scope: "span", Query: `{ resource.service.name = "db" && span.http.method = }`, Start: fixtureStart, End: fixtureEnd})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f2.Scopes["span"], wantDB["span"]) {
				t.Errorf("incomplete q: got %v want %v", f2.Scopes["span"], wantDB["span"])
			}
		})
	}
	if _, err := q.TagNames(ctx, TagsRequest{Tenant: "single-tenant", Scope: "foo"}); !isInvalid(err) || err.Error() != "invalid scope: foo" {
		t.Fatalf("bad scope: %v", err)
	}
}

// expectedValues collects typed values of a span or resource attribute.
func expectedValues(traces []ptrace.Traces, scope, name string) []TagValue {
	set := map[TagValue]bool{}
	add := func(m pcommon.Map) {
		v, ok := m.Get(name)
		if !ok {
			return
		}
		switch v.Type() {
		case pcommon.ValueTypeStr:
			set[TagValue{"string", v.Str()}] = true
		case pcommon.ValueTypeInt:
			set[TagValue{"int", strconv.FormatInt(v.Int(), 10)}] = true
		case pcommon.ValueTypeBool:
			set[TagValue{"bool", strconv.FormatBool(v.Bool())}] = true
		}
	}
	for _, td := range traces {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			rs := td.ResourceSpans().At(i)
			if scope == "resource" {
				add(rs.Resource().Attributes())
				continue
			}
			for j := 0; j < rs.ScopeSpans().Len(); j++ {
				for k := 0; k < rs.ScopeSpans().At(j).Spans().Len(); k++ {
					add(rs.ScopeSpans().At(j).Spans().At(k).Attributes())
				}
			}
		}
	}
	var out []TagValue
	for v := range set {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b TagValue) int {
		if a.Value < b.Value {
			return -1
		}
		if a.Value > b.Value {
			return 1
		}
		return 0
	})
	return out
}

func TestTagValues(t *testing.T) {
	be, _ := fixtureBucket(t, "single-tenant")
	live := newFakeLive()
	live.add("single-tenant", liveTrace(model.TraceID{0xfe}, "late-service", fixtureStart.Add(time.Minute), "root", "child"))
	q := New(be, live, nil, nil, Config{})
	ctx := context.Background()
	traces := expectedTraces(t, "single-tenant")
	with := func(vs []TagValue, extra ...TagValue) []TagValue {
		out := append(append([]TagValue(nil), vs...), extra...)
		slices.SortFunc(out, func(a, b TagValue) int {
			if a.Value < b.Value {
				return -1
			}
			if a.Value > b.Value {
				return 1
			}
			return 0
		})
		return out
	}
	kw := func(ks ...string) []TagValue {
		var out []TagValue
		for _, k := range ks {
			out = append(out, TagValue{"keyword", k})
		}
		return out
	}
	tests := []struct {
		name string
		req  TagValuesRequest
		want []TagValue
	}{
		{"dedicated span column", TagValuesRequest{Tag: traceql.NewScopedAttribute(traceql.ScopeSpan, "http.method")},
			with(expectedValues(traces, "span", "http.method"), TagValue{"string", "PATCH"})},
		{"dedicated int column", TagValuesRequest{Tag: traceql.NewScopedAttribute(traceql.ScopeSpan, "http.status_code")},
			expectedValues(traces, "span", "http.status_code")},
		{"resource", TagValuesRequest{Tag: traceql.NewScopedAttribute(traceql.ScopeResource, "service.name")},
			with(expectedValues(traces, "resource", "service.name"), TagValue{"string", "late-service"})},
		{"dedicated resource column", TagValuesRequest{Tag: traceql.NewScopedAttribute(traceql.ScopeResource, "k8s.pod.name")},
			with(expectedValues(traces, "resource", "k8s.pod.name"), TagValue{"string", "late-service-pod"})},
		{"v1 raw name", TagValuesRequest{V1: true, Name: "service.name"},
			with(expectedValues(traces, "resource", "service.name"), TagValue{"string", "late-service"})},
		{"v1 strings only", TagValuesRequest{V1: true, Name: "http.status_code"}, nil},
		{"status", TagValuesRequest{Tag: traceql.NewIntrinsic(traceql.IntrinsicStatus)}, kw("ok", "error", "unset")},
		{"kind", TagValuesRequest{Tag: traceql.NewIntrinsic(traceql.IntrinsicKind)}, kw("unspecified", "client", "server", "producer", "consumer", "internal")},
		{"duration", TagValuesRequest{Tag: traceql.NewIntrinsic(traceql.IntrinsicDuration)}, nil},
		{"filtered", TagValuesRequest{Tag: traceql.NewScopedAttribute(traceql.ScopeResource, "service.name"), Query: `{ span.http.method = "PATCH" }`},
			[]TagValue{{"string", "late-service"}}},
		{"filter ignored when unusable", TagValuesRequest{Tag: traceql.NewScopedAttribute(traceql.ScopeResource, "service.name"), Query: `{ span.http.method = `},
			with(expectedValues(traces, "resource", "service.name"), TagValue{"string", "late-service"})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Tenant, tc.req.Start, tc.req.End = "single-tenant", fixtureStart, fixtureEnd
			res, err := q.TagValues(ctx, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Values, tc.want) {
				t.Fatalf("\n got %v\nwant %v", res.Values, tc.want)
			}
		})
	}

	// Names and values of spans that matched come with their trace's root.
	res, err := q.TagValues(ctx, TagValuesRequest{Tenant: "single-tenant", Tag: traceql.NewIntrinsic(traceql.IntrinsicTraceRootService),
		Query: `{ span.http.method = "PATCH" }`, Start: fixtureStart, End: fixtureEnd})
	if err != nil || !slices.Equal(res.Values, []TagValue{{"string", "late-service"}}) {
		t.Fatalf("rootServiceName: %v %v", res, err)
	}

	// Limits: at most Limit values, and the byte bound.
	res, err = q.TagValues(ctx, TagValuesRequest{Tenant: "single-tenant", Tag: traceql.NewIntrinsic(traceql.IntrinsicName), Limit: 3, Start: fixtureStart, End: fixtureEnd})
	if err != nil || len(res.Values) != 3 {
		t.Fatalf("limit 3: %v %v", res, err)
	}
	small := New(be, live, nil, nil, Config{MaxBytesPerTagValues: 20})
	res, err = small.TagValues(ctx, TagValuesRequest{Tenant: "single-tenant", Tag: traceql.NewIntrinsic(traceql.IntrinsicName), Start: fixtureStart, End: fixtureEnd})
	if err != nil || len(res.Values) == 0 {
		t.Fatalf("byte limit: %v %v", res, err)
	}
	n := 0
	for _, v := range res.Values {
		n += len(v.Value)
	}
	if n > 20 {
		t.Fatalf("byte limit 20 exceeded: %d", n)
	}
}
