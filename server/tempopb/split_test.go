package tempopb

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/tempoctl/tempoctl/traceql"
)

func size(t *testing.T, m Message) int {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

func manyTraces(n int) *SearchResponse {
	r := &SearchResponse{Metrics: &traceql.SearchMetrics{InspectedBytes: 1 << 40, CompletedJobs: 3}}
	for i := 0; i < n; i++ {
		r.Traces = append(r.Traces, &traceql.TraceSearchMetadata{TraceID: fmt.Sprintf("%032x", i), RootServiceName: strings.Repeat("s", i%50),
			StartTimeUnixNano: uint64(i), SpanSets: []*traceql.SpanSet{{Matched: uint32(i)}}})
	}
	return r
}

func TestSplitSearch(t *testing.T) {
	full := manyTraces(200)
	for _, max := range []int{0, 1, 150, 1000, 1 << 20} {
		parts := full.Split(max)
		var got []*traceql.TraceSearchMetadata
		for i, p := range parts {
			if !reflect.DeepEqual(p.Metrics, full.Metrics) {
				t.Fatalf("max %d: packet %d lacks the metrics", max, i)
			}
			// A packet over max holds one trace too big on its own.
			if n := size(t, p); max > 0 && n > max && len(p.Traces) != 1 {
				t.Fatalf("max %d: packet %d is %d bytes with %d traces", max, i, n, len(p.Traces))
			}
			got = append(got, p.Traces...)
		}
		if !reflect.DeepEqual(got, full.Traces) {
			t.Fatalf("max %d: packets do not add up to the response", max)
		}
		if max >= 1<<20 && len(parts) != 1 {
			t.Fatalf("a small response was split in %d", len(parts))
		}
	}
	if parts := (&SearchResponse{}).Split(10); len(parts) != 1 || len(parts[0].Traces) != 0 {
		t.Fatal("an empty response must still be one packet")
	}
}

func TestSplitTags(t *testing.T) {
	var names []string
	for i := 0; i < 300; i++ {
		names = append(names, fmt.Sprintf("attribute.%d%s", i, strings.Repeat("x", i%40)))
	}
	v2 := &SearchTagsV2Response{Metrics: sampleMetadataMetrics, Scopes: []*SearchTagsV2Scope{
		{Name: "resource", Tags: names[:100]}, {Name: "empty"}, {Name: "span", Tags: names[100:]}, {Name: "intrinsic", Tags: []string{"duration"}},
	}}
	for _, max := range []int{0, 1, 120, 700, 1 << 20} {
		merged := map[string][]string{}
		var order []string
		for i, p := range v2.Split(max) {
			if p.Metrics != v2.Metrics {
				t.Fatalf("max %d: packet %d lacks the metrics", max, i)
			}
			tags := 0
			for _, s := range p.Scopes {
				if _, ok := merged[s.Name]; !ok {
					order = append(order, s.Name)
				}
				merged[s.Name] = append(merged[s.Name], s.Tags...)
				tags += len(s.Tags)
			}
			if n := size(t, p); max > 0 && n > max && tags > 1 {
				t.Fatalf("max %d: packet %d is %d bytes", max, i, n)
			}
		}
		for _, s := range v2.Scopes {
			if !reflect.DeepEqual(merged[s.Name], s.Tags) && !(len(s.Tags) == 0 && len(merged[s.Name]) == 0) {
				t.Fatalf("max %d: scope %s: %d tags after merging, want %d", max, s.Name, len(merged[s.Name]), len(s.Tags))
			}
		}
		if fmt.Sprint(order) != "[resource empty span intrinsic]" {
			t.Fatalf("max %d: scope order %v", max, order)
		}
	}

	v1 := &SearchTagsResponse{TagNames: names, Metrics: sampleMetadataMetrics}
	vals := &SearchTagValuesResponse{TagValues: names}
	var typed []TagValue
	for _, n := range names {
		typed = append(typed, TagValue{Type: "string", Value: n})
	}
	v2vals := &SearchTagValuesV2Response{TagValues: typed, Metrics: &MetadataMetrics{InspectedBytes: 1}}
	const max = 500
	var got1, gotVals []string
	var gotTyped []TagValue
	for _, p := range v1.Split(max) {
		if size(t, p) > max || p.Metrics != v1.Metrics {
			t.Fatal("tags packet")
		}
		got1 = append(got1, p.TagNames...)
	}
	for _, p := range vals.Split(max) {
		if size(t, p) > max {
			t.Fatal("values packet")
		}
		gotVals = append(gotVals, p.TagValues...)
	}
	for _, p := range v2vals.Split(max) {
		if size(t, p) > max || p.Metrics != v2vals.Metrics {
			t.Fatal("typed values packet")
		}
		gotTyped = append(gotTyped, p.TagValues...)
	}
	if !reflect.DeepEqual(got1, names) || !reflect.DeepEqual(gotVals, names) || !reflect.DeepEqual(gotTyped, typed) {
		t.Fatal("packets do not add up")
	}
}
