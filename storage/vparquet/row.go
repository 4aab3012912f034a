// Package vparquet holds what vParquet5 and vParquet4 share: the row model
// (one row per trace, spec §7.4), the OTLP ↔ row conversion, nested-set
// numbering, dedicated-column assignment, and the block writer and reader
// machinery (bloom, row-group index, meta, lookup by trace ID).
//
// The row structs carry vParquet5's parquet tags: vParquet5 is the row model
// as stored; vparquet4 maps these rows to its own layout.
package vparquet

import "unsafe"

// Trace is one row.
type Trace struct {
	TraceID           []byte          `parquet:",uncompressed"`
	TraceIDText       string          `parquet:",snappy"`
	StartTimeUnixNano uint64          `parquet:",delta,uncompressed"`
	EndTimeUnixNano   uint64          `parquet:",delta,uncompressed"`
	DurationNano      uint64          `parquet:",delta,uncompressed"`
	RootServiceName   string          `parquet:",dict,uncompressed"`
	RootSpanName      string          `parquet:",dict,uncompressed"`
	ServiceStats      []ServiceStats  `parquet:""`
	ResourceSpans     []ResourceSpans `parquet:"rs"`
}

// ServiceStats counts spans and errors per service name.
type ServiceStats struct {
	ServiceName string `parquet:",dict,snappy"`
	SpanCount   uint32 `parquet:",delta,uncompressed"`
	ErrorCount  uint32 `parquet:",delta,uncompressed"`
}

// ResourceSpans is one rs entry.
type ResourceSpans struct {
	Resource   Resource     `parquet:""`
	ScopeSpans []ScopeSpans `parquet:"ss"`
}

// Resource holds service.name, generic attributes and dedicated columns.
type Resource struct {
	ServiceName            string              `parquet:",dict,snappy"`
	Attrs                  []Attribute         `parquet:""`
	DroppedAttributesCount int32               `parquet:",delta,snappy"`
	DedicatedAttributes    DedicatedAttributes `parquet:""`

	// WellKnown are attributes a version keeps in named columns
	// (vParquet4); they come back after everything else.
	WellKnown []Attribute `parquet:"-"`
}

// ScopeSpans is one ss entry.
type ScopeSpans struct {
	Scope     Scope  `parquet:""`
	Spans     []Span `parquet:""`
	SpanCount int32  `parquet:",delta,uncompressed"`
}

// Scope is the instrumentation scope.
type Scope struct {
	Name                   string      `parquet:",dict,snappy"`
	Version                string      `parquet:",dict,snappy"`
	Attrs                  []Attribute `parquet:""`
	DroppedAttributesCount int32       `parquet:",delta,snappy"`
}

// Span is one span.
type Span struct {
	SpanID                 []byte              `parquet:",uncompressed"`
	ParentSpanID           []byte              `parquet:",uncompressed"`
	ParentID               int32               `parquet:",delta,uncompressed"`
	NestedSetLeft          int32               `parquet:",delta,uncompressed"`
	NestedSetRight         int32               `parquet:",delta,uncompressed"`
	ChildCount             int32               `parquet:",delta,uncompressed"`
	Name                   string              `parquet:",dict,snappy"`
	Kind                   int64               `parquet:",delta,uncompressed"`
	TraceState             string              `parquet:",snappy"`
	StartTimeUnixNano      uint64              `parquet:",delta,uncompressed"`
	DurationNano           uint64              `parquet:",delta,uncompressed"`
	StatusCode             int64               `parquet:",delta,uncompressed"`
	StatusMessage          string              `parquet:",snappy"`
	Attrs                  []Attribute         `parquet:""`
	DroppedAttributesCount int32               `parquet:",delta,snappy"`
	Events                 []Event             `parquet:""`
	DroppedEventsCount     int32               `parquet:",snappy"`
	Links                  []Link              `parquet:""`
	DroppedLinksCount      int32               `parquet:",snappy"`
	DedicatedAttributes    DedicatedAttributes `parquet:""`
	StartTimeRounded15     uint32              `parquet:",delta,uncompressed"`
	StartTimeRounded60     uint32              `parquet:",delta,uncompressed"`
	StartTimeRounded300    uint32              `parquet:",delta,uncompressed"`
	StartTimeRounded3600   uint32              `parquet:",delta,uncompressed"`

	WellKnown []Attribute `parquet:"-"` // see Resource.WellKnown
}

