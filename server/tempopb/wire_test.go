package tempopb

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tempoctl/tempoctl/traceql"
)

func ptr[T any](v T) *T { return &v }

func sampleSearchResponse() *SearchResponse {
	ss := &traceql.SpanSet{
		Spans: []*traceql.SpanResult{{SpanID: "eee19b7ec3c1b174", Name: "GET /", StartTimeUnixNano: 1795464296000000000, DurationNanos: 500000000,
			Attributes: []traceql.KeyValue{
				{Key: "status", Value: traceql.AnyValue{StringValue: ptr("error")}},
				{Key: "http.status_code", Value: traceql.AnyValue{IntValue: ptr[int64](-500)}},
				{Key: "ratio", Value: traceql.AnyValue{DoubleValue: ptr(0.25)}},
				{Key: "cached", Value: traceql.AnyValue{BoolValue: ptr(false)}},
				{Key: "empty", Value: traceql.AnyValue{StringValue: ptr("")}},
			}}},
		Matched:    3,
		Attributes: []traceql.KeyValue{{Key: "count()", Value: traceql.AnyValue{IntValue: ptr[int64](2)}}},
	}
	return &SearchResponse{
		Traces: []*traceql.TraceSearchMetadata{
			{TraceID: "5b8efff798038103d269b633813fc60c", RootServiceName: "shop-backend", RootTraceName: "GET /api/orders",
				StartTimeUnixNano: 1795464296000000000, DurationMs: 500, SpanSet: ss, SpanSets: []*traceql.SpanSet{ss, {Matched: 1}},
				ServiceStats: map[string]traceql.ServiceStats{"postgres": {SpanCount: 1}, "shop-backend": {SpanCount: 2, ErrorCount: 1}}},
			{TraceID: "1", RootServiceName: traceql.RootSpanNotYetReceived},
		},
		Metrics: &traceql.SearchMetrics{InspectedTraces: 22, InspectedBytes: 52362, TotalBlocks: 1, CompletedJobs: 3, TotalJobs: 3, TotalBlockBytes: 9, InspectedSpans: 7},
	}
}

var sampleMetadataMetrics = &MetadataMetrics{InspectedBytes: 14351, TotalJobs: 2, CompletedJobs: 1, TotalBlocks: 3, TotalBlockBytes: 4,
	BackendReads: 5, BackendBytes: 6, AdditionalMetrics: map[string]int64{"cacheHits": 3, "negative": -1}}

// wireCases: every message, filled in, with fields a real protobuf decoder
// must read under the spec's names.
var wireCases = []struct {
	name  string
	msg   Message
	empty func() Message
	check map[string]string // field name → fmt.Sprint of its value
}{
	{"SearchRequest", &SearchRequest{Tags: map[string]string{"service.name": "a", "k": ""}, MinDurationMs: 10, MaxDurationMs: 20, Limit: 30,
		Start: 1795465000, End: 1795466000, Query: `{ status = error }`, SpansPerSpanSet: 4, RF1After: &Timestamp{Seconds: 5, Nanos: -6},
		SkipASTTransformations: []string{"a", ""}}, func() Message { return &SearchRequest{} },
		map[string]string{"Limit": "30", "start": "1795465000", "end": "1795466000", "Query": "{ status = error }", "SpansPerSpanSet": "4",
			"MinDurationMs": "10", "MaxDurationMs": "20"}},
	{"SearchResponse", sampleSearchResponse(), func() Message { return &SearchResponse{} }, nil},
	{"SearchTagsRequest", &SearchTagsRequest{Scope: "span", Query: "{}", Start: 1, End: 2, MaxTagsPerScope: 3, StaleValuesThreshold: 4, RF1After: &Timestamp{}},
		func() Message { return &SearchTagsRequest{} },
		map[string]string{"scope": "span", "start": "1", "end": "2", "maxTagsPerScope": "3", "staleValuesThreshold": "4"}},
	{"SearchTagValuesRequest", &SearchTagValuesRequest{TagName: "resource.service.name", Query: "{}", Start: 1, End: 2, MaxTagValues: 3, StaleValueThreshold: 4},
		func() Message { return &SearchTagValuesRequest{} },
		map[string]string{"tagName": "resource.service.name", "start": "1", "end": "2", "maxTagValues": "3", "staleValueThreshold": "4"}},
	{"SearchTagsResponse", &SearchTagsResponse{TagNames: []string{"a", "b"}, Metrics: sampleMetadataMetrics}, func() Message { return &SearchTagsResponse{} }, nil},
	{"SearchTagsV2Response", &SearchTagsV2Response{Scopes: []*SearchTagsV2Scope{{Name: "span", Tags: []string{"x", "y"}}, {Name: "link"}}, Metrics: &MetadataMetrics{}},
		func() Message { return &SearchTagsV2Response{} }, nil},
	{"SearchTagValuesResponse", &SearchTagValuesResponse{TagValues: []string{"postgres"}, Metrics: &MetadataMetrics{InspectedBytes: 1}},
		func() Message { return &SearchTagValuesResponse{} }, nil},
	{"SearchTagValuesV2Response", &SearchTagValuesV2Response{TagValues: []TagValue{{Type: "string", Value: "a"}, {Type: "int", Value: "500"}}, Metrics: sampleMetadataMetrics},
		func() Message { return &SearchTagValuesV2Response{} }, nil},
	{"QueryRangeRequest", &QueryRangeRequest{Query: "{ } | rate()", Start: 1, End: 2, Step: 3, QueryMode: "recent", BlockID: "b", StartPage: 4, PagesToSearch: 5,
		Version: "vParquet5", Size: 6, FooterSize: 7, DedicatedColumns: []*DedicatedColumn{{Type: 1, Name: "db", Scope: 2, Options: 3}, {}},
		Exemplars: 8, MaxSeries: 9, Instant: ptr(false), SkipASTTransformations: []string{"x"}}, func() Message { return &QueryRangeRequest{} },
		map[string]string{"step": "3", "size": "6", "footerSize": "7", "exemplars": "8", "maxSeries": "9", "instant": "false"}},
	{"QueryInstantRequest", &QueryInstantRequest{Query: "{ } | rate()", Start: 1, End: 2}, func() Message { return &QueryInstantRequest{} },
		map[string]string{"query": "{ } | rate()", "start": "1", "end": "2"}},
}

