package traceql

import (
	"context"
	"regexp"
)

// Condition is one attribute/intrinsic test the engine pushes to storage.
// Op is OpNone when the column is only needed for later evaluation (it never
// filters). Operands are literals from the query.
type Condition struct {
	Attribute Attribute
	Op        Operator
	Operands  []Static
	re        *regexp.Regexp // anchored, for =~ / !~
}

// MatchValue reports whether a span's value for the condition's attribute
// passes the condition, with the engine's semantics (missing → false, arrays
// and event/link values as in docs/traceql.md). OpNone always passes. Storage
// can use it on dictionary entries and on decoded values.
func (c *Condition) MatchValue(v Static) bool {
	if c.Op == OpNone || len(c.Operands) == 0 {
		return true
	}
	var re regexpMatcher
	if c.Op == OpRegex || c.Op == OpNotRegex {
		if c.re == nil {
			r, err := regexp.Compile("^(?:" + c.Operands[0].S + ")$")
			if err != nil {
				return false
			}
			c.re = r
		}
		re = c.re
	}
	return compare(c.Op, v, c.Operands[0], re, false)
}

// FetchRequest asks a Fetcher for candidate spans.
//
// Contract (what a Fetcher may drop): with AllConditions a span may be left out
// when it fails any condition with Op != OpNone; otherwise a span may be left
// out only when it fails every condition and no condition has Op == OpNone;
// an empty Conditions list means every span. A trace with no candidate span
// may be left out entirely. Returning more spans than required is always
// correct: the engine re-evaluates the whole query.
type FetchRequest struct {
	Conditions    []Condition
	AllConditions bool
	// StartTimeUnixNanos/EndTimeUnixNanos bound the trace time range (0 = open).
	// A trace is a candidate if [traceStart, traceEnd] overlaps the range.
	StartTimeUnixNanos uint64
	EndTimeUnixNanos   uint64
	// Structural is set when the query uses structural operators: spans must
	// carry their nested-set numbers.
	Structural bool
	// SecondPassSelectAll asks for every attribute of returned spans.
	SecondPassSelectAll bool
}

// Span is one candidate span. Implementations must be cheap to query repeatedly.
type Span interface {
	// AttributeFor returns the value of an attribute or intrinsic, Nil when
	// absent. For the event and link scopes (and event:/link: intrinsics) a
	// span with several events/links returns a Static with Multi semantics
	// (see NewMulti): a comparison holds if it holds for any of them.
	AttributeFor(Attribute) Static
	ID() []byte
	StartTimeUnixNanos() uint64
	DurationNanos() uint64
	// NestedSet returns the stored nested-set numbers (block format §9);
	// left == 0 means the position is unknown.
	NestedSet() (left, right, parent int32)
}

// ServiceStats counts a trace's spans per service.
type ServiceStats struct {
	SpanCount  uint32 `json:"spanCount,omitempty"`
	ErrorCount uint32 `json:"errorCount,omitempty"`
}

// Spanset is the candidate spans of one trace plus trace-level data, and
// after evaluation one result group.
type Spanset struct {
	TraceID            []byte
	RootSpanName       string
	RootServiceName    string
	HasRoot            bool
	StartTimeUnixNanos uint64
	DurationNanos      uint64
	ServiceStats       map[string]ServiceStats
	Spans              []Span
	// Attributes are pipeline results (by(), count(), …), set by the engine.
	Attributes []SpansetAttribute
}

// SpansetAttribute is a named pipeline result on a spanset.
type SpansetAttribute struct {
	Name  string
	Value Static
}

// SpansetIterator yields one Spanset per trace; Next returns nil at the end.
type SpansetIterator interface {
	Next(ctx context.Context) (*Spanset, error)
	Close()
}

// Fetcher is a source of candidate spans (memory, WAL, Parquet blocks).
type Fetcher interface {
	Fetch(ctx context.Context, req FetchRequest) (SpansetIterator, error)
}
