package frontend

import (
	"reflect"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/server/querier"
)

func TestMergeLiveAnswers(t *testing.T) {
	names := mergeTagNames(2,
		&querier.TagsResult{Scopes: map[string][]string{"span": {"b", "c"}}, InspectedBytes: 1},
		&querier.TagsResult{Scopes: map[string][]string{"span": {"a", "b"}, "resource": {"service.name"}}, InspectedBytes: 2})
	if want := map[string][]string{"span": {"a", "b"}, "resource": {"service.name"}}; !reflect.DeepEqual(names.Scopes, want) || names.InspectedBytes != 3 {
		t.Errorf("names %v (%d bytes)", names.Scopes, names.InspectedBytes)
	}
	values := mergeTagValues(0,
		&querier.TagValuesResult{Values: []querier.TagValue{{Type: "string", Value: "b"}, {Type: "int", Value: "1"}}},
		&querier.TagValuesResult{Values: []querier.TagValue{{Type: "string", Value: "b"}, {Type: "string", Value: "1"}}})
	want := []querier.TagValue{{Type: "int", Value: "1"}, {Type: "string", Value: "1"}, {Type: "string", Value: "b"}}
	if !reflect.DeepEqual(values.Values, want) {
		t.Errorf("values %v", values.Values)
	}

	part := func(span byte) ptrace.Traces {
		td := ptrace.NewTraces()
		sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		sp.SetTraceID(pcommon.TraceID{1})
		sp.SetSpanID(pcommon.SpanID{span})
		return td
	}
	res := combineShards([]*querier.TraceByIDResult{
		{Found: true, Trace: part(1), InspectedBytes: 10},
		{Found: false, BlocksSearched: 2},
		{Found: true, Trace: part(2), Partial: true, MaxBytes: 5, FailedBlocks: 1},
	})
	if !res.Found || res.Trace.SpanCount() != 2 || !res.Partial || res.MaxBytes != 5 || res.InspectedBytes != 10 || res.BlocksSearched != 2 || res.FailedBlocks != 1 {
		t.Errorf("combined %+v (%d spans)", res, res.Trace.SpanCount())
	}
	if res := combineShards([]*querier.TraceByIDResult{{BlocksSearched: 1}}); res.Found {
		t.Error("found in no part")
	}
}
