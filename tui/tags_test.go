package tui

import (
	"strings"
	"testing"
)

func TestTagIndex(t *testing.T) {
	ix := newTagIndex()
	for _, td := range expectedTraces(t, "acme") {
		ix.addTrace(td)
	}
	names := ix.names()
	for _, want := range []string{"resource.service.name", "span.http.method", "span.http.status_code",
		"instrumentation:name", "event.exception.message", "status", "name", "traceDuration"} {
		if !contains(names, want) {
			t.Errorf("names lack %s", want)
		}
	}
	for _, tc := range []struct {
		tag  string
		want []string
	}{
		{"resource.service.name", []string{`"cart"`, `"checkout"`, `"db"`, `"frontend"`, `"payment"`}},
		{".service.name", []string{`"cart"`, `"checkout"`, `"db"`, `"frontend"`, `"payment"`}},
		{"status", []string{"error", "ok", "unset"}},
		{"span:kind", []string{"client", "consumer", "internal", "producer", "server", "unspecified"}},
		{"unknown.tag", []string{}},
	} {
		if got := ix.valuesOf(tc.tag); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s = %v, want %v", tc.tag, got, tc.want)
		}
	}
	codes := ix.valuesOf("span.http.status_code")
	if !contains(codes, "200") || contains(codes, `"200"`) {
		t.Errorf("int values must be bare literals: %v", codes)
	}
	if names := ix.valuesOf("name"); len(names) == 0 || !strings.HasPrefix(names[0], `"`) {
		t.Errorf("span names are quoted strings: %v", names)
	}
}

func TestTagIndexLimits(t *testing.T) {
	ix := newTagIndex()
	for i := range maxValuesPerTag + 50 {
		ix.add("span.x", strings.Repeat("v", i%7)+string(rune('a'+i%26))+strings.Repeat("w", i))
	}
	if n := len(ix.valuesOf("span.x")); n > maxValuesPerTag {
		t.Errorf("%d values kept, limit %d", n, maxValuesPerTag)
	}
	for _, v := range ix.valuesOf("span.x") {
		if len(v) > maxValueLen {
			t.Errorf("a %d-byte value was kept", len(v))
		}
	}
}