// Event is a span event; its time is relative to the span start.
type Event struct {
	TimeSinceStartNano     uint64              `parquet:",delta,uncompressed"`
	Name                   string              `parquet:",dict,snappy"`
	Attrs                  []Attribute         `parquet:""`
	DroppedAttributesCount int32               `parquet:",delta,snappy"`
	DedicatedAttributes    DedicatedAttributes `parquet:""`
}

// Link is a span link.
type Link struct {
	TraceID                []byte      `parquet:",uncompressed"`
	SpanID                 []byte      `parquet:",uncompressed"`
	TraceState             string      `parquet:",snappy"`
	Attrs                  []Attribute `parquet:""`
	DroppedAttributesCount int32       `parquet:",delta,snappy"`
}

// Attribute is one generic attribute (spec §7.5).
type Attribute struct {
	Key              string    `parquet:",dict,snappy"`
	IsArray          bool      `parquet:",snappy"`
	Value            []string  `parquet:",dict,snappy"`
	ValueInt         []int64   `parquet:",snappy"`
	ValueDouble      []float64 `parquet:",snappy"`
	ValueBool        []bool    `parquet:",snappy"`
	ValueUnsupported *string   `parquet:",snappy,optional"`
}

// Slot counts per scope (spec §8).
const (
	StringSlots = 20
	IntSlots    = 5
)

// DedicatedAttributes are the 20 string and 5 int dedicated slots of a scope.
// Unused slots are pruned from the file schema (§8.4).
type DedicatedAttributes struct {
	String01 []string `parquet:",dict,snappy"`
	String02 []string `parquet:",dict,snappy"`
	String03 []string `parquet:",dict,snappy"`
	String04 []string `parquet:",dict,snappy"`
	String05 []string `parquet:",dict,snappy"`
	String06 []string `parquet:",dict,snappy"`
	String07 []string `parquet:",dict,snappy"`
	String08 []string `parquet:",dict,snappy"`
	String09 []string `parquet:",dict,snappy"`
	String10 []string `parquet:",dict,snappy"`
	String11 []string `parquet:",dict,snappy"`
	String12 []string `parquet:",dict,snappy"`
	String13 []string `parquet:",dict,snappy"`
	String14 []string `parquet:",dict,snappy"`
	String15 []string `parquet:",dict,snappy"`
	String16 []string `parquet:",dict,snappy"`
	String17 []string `parquet:",dict,snappy"`
	String18 []string `parquet:",dict,snappy"`
	String19 []string `parquet:",dict,snappy"`
	String20 []string `parquet:",dict,snappy"`
	Int01    []int64  `parquet:",snappy"`
	Int02    []int64  `parquet:",snappy"`
	Int03    []int64  `parquet:",snappy"`
	Int04    []int64  `parquet:",snappy"`
	Int05    []int64  `parquet:",snappy"`
}

// Str returns string slot i (0-based).
func (d *DedicatedAttributes) Str(i int) *[]string {
	// The slots are consecutive fields of one type, so they are laid out as
	// an array (TestDedicatedSlotsAreArrays checks it): indexing that array
	// costs nothing, where an array of the 20 field addresses was built
	// afresh on every call (a few percent of block building).
	return &(*[StringSlots][]string)(unsafe.Pointer(&d.String01))[i]
}

// Int returns int slot i (0-based).
func (d *DedicatedAttributes) Int(i int) *[]int64 {
	return &(*[IntSlots][]int64)(unsafe.Pointer(&d.Int01))[i]
}
