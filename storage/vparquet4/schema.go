// Package vparquet4 is Tempo's vParquet4 block format (spec/block-format.md
// §14): 3-level LIST lists, ServiceStats as a MAP, well-known resource and
// span columns, ten optional string dedicated slots per scope.
package vparquet4

// Trace is one vParquet4 row.
type Trace struct {
	TraceID           []byte                  `parquet:",uncompressed"`
	TraceIDText       string                  `parquet:",snappy"`
	StartTimeUnixNano uint64                  `parquet:",delta,uncompressed"`
	EndTimeUnixNano   uint64                  `parquet:",delta,uncompressed"`
	DurationNano      uint64                  `parquet:",delta,uncompressed"`
	RootServiceName   string                  `parquet:",dict,uncompressed"`
	RootSpanName      string                  `parquet:",dict,uncompressed"`
	ServiceStats      map[string]ServiceStats `parquet:""`
	ResourceSpans     []ResourceSpans         `parquet:"rs,list"`
}

// ServiceStats is the MAP value.
type ServiceStats struct {
	SpanCount  uint32 `parquet:",delta,uncompressed"`
	ErrorCount uint32 `parquet:",delta,uncompressed"`
}

type ResourceSpans struct {
	Resource   Resource     `parquet:""`
	ScopeSpans []ScopeSpans `parquet:"ss,list"`
}

type Resource struct {
	Attrs                  []Attribute `parquet:",list"`
	DroppedAttributesCount int32       `parquet:",delta,snappy"`
	ServiceName            string      `parquet:",dict,snappy"`
	Cluster                *string     `parquet:",optional,dict,snappy"`
	Namespace              *string     `parquet:",optional,dict,snappy"`
	Pod                    *string     `parquet:",optional,dict,snappy"`
	Container              *string     `parquet:",optional,dict,snappy"`
	K8sClusterName         *string     `parquet:",optional,dict,snappy"`
	K8sNamespaceName       *string     `parquet:",optional,dict,snappy"`
	K8sPodName             *string     `parquet:",optional,dict,snappy"`
	K8sContainerName       *string     `parquet:",optional,dict,snappy"`
	DedicatedAttributes    Dedicated   `parquet:""`
}

type ScopeSpans struct {
	Scope Scope  `parquet:""`
	Spans []Span `parquet:",list"`
}

type Scope struct {
	Name                   string      `parquet:",dict,snappy"`
	Version                string      `parquet:",dict,snappy"`
	Attrs                  []Attribute `parquet:",list"`
	DroppedAttributesCount int32       `parquet:",delta,snappy"`
}

type Span struct {
	SpanID                 []byte      `parquet:",uncompressed"`
	ParentSpanID           []byte      `parquet:",uncompressed"`
	ParentID               int32       `parquet:",delta,uncompressed"`
	NestedSetLeft          int32       `parquet:",delta,uncompressed"`
	NestedSetRight         int32       `parquet:",delta,uncompressed"`
	Name                   string      `parquet:",dict,snappy"`
	Kind                   int64       `parquet:",delta,uncompressed"`
	TraceState             string      `parquet:",snappy"`
	StartTimeUnixNano      uint64      `parquet:",delta,uncompressed"`
	DurationNano           uint64      `parquet:",delta,uncompressed"`
	StatusCode             int64       `parquet:",delta,uncompressed"`
	StatusMessage          string      `parquet:",snappy"`
	Attrs                  []Attribute `parquet:",list"`
	DroppedAttributesCount int32       `parquet:",delta,snappy"`
	Events                 []Event     `parquet:",list"`
	DroppedEventsCount     int32       `parquet:",snappy"`
	Links                  []Link      `parquet:",list"`
	DroppedLinksCount      int32       `parquet:",snappy"`
	HttpMethod             *string     `parquet:",optional,dict,snappy"`
	HttpUrl                *string     `parquet:",optional,dict,snappy"`
	HttpStatusCode         *int64      `parquet:",optional,snappy"`
	DedicatedAttributes    Dedicated   `parquet:""`
}

type Event struct {
	TimeSinceStartNano     uint64      `parquet:",delta,uncompressed"`
	Name                   string      `parquet:",dict,snappy"`
	Attrs                  []Attribute `parquet:",list"`
	DroppedAttributesCount int32       `parquet:",delta,snappy"`
}

type Link struct {
	TraceID                []byte      `parquet:",uncompressed"`
	SpanID                 []byte      `parquet:",uncompressed"`
	TraceState             string      `parquet:",snappy"`
	Attrs                  []Attribute `parquet:",list"`
	DroppedAttributesCount int32       `parquet:",delta,snappy"`
}

type Attribute struct {
	Key              string    `parquet:",dict,snappy"`
	IsArray          bool      `parquet:",snappy"`
	Value            []string  `parquet:",dict,snappy,list"`
	ValueInt         []int64   `parquet:",snappy,list"`
	ValueDouble      []float64 `parquet:",snappy,list"`
	ValueBool        []bool    `parquet:",snappy,list"`
	ValueUnsupported *string   `parquet:",snappy,optional"`
}

// Dedicated are the ten optional string slots of a scope.
type Dedicated struct {
	String01 *string `parquet:",optional,dict,snappy"`
	String02 *string `parquet:",optional,dict,snappy"`
	String03 *string `parquet:",optional,dict,snappy"`
	String04 *string `parquet:",optional,dict,snappy"`
	String05 *string `parquet:",optional,dict,snappy"`
	String06 *string `parquet:",optional,dict,snappy"`
	String07 *string `parquet:",optional,dict,snappy"`
	String08 *string `parquet:",optional,dict,snappy"`
	String09 *string `parquet:",optional,dict,snappy"`
	String10 *string `parquet:",optional,dict,snappy"`
}

func (d *Dedicated) slot(i int) **string {
	return [...]**string{&d.String01, &d.String02, &d.String03, &d.String04, &d.String05,
		&d.String06, &d.String07, &d.String08, &d.String09, &d.String10}[i]
}
