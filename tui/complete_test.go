package tui

import (
	"strings"
	"testing"
)

var testNames = []string{
	"duration", "kind", "name", "resource.k8s.pod.name", "resource.service.name", "span.http.method",
	"span.http.route", "span.http.status_code", "status",
}

var testValues = map[string][]string{
	"resource.service.name": {`"checkout"`, `"db"`, `"frontend"`},
	".service.name":         {`"checkout"`, `"db"`, `"frontend"`},
	"span.http.status_code": {"200", "404", "500"},
}

func lookupValues(tag string) ([]string, bool) {
	if vs, ok := staticValues[tag]; ok {
		return vs, true
	}
	vs, ok := testValues[tag]
	return vs, ok
}

func TestCompleteAt(t *testing.T) {
	for _, tc := range []struct {
		name, text string // | marks the cursor
		wantItems  []string
		wantTag    string
		apply      string // applying the first item gives this (| = cursor)
	}{
		{name: "names after the brace", text: "{ resource.se|", wantItems: []string{"resource.service.name"},
			apply: "{ resource.service.name|"},
		{name: "bare word finds scoped names", text: "{ http|", wantItems: []string{"span.http.route", "span.http.method", "span.http.status_code"},
			apply: "{ span.http.route|"},
		{name: "unscoped prefix completes unscoped", text: "{ .serv|", wantItems: []string{".service.name"},
			apply: "{ .service.name|"},
		{name: "after &&", text: `{ status = error && sp|`, wantItems: []string{"span.http.route", "span.http.method", "span.http.status_code"}},
		{name: "nothing outside a filter", text: "foo|"},
		{name: "nothing after a value", text: `{ name = "x" |`},
		{name: "quoted value", text: `{ resource.service.name = "fr|`, wantTag: "resource.service.name", wantItems: []string{`"frontend"`},
			apply: `{ resource.service.name = "frontend"|`},
		{name: "quoted value swallows the closing quote", text: `{ resource.service.name = "c|" }`, wantTag: "resource.service.name",
			wantItems: []string{`"checkout"`}, apply: `{ resource.service.name = "checkout"| }`},
		{name: "unquoted value start gets quoted", text: `{ resource.service.name = d|`, wantTag: "resource.service.name",
			wantItems: []string{`"db"`}, apply: `{ resource.service.name = "db"|`},
		{name: "all values after the operator", text: `{ span.http.status_code >= |`, wantTag: "span.http.status_code",
			wantItems: []string{"200", "404", "500"}, apply: `{ span.http.status_code >= 200|`},
		{name: "keywords for status", text: `{ status = e|`, wantTag: "status", wantItems: []string{"error"},
			apply: `{ status = error|`},
		{name: "regex operator", text: `{ .service.name =~ "|`, wantTag: ".service.name",
			wantItems: []string{`"checkout"`, `"db"`, `"frontend"`}},
		{name: "unknown values wait for a fetch", text: `{ span.http.method = |`, wantTag: "span.http.method"},
		{name: "escaped quote stays inside the string", text: `{ name = "a\"b|`, wantTag: "name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur := strings.Index(tc.text, "|")
			text := strings.Replace(tc.text, "|", "", 1)
			c := completeAt(text, len([]rune(text[:cur])), testNames, lookupValues)
			if strings.Join(c.items, ",") != strings.Join(tc.wantItems, ",") {
				t.Errorf("items = %q, want %q", c.items, tc.wantItems)
			}
			if c.tag != tc.wantTag {
				t.Errorf("tag = %q, want %q", c.tag, tc.wantTag)
			}
			if tc.apply != "" && len(c.items) > 0 {
				got, pos := c.apply(text, c.items[0])
				rs := []rune(got)
				if withCursor := string(rs[:pos]) + "|" + string(rs[pos:]); withCursor != tc.apply {
					t.Errorf("apply = %q, want %q", withCursor, tc.apply)
				}
			}
		})
	}
}

func FuzzCompleteAt(f *testing.F) {
	for _, s := range []string{`{ resource.service.name = "fr`, `{ .a && |`, `{ "\"`, `日本{ x = "`, ``} {
		f.Add(s, len(s))
	}
	f.Fuzz(func(t *testing.T, text string, cursor int) {
		c := completeAt(text, cursor, testNames, lookupValues)
		n := len([]rune(text))
		if c.start < 0 || c.end > n || c.start > c.end {
			t.Fatalf("range %d-%d outside %d runes", c.start, c.end, n)
		}
		for _, it := range c.items {
			out, pos := c.apply(text, it)
			if pos < 0 || pos > len([]rune(out)) {
				t.Fatalf("cursor %d outside %q", pos, out)
			}
		}
	})
}
