package querier

import (
	"strings"
	"testing"
	"time"

	"github.com/tempoctl/tempoctl/traceql"
)

// FuzzLegacyQuery: whatever tags a legacy search carries, the TraceQL built
// from them parses (a failure here would be a 400 for a valid request).
func FuzzLegacyQuery(f *testing.F) {
	f.Add("service.name", "cart", int64(0), int64(0))
	f.Add("name", "GET /api", int64(100), int64(0))
	f.Add("http.status_code", "500", int64(0), int64(2e9))
	f.Add("error", "true", int64(0), int64(0))
	f.Add(`we"ird\key`, `va"l\ue*+?`, int64(1), int64(1))
	f.Add("1abc", "1e5", int64(0), int64(0))
	f.Fuzz(func(t *testing.T, key, value string, minNs, maxNs int64) {
		if key == "" || strings.ContainsRune(key, 0) || strings.ContainsRune(value, 0) {
			return
		}
		q := legacyQuery(map[string]string{key: value}, time.Duration(minNs), time.Duration(maxNs))
		if _, err := traceql.Parse(q); err != nil {
			t.Fatalf("tags %q=%q gave %s: %v", key, value, q, err)
		}
	})
}

// FuzzParseFilter: a tag request's q never fails and never panics; what
// it keeps parses.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{``, `{}`, `{ resource.service.name = "a" }`, `{ resource.service.name = "a" && span.http.method = }`,
		`{ .a = 1 || `, `{ name =~ "x.*" } | count() > 1`, `{ } | rate()`, `{ span."a b" = "c" && status = error }`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		root := parseFilter(q)
		if root == nil {
			return
		}
		if _, err := traceql.Parse(root.String()); err != nil {
			t.Fatalf("kept filter %s does not parse: %v", root, err)
		}
	})
}
