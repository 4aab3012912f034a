package traceql

import (
	"encoding/hex"
	"strconv"
	"time"
)

// SearchResponse is the body of /api/search (tempopb.SearchResponse in JSON).
type SearchResponse struct {
	Traces  []*TraceSearchMetadata `json:"traces"`
	Metrics *SearchMetrics         `json:"metrics,omitempty"`
}

// TraceSearchMetadata is one trace in a search result.
type TraceSearchMetadata struct {
	TraceID           string                  `json:"traceID"`
	RootServiceName   string                  `json:"rootServiceName,omitempty"`
	RootTraceName     string                  `json:"rootTraceName,omitempty"`
	StartTimeUnixNano uint64                  `json:"startTimeUnixNano,string,omitempty"`
	DurationMs        uint32                  `json:"durationMs,omitempty"`
	SpanSet           *SpanSet                `json:"spanSet,omitempty"`
	SpanSets          []*SpanSet              `json:"spanSets,omitempty"`
	ServiceStats      map[string]ServiceStats `json:"serviceStats,omitempty"`
}

// SpanSet is one result spanset.
type SpanSet struct {
	Spans      []*SpanResult `json:"spans"`
	Matched    uint32        `json:"matched"`
	Attributes []KeyValue    `json:"attributes,omitempty"`
}

// SpanResult is one span of a result spanset.
type SpanResult struct {
	SpanID            string     `json:"spanID"`
	Name              string     `json:"name,omitempty"`
	StartTimeUnixNano uint64     `json:"startTimeUnixNano,string"`
	DurationNanos     uint64     `json:"durationNanos,string"`
	Attributes        []KeyValue `json:"attributes,omitempty"`
}

// KeyValue is an OTLP-JSON key/value.
type KeyValue struct {
	Key   string   `json:"key"`
	Value AnyValue `json:"value"`
}

// AnyValue is an OTLP-JSON value; exactly one field is set.
type AnyValue struct {
	StringValue *string  `json:"stringValue,omitempty"`
	IntValue    *int64   `json:"intValue,string,omitempty"`
	DoubleValue *float64 `json:"doubleValue,omitempty"`
	BoolValue   *bool    `json:"boolValue,omitempty"`
}

// SearchMetrics describes the work done.
type SearchMetrics struct {
	InspectedTraces uint32 `json:"inspectedTraces,omitempty"`
	InspectedBytes  uint64 `json:"inspectedBytes,string,omitempty"`
	TotalBlocks     uint32 `json:"totalBlocks,omitempty"`
	CompletedJobs   uint32 `json:"completedJobs,omitempty"`
	TotalJobs       uint32 `json:"totalJobs,omitempty"`
	TotalBlockBytes uint64 `json:"totalBlockBytes,string,omitempty"`
	InspectedSpans  uint64 `json:"inspectedSpans,string,omitempty"`
}

// RootSpanNotYetReceived is the rootServiceName of traces without a root span.
const RootSpanNotYetReceived = "<root span not yet received>"

// ToAnyValue renders a value the way search results show it: status/kind as
// names, durations as Go duration strings, nil as "nil", arrays and
// multi-values as their first element.
func ToAnyValue(v Static) AnyValue {
	str := func(s string) AnyValue { return AnyValue{StringValue: &s} }
	switch v.Type {
	case TypeString:
		return str(v.S)
	case TypeInt:
		n := v.N
		return AnyValue{IntValue: &n}
	case TypeFloat:
		f := v.F
		return AnyValue{DoubleValue: &f}
	case TypeBoolean:
		b := v.B
		return AnyValue{BoolValue: &b}
	case TypeDuration:
		return str(time.Duration(v.N).String())
	case TypeStatus, TypeKind:
		return str(v.String())
	case TypeArray, TypeMulti:
		if len(v.Arr) > 0 {
			return ToAnyValue(v.Arr[0])
		}
	}
	return str("nil")
}

// traceIDText is hex without leading zeros.
func traceIDText(id []byte) string {
	s := hex.EncodeToString(id)
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

func durationMs(ns uint64) uint32 { return uint32(ns / uint64(time.Millisecond)) }

var _ = strconv.Itoa
