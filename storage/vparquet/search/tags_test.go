package search

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/traceql"
)

// otlpOracle lists tag names and values from OTLP traces with pdata, as an
// independent check of the column readers.
type otlpOracle struct {
	names  map[traceql.Scope]map[string]bool
	values map[string]map[string]bool // "scope/name" → "type:value"
}

func scalarKey(v pcommon.Value) (string, bool) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return "string:" + v.Str(), true
	case pcommon.ValueTypeInt:
		return fmt.Sprintf("int:%d", v.Int()), true
	case pcommon.ValueTypeDouble:
		return fmt.Sprintf("float:%g", v.Double()), true
	case pcommon.ValueTypeBool:
		return fmt.Sprintf("bool:%t", v.Bool()), true
	}
	return "", false
}

func newOracle(tds []ptrace.Traces) *otlpOracle {
	o := &otlpOracle{names: map[traceql.Scope]map[string]bool{}, values: map[string]map[string]bool{}}
	addMap := func(sc traceql.Scope, m pcommon.Map) {
		if o.names[sc] == nil {
			o.names[sc] = map[string]bool{}
		}
		for k, v := range m.All() {
			o.names[sc][k] = true
			key := fmt.Sprintf("%d/%s", sc, k)
			if o.values[key] == nil {
				o.values[key] = map[string]bool{}
			}
			if v.Type() == pcommon.ValueTypeSlice {
				for i := 0; i < v.Slice().Len(); i++ {
					if s, ok := scalarKey(v.Slice().At(i)); ok {
						o.values[key][s] = true
					}
				}
				continue
			}
			if s, ok := scalarKey(v); ok {
				o.values[key][s] = true
			}
		}
	}
	for _, td := range tds {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			rs := td.ResourceSpans().At(i)
			addMap(traceql.ScopeResource, rs.Resource().Attributes())
			for j := 0; j < rs.ScopeSpans().Len(); j++ {
				ss := rs.ScopeSpans().At(j)
				addMap(traceql.ScopeInstrumentation, ss.Scope().Attributes())
				for k := 0; k < ss.Spans().Len(); k++ {
					s := ss.Spans().At(k)
					addMap(traceql.ScopeSpan, s.Attributes())
					for e := 0; e < s.Events().Len(); e++ {
						addMap(traceql.ScopeEvent, s.Events().At(e).Attributes())
					}
					for l := 0; l < s.Links().Len(); l++ {
						addMap(traceql.ScopeLink, s.Links().At(l).Attributes())
					}
				}
			}
		}
	}
	return o
}

