package api

import (
	"math"
	"sort"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tempoctl/tempoctl/traceql"
)

// Hand-written protobuf encoders for the tempopb messages of spec §9: the
// shapes are small and fixed, and this avoids generated code for a package
// we must not import. proto3 rules: zero scalars are left out.

func pbString(b []byte, f protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, f, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func pbUint(b []byte, f protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, f, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func pbMessage(b []byte, f protowire.Number, m []byte) []byte {
	b = protowire.AppendTag(b, f, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

// pbKeyValue is opentelemetry common.v1 KeyValue{key=1, value=2 AnyValue}.
func pbKeyValue(kv traceql.KeyValue) []byte {
	var av []byte
	switch v := kv.Value; {
	case v.StringValue != nil:
		av = protowire.AppendTag(av, 1, protowire.BytesType)
		av = protowire.AppendString(av, *v.StringValue)
	case v.BoolValue != nil:
		av = protowire.AppendTag(av, 2, protowire.VarintType)
		av = protowire.AppendVarint(av, protowire.EncodeBool(*v.BoolValue))
	case v.IntValue != nil:
		av = protowire.AppendTag(av, 3, protowire.VarintType)
		av = protowire.AppendVarint(av, uint64(*v.IntValue))
	case v.DoubleValue != nil:
		av = protowire.AppendTag(av, 4, protowire.Fixed64Type)
		av = protowire.AppendFixed64(av, math.Float64bits(*v.DoubleValue))
	}
	b := pbString(nil, 1, kv.Key)
	return pbMessage(b, 2, av)
}

func pbSpan(s *traceql.SpanResult) []byte {
	b := pbString(nil, 1, s.SpanID)
	b = pbString(b, 2, s.Name)
	b = pbUint(b, 3, s.StartTimeUnixNano)
	b = pbUint(b, 4, s.DurationNanos)
	for _, kv := range s.Attributes {
		b = pbMessage(b, 5, pbKeyValue(kv))
	}
	return b
}

func pbSpanSet(ss *traceql.SpanSet) []byte {
	var b []byte
	for _, s := range ss.Spans {
		b = pbMessage(b, 1, pbSpan(s))
	}
	b = pbUint(b, 2, uint64(ss.Matched))
	for _, kv := range ss.Attributes {
		b = pbMessage(b, 3, pbKeyValue(kv))
	}
	return b
}

func pbTrace(t *traceql.TraceSearchMetadata) []byte {
	b := pbString(nil, 1, t.TraceID)
	b = pbString(b, 2, t.RootServiceName)
	b = pbString(b, 3, t.RootTraceName)
	b = pbUint(b, 4, t.StartTimeUnixNano)
	b = pbUint(b, 5, uint64(t.DurationMs))
	if t.SpanSet != nil {
		b = pbMessage(b, 6, pbSpanSet(t.SpanSet))
	}
	for _, ss := range t.SpanSets {
		b = pbMessage(b, 7, pbSpanSet(ss))
	}
	svcs := make([]string, 0, len(t.ServiceStats))
	for s := range t.ServiceStats {
		svcs = append(svcs, s)
	}
	sort.Strings(svcs)
	for _, s := range svcs {
		st := t.ServiceStats[s]
		v := pbUint(nil, 1, uint64(st.SpanCount))
		v = pbUint(v, 2, uint64(st.ErrorCount))
		entry := pbString(nil, 1, s)
		entry = pbMessage(entry, 2, v)
		b = pbMessage(b, 8, entry)
	}
	return b
}

func pbSearchMetrics(m *traceql.SearchMetrics) []byte {
	if m == nil {
		return nil
	}
	b := pbUint(nil, 1, uint64(m.InspectedTraces))
	b = pbUint(b, 2, m.InspectedBytes)
	b = pbUint(b, 3, uint64(m.TotalBlocks))
	b = pbUint(b, 4, uint64(m.CompletedJobs))
	b = pbUint(b, 5, uint64(m.TotalJobs))
	b = pbUint(b, 6, m.TotalBlockBytes)
	b = pbUint(b, 7, m.InspectedSpans)
	return b
}

// marshalSearchProto encodes tempopb.SearchResponse.
func marshalSearchProto(resp *traceql.SearchResponse) []byte {
	var b []byte
	for _, t := range resp.Traces {
		b = pbMessage(b, 1, pbTrace(t))
	}
	return pbMessage(b, 2, pbSearchMetrics(resp.Metrics))
}

func (m metadataMetrics) proto() []byte { return pbUint(nil, 1, m.InspectedBytes) }

func pbStrings(b []byte, f protowire.Number, ss []string) []byte {
	for _, s := range ss {
		b = protowire.AppendTag(b, f, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	return b
}

// tempopb.SearchTagsResponse
func (t tagsV1) marshalProto() []byte {
	return pbMessage(pbStrings(nil, 1, t.TagNames), 2, t.Metrics.proto())
}

// tempopb.SearchTagsV2Response
func (t tagsV2) marshalProto() []byte {
	var b []byte
	for _, s := range t.Scopes {
		b = pbMessage(b, 1, pbStrings(pbString(nil, 1, s.Name), 2, s.Tags))
	}
	return pbMessage(b, 2, t.Metrics.proto())
}

// tempopb.SearchTagValuesResponse
func (t tagValuesV1) marshalProto() []byte {
	return pbMessage(pbStrings(nil, 1, t.TagValues), 2, t.Metrics.proto())
}

// tempopb.SearchTagValuesV2Response
func (t tagValuesV2) marshalProto() []byte {
	var b []byte
	for _, v := range t.TagValues {
		b = pbMessage(b, 1, pbString(pbString(nil, 1, v.Type), 2, v.Value))
	}
	return pbMessage(b, 2, t.Metrics.proto())
}
