package querier

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tempoctl/tempoctl/traceql"
)

// legacyQuery turns a legacy tag search (tags=k=v…, minDuration,
// maxDuration) into TraceQL so it runs on the same engine and storage
// pushdown. Each tag must match some span of the trace (not necessarily the
// same span); values match as case-insensitive substrings, and a value that
// reads as a number or boolean also matches an attribute of that type.
func legacyQuery(tags map[string]string, minDur, maxDur time.Duration) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var sets []string
	for _, k := range keys {
		sets = append(sets, "{ "+legacyCondition(k, tags[k])+" }")
	}
	var dur []string
	if minDur > 0 {
		dur = append(dur, fmt.Sprintf("traceDuration >= %dns", minDur.Nanoseconds()))
	}
	if maxDur > 0 {
		dur = append(dur, fmt.Sprintf("traceDuration <= %dns", maxDur.Nanoseconds()))
	}
	if len(dur) > 0 {
		sets = append(sets, "{ "+strings.Join(dur, " && ")+" }")
	}
	if len(sets) == 0 {
		return "{ }"
	}
	return strings.Join(sets, " && ")
}

func legacyCondition(key, value string) string {
	// TraceQL strings and regexes are UTF-8; a byte that is not cannot be
	// matched anyway.
	key, value = strings.ToValidUTF8(key, "\uFFFD"), strings.ToValidUTF8(value, "\uFFFD")
	substr := strconv.Quote("(?i).*" + regexp.QuoteMeta(value) + ".*")
	switch key {
	case "name":
		return "name =~ " + substr
	case "root.name":
		return "rootName =~ " + substr
	case "root.service.name":
		return "rootServiceName =~ " + substr
	case "status.code":
		if s := statusLiteral(value); s != "" {
			return "status = " + s
		}
	case "error":
		if strings.EqualFold(value, "true") {
			return "status = error"
		}
	}
	attr := traceql.NewAttribute(key).String()
	alts := []string{attr + " =~ " + substr}
	if n, err := strconv.ParseInt(value, 10, 64); err == nil {
		alts = append(alts, attr+" = "+strconv.FormatInt(n, 10))
	} else if f, err := strconv.ParseFloat(value, 64); err == nil && !strings.ContainsAny(value, "eEnN") {
		alts = append(alts, attr+" = "+strconv.FormatFloat(f, 'f', -1, 64))
	}
	if b, err := strconv.ParseBool(value); err == nil && (value == "true" || value == "false") {
		alts = append(alts, attr+" = "+strconv.FormatBool(b))
	}
	return strings.Join(alts, " || ")
}

func statusLiteral(v string) string {
	switch strings.ToLower(v) {
	case "ok", "1", "status_code_ok":
		return "ok"
	case "error", "2", "status_code_error":
		return "error"
	case "unset", "0", "status_code_unset":
		return "unset"
	}
	return ""
}
