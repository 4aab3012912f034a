package api

import (
	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/server/tempopb"
	"github.com/tempoctl/tempoctl/traceql"
)

// The protobuf bodies of the search and tag endpoints are the tempopb
// messages of spec §9, encoded by package tempopb (shared with the gRPC
// streaming API, so both answer the same bytes).

func mustMarshal(m tempopb.Message) []byte {
	b, _ := m.Marshal() // the hand-written encoders never fail
	return b
}

// marshalSearchProto encodes tempopb.SearchResponse.
func marshalSearchProto(resp *traceql.SearchResponse) []byte {
	return mustMarshal((*tempopb.SearchResponse)(resp))
}

func (m metadataMetrics) proto() *tempopb.MetadataMetrics {
	return &tempopb.MetadataMetrics{InspectedBytes: m.InspectedBytes}
}

func (t tagsV1) proto() *tempopb.SearchTagsResponse {
	return &tempopb.SearchTagsResponse{TagNames: t.TagNames, Metrics: t.Metrics.proto()}
}

func (t tagsV2) proto() *tempopb.SearchTagsV2Response {
	out := &tempopb.SearchTagsV2Response{Metrics: t.Metrics.proto()}
	for _, s := range t.Scopes {
		out.Scopes = append(out.Scopes, &tempopb.SearchTagsV2Scope{Name: s.Name, Tags: s.Tags})
	}
	return out
}

func (t tagValuesV1) proto() *tempopb.SearchTagValuesResponse {
	return &tempopb.SearchTagValuesResponse{TagValues: t.TagValues, Metrics: t.Metrics.proto()}
}

func (t tagValuesV2) proto() *tempopb.SearchTagValuesV2Response {
	return &tempopb.SearchTagValuesV2Response{TagValues: tagValuesProto(t.TagValues), Metrics: t.Metrics.proto()}
}

func tagValuesProto(vs []querier.TagValue) []tempopb.TagValue {
	out := make([]tempopb.TagValue, len(vs))
	for i, v := range vs {
		out[i] = tempopb.TagValue{Type: v.Type, Value: v.Value}
	}
	return out
}

func (t tagsV1) marshalProto() []byte      { return mustMarshal(t.proto()) }
func (t tagsV2) marshalProto() []byte      { return mustMarshal(t.proto()) }
func (t tagValuesV1) marshalProto() []byte { return mustMarshal(t.proto()) }
func (t tagValuesV2) marshalProto() []byte { return mustMarshal(t.proto()) }
