package frontend

import (
	"cmp"
	"slices"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/server/querier"
)

// Answers of ingesters in other processes (live data) joined with a
// querier's (blocks).

// combineShards joins trace-by-ID answers: the parts found are combined
// (duplicate spans dropped), the counters added.
func combineShards(rs []*querier.TraceByIDResult) *querier.TraceByIDResult {
	out, parts := sumShards(rs)
	if len(parts) > 0 {
		out.Found, out.Trace = true, combineParts(parts)
	}
	return out
}

// sumShards adds up the answers' counters and partial flags and lists the
// parts found.
func sumShards(rs []*querier.TraceByIDResult) (*querier.TraceByIDResult, []ptrace.Traces) {
	out := &querier.TraceByIDResult{}
	var parts []ptrace.Traces
	for _, r := range rs {
		out.InspectedBytes += r.InspectedBytes
		out.BlocksSearched += r.BlocksSearched
		out.FailedBlocks += r.FailedBlocks
		if r.Found {
			parts = append(parts, r.Trace)
			out.Partial = out.Partial || r.Partial
			out.MaxBytes = max(out.MaxBytes, r.MaxBytes)
		}
	}
	return out, parts
}

func combineParts(parts []ptrace.Traces) ptrace.Traces {
	if len(parts) == 1 {
		return parts[0]
	}
	return model.Combine(parts...)
}

// mergeTagNames joins two answers, sorted, at most limit names a scope (0:
// no limit).
func mergeTagNames(limit int, a, b *querier.TagsResult) *querier.TagsResult {
	out := &querier.TagsResult{Scopes: map[string][]string{}, InspectedBytes: a.InspectedBytes + b.InspectedBytes}
	for _, r := range []*querier.TagsResult{a, b} {
		for scope, names := range r.Scopes {
			out.Scopes[scope] = append(out.Scopes[scope], names...)
		}
	}
	for scope, names := range out.Scopes {
		slices.Sort(names)
		names = slices.Compact(names)
		if limit > 0 && len(names) > limit {
			names = names[:limit]
		}
		out.Scopes[scope] = names
	}
	return out
}

// mergeTagValues joins two answers, sorted by value then type, at most
// limit values (0: no limit).
func mergeTagValues(limit int, a, b *querier.TagValuesResult) *querier.TagValuesResult {
	vs := append(slices.Clone(a.Values), b.Values...)
	slices.SortFunc(vs, func(x, y querier.TagValue) int {
		if c := cmp.Compare(x.Value, y.Value); c != 0 {
			return c
		}
		return cmp.Compare(x.Type, y.Type)
	})
	vs = slices.Compact(vs)
	if limit > 0 && len(vs) > limit {
		vs = vs[:limit]
	}
	return &querier.TagValuesResult{Values: vs, InspectedBytes: a.InspectedBytes + b.InspectedBytes}
}