func staticKey(v traceql.Static) string {
	switch v.Type {
	case traceql.TypeString:
		return "string:" + v.S
	case traceql.TypeInt:
		return fmt.Sprintf("int:%d", v.N)
	case traceql.TypeFloat:
		return fmt.Sprintf("float:%g", v.F)
	case traceql.TypeBoolean:
		return fmt.Sprintf("bool:%t", v.B)
	}
	return "other:" + v.String()
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestTagNamesAndValues(t *testing.T) {
	for _, version := range []string{backend.VersionVParquet5, backend.VersionVParquet4} {
		t.Run(version, func(t *testing.T) {
			_, r := writeGenerated(t, version, 21, 80, true)
			o := newOracle(readBack(t, r))
			ctx := context.Background()

			got := map[traceql.Scope]map[string]bool{}
			st, err := TagNames(ctx, r, TagRequest{}, traceql.ScopeNone, func(sc traceql.Scope, name string) {
				if got[sc] == nil {
					got[sc] = map[string]bool{}
				}
				got[sc][name] = true
			})
			if err != nil {
				t.Fatal(err)
			}
			if st.InspectedBytes == 0 || st.RowGroups != r.RowGroups() {
				t.Fatalf("stats %+v", st)
			}
			for _, sc := range []traceql.Scope{traceql.ScopeResource, traceql.ScopeSpan, traceql.ScopeEvent, traceql.ScopeLink, traceql.ScopeInstrumentation} {
				w, g := fmt.Sprint(sortedKeys(o.names[sc])), fmt.Sprint(sortedKeys(got[sc]))
				if w != g {
					t.Errorf("scope %s names\nwant %s\ngot  %s", sc, w, g)
				}
			}
			// One scope only.
			only := map[string]bool{}
			if _, err := TagNames(ctx, r, TagRequest{}, traceql.ScopeLink, func(sc traceql.Scope, name string) {
				if sc != traceql.ScopeLink {
					t.Errorf("scope %s reported for a link-only lookup", sc)
				}
				only[name] = true
			}); err != nil {
				t.Fatal(err)
			}
			if len(only) == 0 {
				t.Error("no link tags")
			}

			for _, tc := range []struct {
				attr  traceql.Attribute
				scope traceql.Scope
			}{
				{traceql.NewScopedAttribute(traceql.ScopeSpan, "http.request.method"), traceql.ScopeSpan},       // dedicated
				{traceql.NewScopedAttribute(traceql.ScopeSpan, "http.response.status_code"), traceql.ScopeSpan}, // dedicated int
				{traceql.NewScopedAttribute(traceql.ScopeSpan, "http.method"), traceql.ScopeSpan},               // v4 well-known
				{traceql.NewScopedAttribute(traceql.ScopeSpan, "tags"), traceql.ScopeSpan},
				{traceql.NewScopedAttribute(traceql.ScopeSpan, "ints"), traceql.ScopeSpan},
				{traceql.NewScopedAttribute(traceql.ScopeSpan, "mixed"), traceql.ScopeSpan},
				{traceql.NewScopedAttribute(traceql.ScopeSpan, "url.route"), traceql.ScopeSpan},
				{traceql.NewScopedAttribute(traceql.ScopeSpan, "server.address"), traceql.ScopeSpan},
				{traceql.NewScopedAttribute(traceql.ScopeSpan, "cache.hit"), traceql.ScopeSpan},
				{traceql.NewScopedAttribute(traceql.ScopeResource, "service.name"), traceql.ScopeResource},
				{traceql.NewScopedAttribute(traceql.ScopeResource, "k8s.pod.name"), traceql.ScopeResource},
				{traceql.NewScopedAttribute(traceql.ScopeResource, "cluster"), traceql.ScopeResource},
				{traceql.NewScopedAttribute(traceql.ScopeResource, "process.command_args"), traceql.ScopeResource},
				{traceql.NewScopedAttribute(traceql.ScopeEvent, "exception.message"), traceql.ScopeEvent},
				{traceql.NewScopedAttribute(traceql.ScopeEvent, "n"), traceql.ScopeEvent},
				{traceql.NewScopedAttribute(traceql.ScopeLink, "opentracing.ref_type"), traceql.ScopeLink},
				{traceql.NewScopedAttribute(traceql.ScopeInstrumentation, "sampled"), traceql.ScopeInstrumentation},
			} {
				got := map[string]bool{}
				if _, err := TagValues(ctx, r, TagRequest{}, tc.attr, false, func(v traceql.Static) bool {
					got[staticKey(v)] = true
					return true
				}); err != nil {
					t.Fatal(err)
				}
				want := o.values[fmt.Sprintf("%d/%s", tc.scope, tc.attr.Name)]
				if w, g := fmt.Sprint(sortedKeys(want)), fmt.Sprint(sortedKeys(got)); w != g || len(want) == 0 {
					t.Errorf("%s values\nwant %s\ngot  %s", tc.attr, w, g)
				}
			}

			// Intrinsic from a dictionary; unscoped over span and resource.
			names := map[string]bool{}
			if _, err := TagValues(ctx, r, TagRequest{}, traceql.NewIntrinsic(traceql.IntrinsicName), false, func(v traceql.Static) bool {
				names[v.S] = true
				return true
			}); err != nil {
				t.Fatal(err)
			}
			if len(names) != 7 { // tracegen's operation names
				t.Errorf("span names %v", sortedKeys(names))
			}
			n := 0
			if _, err := TagValues(ctx, r, TagRequest{}, traceql.NewAttribute("service.name"), false, func(traceql.Static) bool {
				n++
				return n < 2
			}); err != nil {
				t.Fatal(err)
			}
			if n != 2 {
				t.Errorf("add returning false should stop: %d calls", n)
			}
		})
	}
}
