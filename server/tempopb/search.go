package tempopb

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tempoctl/tempoctl/traceql"
)

// SearchRequest is tempopb.SearchRequest. Its fields mean what the HTTP
// parameters of /api/search mean: Start/End in Unix seconds (0/0 = the
// recent window), Limit 0 = default, SpansPerSpanSet 0 = unlimited.
type SearchRequest struct {
	Tags                   map[string]string // 1
	MinDurationMs          uint32            // 2
	MaxDurationMs          uint32            // 3
	Limit                  uint32            // 4
	Start                  uint32            // 5
	End                    uint32            // 6
	Query                  string            // 8
	SpansPerSpanSet        uint32            // 9
	RF1After               *Timestamp        // 10, deprecated
	SkipASTTransformations []string          // 11
}

// Marshal encodes the request.
func (m *SearchRequest) Marshal() ([]byte, error) {
	var b []byte
	for _, k := range sortedKeys(m.Tags) {
		v := protowire.AppendTag(mapKey(k), 2, protowire.BytesType)
		b = appendMessage(b, 1, protowire.AppendString(v, m.Tags[k]))
	}
	b = appendUint(b, 2, uint64(m.MinDurationMs))
	b = appendUint(b, 3, uint64(m.MaxDurationMs))
	b = appendUint(b, 4, uint64(m.Limit))
	b = appendUint(b, 5, uint64(m.Start))
	b = appendUint(b, 6, uint64(m.End))
	b = appendString(b, 8, m.Query)
	b = appendUint(b, 9, uint64(m.SpansPerSpanSet))
	if m.RF1After != nil {
		b = appendMessage(b, 10, m.RF1After.marshal())
	}
	return appendStrings(b, 11, m.SkipASTTransformations), nil
}

// Unmarshal decodes b into m (fields present in b replace or append).
func (m *SearchRequest) Unmarshal(b []byte) error {
	return eachField(b, func(f field) error {
		switch f.num {
		case 1:
			if !f.isBytes() {
				return nil
			}
			var v string
			k, err := mapEntry(f.b, func(f field) error { f.setString(&v); return nil })
			if err != nil {
				return err
			}
			if m.Tags == nil {
				m.Tags = map[string]string{}
			}
			m.Tags[k] = v
		case 2:
			f.setUint32(&m.MinDurationMs)
		case 3:
			f.setUint32(&m.MaxDurationMs)
		case 4:
			f.setUint32(&m.Limit)
		case 5:
			f.setUint32(&m.Start)
		case 6:
			f.setUint32(&m.End)
		case 8:
			f.setString(&m.Query)
		case 9:
			f.setUint32(&m.SpansPerSpanSet)
		case 10:
			return decodeTimestamp(&m.RF1After, f)
		case 11:
			f.appendString(&m.SkipASTTransformations)
		}
		return nil
	})
}

// SearchResponse is tempopb.SearchResponse, the same shape as the engine's
// answer: convert with (*tempopb.SearchResponse)(resp). SearchMetrics
// fields 8–10 (backend reads/bytes, additional metrics) are not carried.
type SearchResponse traceql.SearchResponse

// Marshal encodes the response; metrics are always written (an empty
// message when nil), as Tempo does.
func (m *SearchResponse) Marshal() ([]byte, error) {
	var b []byte
	for _, t := range m.Traces {
		b = appendMessage(b, 1, marshalTrace(t))
	}
	return appendMessage(b, 2, marshalSearchMetrics(m.Metrics)), nil
}

// Unmarshal decodes b into m.
func (m *SearchResponse) Unmarshal(b []byte) error {
	return eachField(b, func(f field) error {
		if !f.isBytes() {
			return nil
		}
		switch f.num {
		case 1:
			t := &traceql.TraceSearchMetadata{}
			if err := unmarshalTrace(f.b, t); err != nil {
				return fmt.Errorf("trace: %w", err)
			}
			m.Traces = append(m.Traces, t)
		case 2:
			if m.Metrics == nil {
				m.Metrics = &traceql.SearchMetrics{}
			}
			return unmarshalSearchMetrics(f.b, m.Metrics)
		}
		return nil
	})
}

// marshalKeyValue is opentelemetry common.v1 KeyValue{key=1, value=2
// AnyValue}. Inside AnyValue's oneof a zero value is still written: it says
// which field is set.
func marshalKeyValue(kv traceql.KeyValue) []byte {
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
	return appendMessage(appendString(nil, 1, kv.Key), 2, av)
}

func unmarshalKeyValue(b []byte) (traceql.KeyValue, error) {
	var kv traceql.KeyValue
	err := eachField(b, func(f field) error {
		switch f.num {
		case 1:
			f.setString(&kv.Key)
		case 2:
			if !f.isBytes() {
				return nil
			}
			return eachField(f.b, func(f field) error {
				switch f.num {
				case 1:
					if f.isBytes() {
						s := string(f.b)
						kv.Value = traceql.AnyValue{StringValue: &s}
					}
				case 2:
					if v, ok := f.varint(); ok {
						x := v != 0
						kv.Value = traceql.AnyValue{BoolValue: &x}
					}
				case 3:
					if v, ok := f.varint(); ok {
						x := int64(v)
						kv.Value = traceql.AnyValue{IntValue: &x}
					}
				case 4:
					if f.typ == protowire.Fixed64Type {
						var x float64
						f.setDouble(&x)
						kv.Value = traceql.AnyValue{DoubleValue: &x}
					}
				}
				return nil // arrays, kvlists and bytes have no search-result form
			})
		}
		return nil
	})
	return kv, err
}