// TestWireMatchesProtobuf decodes each encoding with the protobuf runtime
// over the spec's descriptor (no unknown fields, named fields as set), and
// decodes the runtime's encoding back to the same value.
func TestWireMatchesProtobuf(t *testing.T) {
	for _, tc := range wireCases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.msg.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			dm := dynamic(t, tc.name)
			if err := proto.Unmarshal(b, dm); err != nil {
				t.Fatal(err)
			}
			var unknown func(m protoreflect.Message)
			unknown = func(m protoreflect.Message) {
				if len(m.GetUnknown()) > 0 {
					t.Fatalf("%s: fields the spec's descriptor does not know: %x", m.Descriptor().FullName(), m.GetUnknown())
				}
				m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
					switch {
					case fd.IsMap() && fd.MapValue().Message() != nil:
						v.Map().Range(func(_ protoreflect.MapKey, e protoreflect.Value) bool { unknown(e.Message()); return true })
					case fd.IsList() && fd.Message() != nil:
						for i := 0; i < v.List().Len(); i++ {
							unknown(v.List().Get(i).Message())
						}
					case fd.Message() != nil && !fd.IsMap() && !fd.IsList():
						unknown(v.Message())
					}
					return true
				})
			}
			unknown(dm)
			for name, want := range tc.check {
				fd := dm.Descriptor().Fields().ByName(protoreflect.Name(name))
				if got := fmt.Sprint(dm.Get(fd).Interface()); got != want {
					t.Errorf("field %s = %s, want %s", name, got, want)
				}
			}
			b2, err := proto.MarshalOptions{Deterministic: true}.Marshal(dm)
			if err != nil {
				t.Fatal(err)
			}
			back := tc.empty()
			if err := back.Unmarshal(b2); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tc.msg) {
				t.Fatalf("decoded from the runtime's encoding:\n%+v\nwant\n%+v", back, tc.msg)
			}
			if !bytes.Equal(b, b2) {
				t.Errorf("encodings differ:\n ours    %x\n runtime %x", b, b2)
			}
		})
	}
}

// The search response as a real decoder reads it: a few values by path.
func TestSearchResponseFields(t *testing.T) {
	b, _ := sampleSearchResponse().Marshal()
	dm := dynamic(t, "SearchResponse")
	if err := proto.Unmarshal(b, dm); err != nil {
		t.Fatal(err)
	}
	get := func(m protoreflect.Message, name string) protoreflect.Value {
		return m.Get(m.Descriptor().Fields().ByName(protoreflect.Name(name)))
	}
	tr := get(dm, "traces").List().Get(0).Message()
	if s := get(tr, "rootTraceName").String(); s != "GET /api/orders" {
		t.Fatalf("rootTraceName %q", s)
	}
	if n := get(tr, "durationMs").Uint(); n != 500 {
		t.Fatalf("durationMs %d", n)
	}
	stats := get(tr, "serviceStats").Map().Get(protoreflect.ValueOfString("shop-backend").MapKey()).Message()
	if get(stats, "errorCount").Uint() != 1 || get(stats, "spanCount").Uint() != 2 {
		t.Fatal("serviceStats")
	}
	span := get(get(tr, "spanSets").List().Get(0).Message(), "spans").List().Get(0).Message()
	attr := get(span, "attributes").List().Get(1).Message()
	if get(attr, "key").String() != "http.status_code" || get(get(attr, "value").Message(), "int_value").Int() != -500 {
		t.Fatalf("attribute %v", attr)
	}
	if get(get(dm, "metrics").Message(), "totalBlockBytes").Uint() != 9 {
		t.Fatal("metrics")
	}
}
