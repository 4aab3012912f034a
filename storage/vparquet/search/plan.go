package search

import (
	"encoding/hex"
	"slices"
	"strings"
	"unsafe"

	"github.com/parquet-go/parquet-go"

	"github.com/tempoctl/tempoctl/storage/vparquet"
	"github.com/tempoctl/tempoctl/traceql"
)

// conv turns a column value into the engine's value; ok=false means the
// value stands for "absent".
type conv func(v parquet.Value) (traceql.Static, bool)

// convString views the bytes as a string without copying: the value is
// only valid while the page is; retain() copies what outlives a scan.
func convString(v parquet.Value) (traceql.Static, bool) {
	b := v.ByteArray()
	return traceql.NewString(unsafe.String(unsafe.SliceData(b), len(b))), true
}

// retain copies a converted value's string so it outlives its page.
func retain(x traceql.Static) traceql.Static {
	if x.Type == traceql.TypeString {
		x.S = strings.Clone(x.S)
	}
	return x
}
func convNonEmptyString(v parquet.Value) (traceql.Static, bool) {
	if len(v.ByteArray()) == 0 {
		return traceql.Nil, false
	}
	return convString(v)
}
func convInt(v parquet.Value) (traceql.Static, bool) {
	if v.Kind() == parquet.Int32 {
		return traceql.NewInt(int64(v.Int32())), true
	}
	return traceql.NewInt(v.Int64()), true
}
func convFloat(v parquet.Value) (traceql.Static, bool) { return traceql.NewFloat(v.Double()), true }
func convBool(v parquet.Value) (traceql.Static, bool)  { return traceql.NewBool(v.Boolean()), true }
func convDuration(v parquet.Value) (traceql.Static, bool) {
	return traceql.Static{Type: traceql.TypeDuration, N: v.Int64()}, true
}
func convStatus(v parquet.Value) (traceql.Static, bool) { return traceql.NewStatus(v.Int64()), true }
func convKind(v parquet.Value) (traceql.Static, bool)   { return traceql.NewKind(v.Int64()), true }
func convHex(v parquet.Value) (traceql.Static, bool) {
	b := v.ByteArray()
	if len(b) == 0 || allZero(b) {
		return traceql.Nil, false
	}
	return traceql.NewString(hex.EncodeToString(b)), true
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// valueSource is a column holding the condition's value directly (an
// intrinsic, a dedicated slot, a vParquet4 well-known column).
type valueSource struct {
	col   *column
	owner int // level at which a match is marked
	// group is the level of one value instance whose several values form an
	// array (vParquet5 dedicated slots), or -1 when each value stands alone
	// (event/link values: any of them may match).
	group int
	conv  conv
	// intType is set when the column is an integer read as this type
	// (int, duration, status, kind): then fast tests the raw integer.
	intType traceql.StaticType
	fast    func(int64) bool
}

// intTypeOf tells which engine type an integer conv produces (0: none).
func intTypeOf(cv conv) traceql.StaticType {
	x, _ := cv(parquet.Int64Value(0))
	switch x.Type {
	case traceql.TypeInt, traceql.TypeDuration, traceql.TypeStatus, traceql.TypeKind:
		return x.Type
	}
	return 0
}

// newValueSource builds a value source, with an integer fast path when the
// condition allows one.
func newValueSource(p *pred, c *column, owner, group int, cv conv) *valueSource {
	s := &valueSource{col: c, owner: owner, group: group, conv: cv}
	if c.kind == parquet.Int64 || c.kind == parquet.Int32 {
		if t := intTypeOf(cv); t != 0 {
			s.intType = t
			s.fast = intTest(p.cond, t)
		}
	}
	return s
}

// attrSource is a generic attribute list (Key plus typed value columns).
type attrSource struct {
	name        string
	key         *column
	isArray     *column // only for != and !~ (arrays invert them)
	unsupported *column // mixed arrays etc.: may match, can't tell cheaply
	values      []*column
	convs       []conv
	owner       int
	attrLevel   int
}

// pred is one pushed-down condition compiled against one block's schema.
type pred struct {
	cond     *traceql.Condition
	positive *traceql.Condition // = for !=, =~ for !~
	negated  bool
	values   []*valueSource
	attrs    []*attrSource
	// unknown: no column can answer it here (always "maybe").
	unknown bool

	// per row group
	bits [levelSpan + 1]bitset
	rows bitset
}

func (p *pred) levels() (mask uint8, deepest int) {
	for _, s := range p.values {
		mask |= 1 << s.owner
		deepest = max(deepest, s.owner)
	}
	for _, s := range p.attrs {
		mask |= 1 << s.owner
		deepest = max(deepest, s.owner)
	}
	return mask, deepest
}

func (p *pred) mark(level int, ord, row int32) {
	if ord < 0 {
		return
	}
	p.bits[level].set(ord)
	p.rows.set(row)
}

func (p *pred) resetBits() {
	for i := range p.bits {
		p.bits[i].reset()
	}
	p.rows.reset()
}

// schemaInfo is what planning needs to know about one block.
type schemaInfo struct {
	schema *parquet.Schema
	a      *vparquet.Assignment
	v4     bool
}

func (si *schemaInfo) col(path ...string) *column {
	c, ok := resolve(si.schema, path...)
	if !ok {
		return nil
	}
	c.entityDepth = entityDepth(path)
	return c
}

// entityDepth is how many of rs, ss, Spans lead the path: the entity levels
// whose ordinals the column's cursor reports.
func entityDepth(path []string) int {
	want := []string{"rs", "ss", "Spans"}
	d := 0
	for d < len(path) && d < len(want) && path[d] == want[d] {
		d++
	}
	return d
}

var (
	spanPath  = []string{"rs", "ss", "Spans"}
	eventPath = []string{"rs", "ss", "Spans", "Events"}
	linkPath  = []string{"rs", "ss", "Spans", "Links"}
	resPath   = []string{"rs", "Resource"}
	scopePath = []string{"rs", "ss", "Scope"}
)

func join(base []string, more ...string) []string {
	return append(slices.Clone(base), more...)
}

// vParquet4 keeps these resource and span attributes in their own columns.
var v4ResourceColumns = map[string]string{
	"cluster": "Cluster", "namespace": "Namespace", "pod": "Pod", "container": "Container",
	"k8s.cluster.name": "K8sClusterName", "k8s.namespace.name": "K8sNamespaceName",
	"k8s.pod.name": "K8sPodName", "k8s.container.name": "K8sContainerName",
}
var v4SpanColumns = map[string]string{"http.method": "HttpMethod", "http.url": "HttpUrl", "http.status_code": "HttpStatusCode"}

// compile builds the pred for one condition.
func (si *schemaInfo) compile(c traceql.Condition) *pred {
	cond := c
	p := &pred{cond: &cond}
	switch cond.Op {
	case traceql.OpNotEqual, traceql.OpNotRegex:
		p.negated = true
		pos := cond
		pos.Op = traceql.OpEqual
		if cond.Op == traceql.OpNotRegex {
			pos.Op = traceql.OpRegex
		}
		p.positive = &pos
	}
	// Compile regexps now: MatchValue caches them, and row groups may be
	// evaluated concurrently later.
	p.cond.MatchValue(traceql.NewString(""))
	if p.positive != nil {
		p.positive.MatchValue(traceql.NewString(""))
	}
	a := cond.Attribute
	if a.Intrinsic != traceql.IntrinsicNone {
		si.intrinsic(p, a.Intrinsic)
		return p
	}
	switch a.Scope {
	case traceql.ScopeSpan:
		si.spanAttr(p, a.Name)
	case traceql.ScopeResource:
		si.resourceAttr(p, a.Name)
	case traceql.ScopeNone:
		si.spanAttr(p, a.Name)
		si.resourceAttr(p, a.Name)
	case traceql.ScopeEvent:
		si.attrList(p, a.Name, eventPath, levelSpan)
		if s, ok := si.a.Event.Find(a.Name); ok {
			si.dedicated(p, join(eventPath, "DedicatedAttributes", s.Column()), s, levelSpan, levelItem)
		}
	case traceql.ScopeLink:
		si.attrList(p, a.Name, linkPath, levelSpan)
	case traceql.ScopeInstrumentation:
		si.attrList(p, a.Name, join(scopePath), levelSS)
	default:
		p.unknown = true
	}
	// With no source at all, nothing in this block can hold the attribute:
	// the condition is false everywhere.
	return p
}

func (si *schemaInfo) intrinsic(p *pred, in traceql.Intrinsic) {
	span := func(leaf string, cv conv) {
		if c := si.col(join(spanPath, leaf)...); c != nil {
			p.values = append(p.values, newValueSource(p, c, levelSpan, -1, cv))
			return
		}
		p.unknown = true
	}
	row := func(leaf string, cv conv) {
		if c := si.col(leaf); c != nil {
			p.values = append(p.values, newValueSource(p, c, levelRow, -1, cv))
			return
		}
		p.unknown = true
	}
	under := func(base []string, leaf string, owner int, cv conv) {
		if c := si.col(join(base, leaf)...); c != nil {
			p.values = append(p.values, newValueSource(p, c, owner, -1, cv))
			return
		}
		p.unknown = true
	}
	switch in {
	case traceql.IntrinsicName:
		span("Name", convString)
	case traceql.IntrinsicStatus:
		span("StatusCode", convStatus)
	case traceql.IntrinsicStatusMessage:
		span("StatusMessage", convString)
	case traceql.IntrinsicKind:
		span("Kind", convKind)
	case traceql.IntrinsicDuration:
		span("DurationNano", convDuration)
	case traceql.IntrinsicSpanID:
		span("SpanID", convHex)
	case traceql.IntrinsicParentID:
		span("ParentSpanID", convHex)
	case traceql.IntrinsicChildCount:
		span("ChildCount", convInt) // vParquet5 only: unknown on vParquet4
	case traceql.IntrinsicNestedSetLeft:
		span("NestedSetLeft", convInt)
	case traceql.IntrinsicNestedSetRight:
		span("NestedSetRight", convInt)
	case traceql.IntrinsicNestedSetParent:
		span("ParentID", convInt)
	case traceql.IntrinsicTraceDuration:
		row("DurationNano", convDuration)
	case traceql.IntrinsicTraceRootSpan:
		row("RootSpanName", convString)
	case traceql.IntrinsicTraceRootService:
		row("RootServiceName", convString)
	case traceql.IntrinsicTraceID:
		row("TraceID", convHex)
	case traceql.IntrinsicEventName:
		under(eventPath, "Name", levelSpan, convString)
	case traceql.IntrinsicEventTimeSinceStart:
		under(eventPath, "TimeSinceStartNano", levelSpan, convDuration)
	case traceql.IntrinsicLinkTraceID:
		under(linkPath, "TraceID", levelSpan, convHex)
	case traceql.IntrinsicLinkSpanID:
		under(linkPath, "SpanID", levelSpan, convHex)
	case traceql.IntrinsicInstrumentationName:
		under(scopePath, "Name", levelSS, convString)
	case traceql.IntrinsicInstrumentationVersion:
		under(scopePath, "Version", levelSS, convString)
	default:
		p.unknown = true
	}
}

func (si *schemaInfo) spanAttr(p *pred, name string) {
	si.attrList(p, name, spanPath, levelSpan)
	if s, ok := si.a.Span.Find(name); ok {
		si.dedicated(p, join(spanPath, "DedicatedAttributes", s.Column()), s, levelSpan, levelSpan)
	}
	if si.v4 {
		if leaf, ok := v4SpanColumns[name]; ok {
			cv := convString
			if name == "http.status_code" {
				cv = convInt
			}
			if c := si.col(join(spanPath, leaf)...); c != nil {
				p.values = append(p.values, newValueSource(p, c, levelSpan, -1, cv))
			}
		}
	}
}

func (si *schemaInfo) resourceAttr(p *pred, name string) {
	si.attrList(p, name, resPath, levelRS)
	if s, ok := si.a.Resource.Find(name); ok {
		si.dedicated(p, join(resPath, "DedicatedAttributes", s.Column()), s, levelRS, levelRS)
	}
	if name == "service.name" {
		// An empty ServiceName column means "absent" (block-format §7.4).
		if c := si.col(join(resPath, "ServiceName")...); c != nil {
			p.values = append(p.values, newValueSource(p, c, levelRS, -1, convNonEmptyString))
		}
	}
	if si.v4 {
		if leaf, ok := v4ResourceColumns[name]; ok {
			if c := si.col(join(resPath, leaf)...); c != nil {
				p.values = append(p.values, newValueSource(p, c, levelRS, -1, convString))
			}
		}
	}
}

// dedicated adds a dedicated slot; group is the level of one attribute
// instance (the span, resource or event that owns the slot).
func (si *schemaInfo) dedicated(p *pred, path []string, s vparquet.Slot, owner, group int) {
	c := si.col(path...)
	if c == nil {
		return
	}
	cv := convString
	if s.Int {
		cv = convInt
	}
	g := -1
	if c.maxRep > group {
		g = group // a repeated slot: several values are one array
	}
	p.values = append(p.values, newValueSource(p, c, owner, g, cv))
}

// attrList adds the generic attribute list under base (…Attrs).
func (si *schemaInfo) attrList(p *pred, name string, base []string, owner int) {
	attrs := join(base, "Attrs")
	key := si.col(join(attrs, "Key")...)
	if key == nil {
		return
	}
	src := &attrSource{name: name, key: key, owner: owner, attrLevel: key.maxRep}
	src.unsupported = si.col(join(attrs, "ValueUnsupported")...)
	if p.negated {
		src.isArray = si.col(join(attrs, "IsArray")...)
	}
	add := func(leaf string, cv conv) {
		if c := si.col(join(attrs, leaf)...); c != nil {
			src.values = append(src.values, c)
			src.convs = append(src.convs, cv)
		}
	}
	if len(p.cond.Operands) > 0 {
		switch p.cond.Operands[0].Type {
		case traceql.TypeString:
			add("Value", convString)
		case traceql.TypeInt, traceql.TypeFloat, traceql.TypeDuration:
			add("ValueInt", convInt)
			add("ValueDouble", convFloat)
		case traceql.TypeBoolean:
			add("ValueBool", convBool)
		}
	}
	p.attrs = append(p.attrs, src)
}
