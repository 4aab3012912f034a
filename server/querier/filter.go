package querier

import (
	"regexp"
	"strings"

	"github.com/tempoctl/tempoctl/traceql"
)

// matcherRE finds `attribute op literal` matchers in a possibly incomplete
// query such as `{ resource.service.name = "a" && span.http.method = }`,
// which Grafana sends while the user is still typing.
var matcherRE = regexp.MustCompile(
	`(?:(?:span|resource|event|link|instrumentation)?\.(?:"(?:[^"\\]|\\.)*"|[^\s{}()=~!<>&|^,"])+` +
		`|[a-zA-Z]+:[a-zA-Z]+|name|status|statusMessage|kind|duration|traceDuration|rootName|rootServiceName)` +
		`\s*(?:=~|!~|!=|>=|<=|=|>|<)\s*` +
		"(?:\"(?:[^\"\\\\]|\\\\.)*\"|`[^`]*`|[-\\w.:]+)")

// parseFilter reads a tag request's q: the whole query when it parses,
// otherwise the matchers that parse on their own, joined with &&. It returns
// nil when nothing usable is left (the filter is then ignored: tag requests
// never fail on q).
func parseFilter(q string) *traceql.RootExpr {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil
	}
	if root, err := traceql.Parse(q); err == nil {
		if root.IsMetrics() || isEmptyFilter(root) {
			return nil
		}
		return root
	}
	var ok []string
	for _, m := range matcherRE.FindAllString(q, -1) {
		if _, err := traceql.Parse("{ " + m + " }"); err == nil {
			ok = append(ok, m)
		}
	}
	if len(ok) == 0 {
		return nil
	}
	root, err := traceql.Parse("{ " + strings.Join(ok, " && ") + " }")
	if err != nil {
		return nil
	}
	return root
}

// isEmptyFilter is `{}`: every span, so no filtering is needed.
func isEmptyFilter(root *traceql.RootExpr) bool {
	if root.Pipeline == nil || len(root.Pipeline.Stages) != 1 {
		return false
	}
	f, ok := root.Pipeline.Stages[0].(*traceql.SpansetFilter)
	return ok && f.Expr == nil
}
