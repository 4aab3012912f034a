package blocktools_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tempoctl/tempoctl/blocktools"
)

// keysByScope lists attribute names per scope from the expected OTLP data.
func keysByScope(t *testing.T, tenant string) map[string][]string {
	t.Helper()
	sets := map[string]map[string]bool{}
	add := func(scope string, m pcommon.Map) {
		for k := range m.All() {
			if sets[scope] == nil {
				sets[scope] = map[string]bool{}
			}
			sets[scope][k] = true
		}
	}
	for _, td := range expectedTraces(t, tenant) {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			rs := td.ResourceSpans().At(i)
			add("resource", rs.Resource().Attributes())
			for j := 0; j < rs.ScopeSpans().Len(); j++ {
				ss := rs.ScopeSpans().At(j)
				add("instrumentation", ss.Scope().Attributes())
				for k := 0; k < ss.Spans().Len(); k++ {
					s := ss.Spans().At(k)
					add("span", s.Attributes())
					for e := 0; e < s.Events().Len(); e++ {
						add("event", s.Events().At(e).Attributes())
					}
					for l := 0; l < s.Links().Len(); l++ {
						add("link", s.Links().At(l).Attributes())
					}
				}
			}
		}
	}
	out := map[string][]string{}
	for sc, set := range sets {
		for k := range set {
			out[sc] = append(out[sc], k)
		}
		sort.Strings(out[sc])
	}
	return out
}

func TestTags(t *testing.T) {
	be := localBucket(t, searchFixtures(t))
	ctx := context.Background()
	for _, tenant := range []string{"single-tenant", "v4-tenant", "multi"} {
		want := keysByScope(t, tenant)
		resp, err := blocktools.Tags(ctx, be, tenant, blocktools.TagsOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]string{}
		for _, s := range resp.Scopes {
			got[s.Name] = s.Tags
		}
		for _, sc := range []string{"resource", "span", "event", "link", "instrumentation"} {
			if w, g := fmt.Sprint(want[sc]), fmt.Sprint(got[sc]); w != g {
				t.Errorf("%s %s tags\nwant %s\ngot  %s", tenant, sc, w, g)
			}
		}
		if strings.Join(got["intrinsic"], ",") != strings.Join(blocktools.IntrinsicTags, ",") {
			t.Errorf("intrinsic scope: %v", got["intrinsic"])
		}
		if resp.Metrics.InspectedBytes == 0 || resp.Metrics.TotalBlocks == 0 {
			t.Errorf("metrics %+v", resp.Metrics)
		}
		names := resp.Names()
		if !sort.StringsAreSorted(names) || len(names) == 0 {
			t.Errorf("v1 names %v", names)
		}
	}

	// One scope; the fixture's http.method lives in a dedicated column.
	resp, err := blocktools.Tags(ctx, be, "single-tenant", blocktools.TagsOptions{Scope: "span"})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Scopes) != 1 || resp.Scopes[0].Name != "span" || !contains(resp.Scopes[0].Tags, "http.method") {
		t.Fatalf("span scope: %+v", resp.Scopes)
	}
	resp, err = blocktools.Tags(ctx, be, "single-tenant", blocktools.TagsOptions{Scope: "intrinsic"})
	if err != nil || len(resp.Scopes) != 1 || resp.Scopes[0].Name != "intrinsic" || resp.Metrics.InspectedBytes != 0 {
		t.Fatalf("intrinsic scope: %+v %v", resp, err)
	}
	if _, err := blocktools.Tags(ctx, be, "single-tenant", blocktools.TagsOptions{Scope: "foo"}); err == nil || err.Error() != "invalid scope: foo" {
		t.Fatalf("bad scope: %v", err)
	}
	// A filter: db spans carry db.* attributes only.
	all, _ := blocktools.Tags(ctx, be, "single-tenant", blocktools.TagsOptions{Scope: "span"})
	resp, err = blocktools.Tags(ctx, be, "single-tenant", blocktools.TagsOptions{Scope: "span", Query: `{ resource.service.name = "db" }`})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Scopes) != 1 || len(resp.Scopes[0].Tags) == 0 || len(resp.Scopes[0].Tags) >= len(all.Scopes[0].Tags) {
		t.Fatalf("filtered tags %v (all: %v)", resp.Scopes, all.Scopes)
	}
	if contains(resp.Scopes[0].Tags, "http.route") {
		t.Errorf("db spans have no http.route: %v", resp.Scopes[0].Tags)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func values(r *blocktools.TagValuesResponse) string {
	var out []string
	for _, v := range r.TagValues {
		out = append(out, v.Type+":"+v.Value)
	}
	return strings.Join(out, ",")
}

func TestTagValues(t *testing.T) {
	be := localBucket(t, searchFixtures(t))
	ctx := context.Background()
	for _, tc := range []struct {
		tenant, name, query string
		want                string
	}{
		{"single-tenant", "resource.service.name", "", "string:cart,string:checkout,string:db,string:frontend,string:payment"},
		{"v4-tenant", "resource.service.name", "", "string:cart,string:checkout,string:db,string:frontend,string:payment"},
		{"single-tenant", ".service.name", "", "string:cart,string:checkout,string:db,string:frontend,string:payment"},
		{"single-tenant", "span.http.method", "", "string:GET,string:POST"}, // dedicated column
		{"v4-tenant", "span.http.method", "", "string:GET,string:POST"},     // vParquet4 well-known column
		{"single-tenant", "status", "", "keyword:ok,keyword:error,keyword:unset"},
		{"single-tenant", "kind", "", "keyword:unspecified,keyword:client,keyword:server,keyword:producer,keyword:consumer,keyword:internal"},
		{"single-tenant", "duration", "", ""},
		{"single-tenant", "resource.service.name", `{ span.http.method = "POST" }`, "string:cart,string:checkout,string:frontend,string:payment"},
		// An incomplete filter keeps what parses.
		{"single-tenant", "resource.service.name", `{ span.http.method = "GET" && resource.cluster = }`, "string:cart,string:checkout,string:frontend"},
		{"single-tenant", "resource.service.name", `{ resource.cluster = }`, "string:cart,string:checkout,string:db,string:frontend,string:payment"},
	} {
		tag, err := blocktools.ParseTagName(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := blocktools.TagValues(ctx, be, tc.tenant, tag, blocktools.TagValuesOptions{Query: tc.query})
		if err != nil {
			t.Fatal(err)
		}
		if g := values(resp); g != tc.want {
			t.Errorf("%s %s %s\n got %s\nwant %s", tc.tenant, tc.name, tc.query, g, tc.want)
		}
	}
	tag, _ := blocktools.ParseTagName("span.http.status_code")
	resp, err := blocktools.TagValues(ctx, be, "single-tenant", tag, blocktools.TagValuesOptions{})
	if err != nil || len(resp.TagValues) == 0 || resp.TagValues[0].Type != "int" {
		t.Fatalf("int values: %+v %v", resp, err)
	}
	resp, err = blocktools.TagValues(ctx, be, "single-tenant", blocktools.RawTagName("service.name"), blocktools.TagValuesOptions{Limit: 2})
	if err != nil || len(resp.TagValues) != 2 || len(resp.Strings()) != 2 {
		t.Fatalf("limit: %+v %v", resp, err)
	}
	if _, err := blocktools.ParseTagName("foo"); err == nil || !strings.HasPrefix(err.Error(), "please provide a valid tagName: failed to parse identifier foo: ") {
		t.Fatalf("bad name: %v", err)
	}
}
