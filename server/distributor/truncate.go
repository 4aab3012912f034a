package distributor

import (
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model/otlpwire"
)

// DefaultMaxAttributeBytes is the default of distributor.max_attribute_bytes.
const DefaultMaxAttributeBytes = 2048

// truncateAttributes cuts every attribute key and string value (nested ones
// included) of resources, scopes, spans, events and links that is longer
// than max bytes to max bytes, at a UTF-8 boundary. It returns the batch to
// keep and how many keys and values were cut; with none, b itself.
// Only requests with an attribute larger than max (b.LargestAttribute)
// take this path, which decodes and encodes the request once.
func truncateAttributes(b *otlpwire.Batch, max int) (*otlpwire.Batch, int, error) {
	var um ptrace.ProtoUnmarshaler
	td, err := um.UnmarshalTraces(b.Raw)
	if err != nil {
		return nil, 0, err
	}
	n := 0
	rss := td.ResourceSpans()
	for i := range rss.Len() {
		rs := rss.At(i)
		n += truncateMap(rs.Resource().Attributes(), max)
		sss := rs.ScopeSpans()
		for j := range sss.Len() {
			ss := sss.At(j)
			n += truncateMap(ss.Scope().Attributes(), max)
			spans := ss.Spans()
			for k := range spans.Len() {
				s := spans.At(k)
				n += truncateMap(s.Attributes(), max)
				for e := range s.Events().Len() {
					n += truncateMap(s.Events().At(e).Attributes(), max)
				}
				for l := range s.Links().Len() {
					n += truncateMap(s.Links().At(l).Attributes(), max)
				}
			}
		}
	}
	if n == 0 {
		return b, 0, nil
	}
	nb, err := otlpwire.FromTraces(td)
	if err != nil {
		return nil, 0, err
	}
	return nb, n, nil
}

func truncateMap(m pcommon.Map, max int) int {
	n := 0
	var longKeys []string
	for k, v := range m.All() {
		if len(k) > max {
			longKeys = append(longKeys, k)
		}
		n += truncateValue(v, max)
	}
	for _, k := range longKeys {
		v, _ := m.Get(k)
		keep := pcommon.NewValueEmpty()
		v.CopyTo(keep)
		m.Remove(k)
		keep.CopyTo(m.PutEmpty(cut(k, max)))
		n++
	}
	return n
}

func truncateValue(v pcommon.Value, max int) int {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		if s := v.Str(); len(s) > max {
			v.SetStr(cut(s, max))
			return 1
		}
	case pcommon.ValueTypeSlice:
		n := 0
		for i := range v.Slice().Len() {
			n += truncateValue(v.Slice().At(i), max)
		}
		return n
	case pcommon.ValueTypeMap:
		return truncateMap(v.Map(), max)
	}
	return 0
}

// cut shortens s to at most max bytes without splitting a UTF-8 sequence.
func cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}