func marshalSpan(s *traceql.SpanResult) []byte {
	b := appendString(nil, 1, s.SpanID)
	b = appendString(b, 2, s.Name)
	b = appendUint(b, 3, s.StartTimeUnixNano)
	b = appendUint(b, 4, s.DurationNanos)
	for _, kv := range s.Attributes {
		b = appendMessage(b, 5, marshalKeyValue(kv))
	}
	return b
}

func unmarshalSpan(b []byte) (*traceql.SpanResult, error) {
	s := &traceql.SpanResult{}
	err := eachField(b, func(f field) error {
		switch f.num {
		case 1:
			f.setString(&s.SpanID)
		case 2:
			f.setString(&s.Name)
		case 3:
			f.setUint64(&s.StartTimeUnixNano)
		case 4:
			f.setUint64(&s.DurationNanos)
		case 5:
			if f.isBytes() {
				kv, err := unmarshalKeyValue(f.b)
				if err != nil {
					return err
				}
				s.Attributes = append(s.Attributes, kv)
			}
		}
		return nil
	})
	return s, err
}

func marshalSpanSet(ss *traceql.SpanSet) []byte {
	var b []byte
	for _, s := range ss.Spans {
		b = appendMessage(b, 1, marshalSpan(s))
	}
	b = appendUint(b, 2, uint64(ss.Matched))
	for _, kv := range ss.Attributes {
		b = appendMessage(b, 3, marshalKeyValue(kv))
	}
	return b
}

func unmarshalSpanSet(b []byte, ss *traceql.SpanSet) error {
	return eachField(b, func(f field) error {
		switch f.num {
		case 1:
			if f.isBytes() {
				s, err := unmarshalSpan(f.b)
				if err != nil {
					return err
				}
				ss.Spans = append(ss.Spans, s)
			}
		case 2:
			f.setUint32(&ss.Matched)
		case 3:
			if f.isBytes() {
				kv, err := unmarshalKeyValue(f.b)
				if err != nil {
					return err
				}
				ss.Attributes = append(ss.Attributes, kv)
			}
		}
		return nil
	})
}

func marshalTrace(t *traceql.TraceSearchMetadata) []byte {
	b := appendString(nil, 1, t.TraceID)
	b = appendString(b, 2, t.RootServiceName)
	b = appendString(b, 3, t.RootTraceName)
	b = appendUint(b, 4, t.StartTimeUnixNano)
	b = appendUint(b, 5, uint64(t.DurationMs))
	if t.SpanSet != nil {
		b = appendMessage(b, 6, marshalSpanSet(t.SpanSet))
	}
	for _, ss := range t.SpanSets {
		b = appendMessage(b, 7, marshalSpanSet(ss))
	}
	for _, s := range sortedKeys(t.ServiceStats) {
		st := t.ServiceStats[s]
		v := appendUint(appendUint(nil, 1, uint64(st.SpanCount)), 2, uint64(st.ErrorCount))
		b = appendMessage(b, 8, appendMessage(mapKey(s), 2, v))
	}
	return b
}

func unmarshalTrace(b []byte, t *traceql.TraceSearchMetadata) error {
	return eachField(b, func(f field) error {
		switch f.num {
		case 1:
			f.setString(&t.TraceID)
		case 2:
			f.setString(&t.RootServiceName)
		case 3:
			f.setString(&t.RootTraceName)
		case 4:
			f.setUint64(&t.StartTimeUnixNano)
		case 5:
			f.setUint32(&t.DurationMs)
		case 6:
			if f.isBytes() {
				if t.SpanSet == nil {
					t.SpanSet = &traceql.SpanSet{}
				}
				return unmarshalSpanSet(f.b, t.SpanSet)
			}
		case 7:
			if f.isBytes() {
				ss := &traceql.SpanSet{}
				if err := unmarshalSpanSet(f.b, ss); err != nil {
					return err
				}
				t.SpanSets = append(t.SpanSets, ss)
			}
		case 8:
			if !f.isBytes() {
				return nil
			}
			var st traceql.ServiceStats
			k, err := mapEntry(f.b, func(f field) error {
				if !f.isBytes() {
					return nil
				}
				return eachField(f.b, func(f field) error {
					switch f.num {
					case 1:
						f.setUint32(&st.SpanCount)
					case 2:
						f.setUint32(&st.ErrorCount)
					}
					return nil
				})
			})
			if err != nil {
				return err
			}
			if t.ServiceStats == nil {
				t.ServiceStats = map[string]traceql.ServiceStats{}
			}
			t.ServiceStats[k] = st
		}
		return nil
	})
}

func marshalSearchMetrics(m *traceql.SearchMetrics) []byte {
	if m == nil {
		return nil
	}
	b := appendUint(nil, 1, uint64(m.InspectedTraces))
	b = appendUint(b, 2, m.InspectedBytes)
	b = appendUint(b, 3, uint64(m.TotalBlocks))
	b = appendUint(b, 4, uint64(m.CompletedJobs))
	b = appendUint(b, 5, uint64(m.TotalJobs))
	b = appendUint(b, 6, m.TotalBlockBytes)
	return appendUint(b, 7, m.InspectedSpans)
}

func unmarshalSearchMetrics(b []byte, m *traceql.SearchMetrics) error {
	return eachField(b, func(f field) error {
		switch f.num {
		case 1:
			f.setUint32(&m.InspectedTraces)
		case 2:
			f.setUint64(&m.InspectedBytes)
		case 3:
			f.setUint32(&m.TotalBlocks)
		case 4:
			f.setUint32(&m.CompletedJobs)
		case 5:
			f.setUint32(&m.TotalJobs)
		case 6:
			f.setUint64(&m.TotalBlockBytes)
		case 7:
			f.setUint64(&m.InspectedSpans)
		}
		return nil
	})
}
