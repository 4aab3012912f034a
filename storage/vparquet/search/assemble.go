package search

import (
	"bytes"
	"errors"
	"io"
	"slices"

	"github.com/parquet-go/parquet-go"

	"github.com/tempoctl/tempoctl/storage/vparquet"
	"github.com/tempoctl/tempoctl/storage/vparquet/rowread"
	"github.com/tempoctl/tempoctl/traceql"
)

// The second pass. Unless the request asks for every attribute
// (SecondPassSelectAll), candidate rows are assembled from the columns the
// request's attributes live in plus what every result needs (IDs, times,
// nested sets, root names, service stats), not decoded whole: fewer pages
// are read and no reflection runs. Attribute lists keep only the
// attributes asked for.

var errNotFileChunk = errors.New("not a file column chunk")

// asmSetter stores one value of a row into the trace under construction.
// loc holds the value's index at each repetition level within the row, def
// its definition level.
type asmSetter func(a *assembly, loc []int32, def int, v parquet.Value)

type asmColumn struct {
	col *column
	cur *rowread.Cursor
	set asmSetter
}

// assembler reads chosen rows of one row group into partial rows.
type assembler struct {
	cols []*asmColumn
	buf  parquet.Row
}

// assembly is the state of one row being assembled.
type assembly struct {
	t *vparquet.Trace
	// attrs maps an attribute's position (levels 1..its level) to its index
	// in its owner's list, for the attributes whose key was asked for.
	// (Indexes, not pointers: lists and their owners may still grow.)
	attrs map[[6]int32]int
}

// asmPlan is the column list of a block's second pass: built once per
// block, instantiated per row group.
type asmPlan struct {
	cols []asmSpec
	// what the partial rows hold
	intrinsics map[traceql.Intrinsic]bool
	names      map[traceql.Scope]map[string]bool
}

// has reports whether partial rows hold attribute a.
func (p *asmPlan) has(a traceql.Attribute) bool {
	if a.Intrinsic != traceql.IntrinsicNone {
		return p.intrinsics[a.Intrinsic]
	}
	if a.Scope == traceql.ScopeNone {
		return p.names[traceql.ScopeSpan][a.Name] && p.names[traceql.ScopeResource][a.Name]
	}
	return p.names[a.Scope][a.Name]
}

type asmSpec struct {
	col *column
	set asmSetter
}

func (p *asmPlan) add(c *column, set asmSetter) {
	if c != nil {
		p.cols = append(p.cols, asmSpec{col: c, set: set})
	}
}

func exists(c *column, def, level int) bool { return level == 0 || def >= c.repDef[level] }

// newAsmPlan plans the second pass for a request, or returns nil when the
// rows must be decoded whole.
func newAsmPlan(si *schemaInfo, req traceql.FetchRequest) *asmPlan {
	if req.SecondPassSelectAll {
		return nil
	}
	p := &asmPlan{intrinsics: map[traceql.Intrinsic]bool{}}
	for _, in := range []traceql.Intrinsic{traceql.IntrinsicDuration, traceql.IntrinsicSpanID, traceql.IntrinsicParentID,
		traceql.IntrinsicNestedSetLeft, traceql.IntrinsicNestedSetRight, traceql.IntrinsicNestedSetParent,
		traceql.IntrinsicTraceDuration, traceql.IntrinsicTraceRootSpan, traceql.IntrinsicTraceRootService, traceql.IntrinsicTraceID} {
		p.intrinsics[in] = true
	}
	span := func(leaf string, set func(s *vparquet.Span, v parquet.Value)) {
		c := si.col(join(spanPath, leaf)...)
		p.add(c, func(a *assembly, loc []int32, def int, v parquet.Value) {
			if !exists(c, def, levelSpan) {
				return
			}
			s := a.span(loc)
			if def == c.maxDef {
				set(s, v)
			}
		})
	}
	top := func(leaf string, set func(t *vparquet.Trace, v parquet.Value)) {
		c := si.col(leaf)
		p.add(c, func(a *assembly, _ []int32, def int, v parquet.Value) {
			if def == c.maxDef {
				set(a.t, v)
			}
		})
	}
	// What every result needs.
	top("TraceID", func(t *vparquet.Trace, v parquet.Value) { t.TraceID = bytes.Clone(v.ByteArray()) })
	top("StartTimeUnixNano", func(t *vparquet.Trace, v parquet.Value) { t.StartTimeUnixNano = v.Uint64() })
	top("EndTimeUnixNano", func(t *vparquet.Trace, v parquet.Value) { t.EndTimeUnixNano = v.Uint64() })
	top("DurationNano", func(t *vparquet.Trace, v parquet.Value) { t.DurationNano = v.Uint64() })
	top("RootServiceName", func(t *vparquet.Trace, v parquet.Value) { t.RootServiceName = string(v.ByteArray()) })
	top("RootSpanName", func(t *vparquet.Trace, v parquet.Value) { t.RootSpanName = string(v.ByteArray()) })
	stat := func(path []string, set func(s *vparquet.ServiceStats, v parquet.Value)) {
		c := si.col(path...)
		p.add(c, func(a *assembly, loc []int32, def int, v parquet.Value) {
			if !exists(c, def, 1) {
				return
			}
			a.t.ServiceStats = grow(a.t.ServiceStats, int(loc[1]))
			if def == c.maxDef {
				set(&a.t.ServiceStats[loc[1]], v)
			}
		})
	}
	if si.v4 {
		stat([]string{"ServiceStats", "key_value", "key"}, func(s *vparquet.ServiceStats, v parquet.Value) { s.ServiceName = string(v.ByteArray()) })
		stat([]string{"ServiceStats", "key_value", "value", "SpanCount"}, func(s *vparquet.ServiceStats, v parquet.Value) { s.SpanCount = uint32(v.Int32()) })
		stat([]string{"ServiceStats", "key_value", "value", "ErrorCount"}, func(s *vparquet.ServiceStats, v parquet.Value) { s.ErrorCount = uint32(v.Int32()) })
	} else {
		stat([]string{"ServiceStats", "ServiceName"}, func(s *vparquet.ServiceStats, v parquet.Value) { s.ServiceName = string(v.ByteArray()) })
		stat([]string{"ServiceStats", "SpanCount"}, func(s *vparquet.ServiceStats, v parquet.Value) { s.SpanCount = uint32(v.Int32()) })
		stat([]string{"ServiceStats", "ErrorCount"}, func(s *vparquet.ServiceStats, v parquet.Value) { s.ErrorCount = uint32(v.Int32()) })
	}
	span("SpanID", func(s *vparquet.Span, v parquet.Value) { s.SpanID = bytes.Clone(v.ByteArray()) })
	span("ParentSpanID", func(s *vparquet.Span, v parquet.Value) { s.ParentSpanID = bytes.Clone(v.ByteArray()) })
	span("StartTimeUnixNano", func(s *vparquet.Span, v parquet.Value) { s.StartTimeUnixNano = v.Uint64() })
	span("DurationNano", func(s *vparquet.Span, v parquet.Value) { s.DurationNano = v.Uint64() })
	span("NestedSetLeft", func(s *vparquet.Span, v parquet.Value) { s.NestedSetLeft = v.Int32() })
	span("NestedSetRight", func(s *vparquet.Span, v parquet.Value) { s.NestedSetRight = v.Int32() })
	span("ParentID", func(s *vparquet.Span, v parquet.Value) { s.ParentID = v.Int32() })

	// What the query refers to.
	seen := map[traceql.Attribute]bool{}
	names := map[traceql.Scope]map[string]bool{}
	p.names = names
	want := func(sc traceql.Scope, name string) {
		if names[sc] == nil {
			names[sc] = map[string]bool{}
		}
		names[sc][name] = true
	}
	for _, c := range req.Conditions {
		a := c.Attribute
		if seen[a] {
			continue
		}
		seen[a] = true
		switch a.Intrinsic {
		case traceql.IntrinsicEventName, traceql.IntrinsicEventTimeSinceStart:
			p.intrinsics[traceql.IntrinsicEventName] = true
			p.intrinsics[traceql.IntrinsicEventTimeSinceStart] = true
		case traceql.IntrinsicLinkTraceID, traceql.IntrinsicLinkSpanID:
			p.intrinsics[traceql.IntrinsicLinkTraceID] = true
			p.intrinsics[traceql.IntrinsicLinkSpanID] = true
		case traceql.IntrinsicInstrumentationName, traceql.IntrinsicInstrumentationVersion:
			p.intrinsics[traceql.IntrinsicInstrumentationName] = true
			p.intrinsics[traceql.IntrinsicInstrumentationVersion] = true
		case traceql.IntrinsicChildCount:
			p.intrinsics[a.Intrinsic] = true
			if si.v4 {
				p.intrinsics[traceql.IntrinsicKind] = true
			}
		default:
			p.intrinsics[a.Intrinsic] = true
		}
		switch a.Intrinsic {
		case traceql.IntrinsicNone:
		case traceql.IntrinsicName:
			span("Name", func(s *vparquet.Span, v parquet.Value) { s.Name = string(v.ByteArray()) })
		case traceql.IntrinsicStatus:
			span("StatusCode", func(s *vparquet.Span, v parquet.Value) { s.StatusCode = v.Int64() })
		case traceql.IntrinsicStatusMessage:
			span("StatusMessage", func(s *vparquet.Span, v parquet.Value) { s.StatusMessage = string(v.ByteArray()) })
		case traceql.IntrinsicKind:
			span("Kind", func(s *vparquet.Span, v parquet.Value) { s.Kind = v.Int64() })
		case traceql.IntrinsicChildCount:
			if si.v4 { // derived from span and parent IDs and kinds
				if !seen[traceql.NewIntrinsic(traceql.IntrinsicKind)] {
					seen[traceql.NewIntrinsic(traceql.IntrinsicKind)] = true
					span("Kind", func(s *vparquet.Span, v parquet.Value) { s.Kind = v.Int64() })
				}
			} else {
				span("ChildCount", func(s *vparquet.Span, v parquet.Value) { s.ChildCount = v.Int32() })
			}
		case traceql.IntrinsicEventName, traceql.IntrinsicEventTimeSinceStart:
			c := si.col(join(eventPath, "Name")...)
			p.add(c, eventSetter(c, func(e *vparquet.Event, v parquet.Value) { e.Name = string(v.ByteArray()) }))
			c = si.col(join(eventPath, "TimeSinceStartNano")...)
			p.add(c, eventSetter(c, func(e *vparquet.Event, v parquet.Value) { e.TimeSinceStartNano = v.Uint64() }))
		case traceql.IntrinsicLinkTraceID, traceql.IntrinsicLinkSpanID:
			c := si.col(join(linkPath, "TraceID")...)
			p.add(c, linkSetter(c, func(l *vparquet.Link, v parquet.Value) { l.TraceID = bytes.Clone(v.ByteArray()) }))
			c = si.col(join(linkPath, "SpanID")...)
			p.add(c, linkSetter(c, func(l *vparquet.Link, v parquet.Value) { l.SpanID = bytes.Clone(v.ByteArray()) }))
		case traceql.IntrinsicInstrumentationName, traceql.IntrinsicInstrumentationVersion:
			for _, leaf := range []string{"Name", "Version"} {
				c := si.col(join(scopePath, leaf)...)
				version := leaf == "Version"
				p.add(c, func(a *assembly, loc []int32, def int, v parquet.Value) {
					if !exists(c, def, levelSS) {
						return
					}
					sc := &a.ss(loc).Scope
					if def == c.maxDef {
						if version {
							sc.Version = string(v.ByteArray())
						} else {
							sc.Name = string(v.ByteArray())
						}
					}
				})
			}
		case traceql.IntrinsicNestedSetLeft, traceql.IntrinsicNestedSetRight, traceql.IntrinsicNestedSetParent,
			traceql.IntrinsicDuration, traceql.IntrinsicSpanID, traceql.IntrinsicParentID,
			traceql.IntrinsicTraceDuration, traceql.IntrinsicTraceRootSpan, traceql.IntrinsicTraceRootService, traceql.IntrinsicTraceID:
			// always read
		default:
			return nil // something this plan does not know: decode whole rows
		}
		switch a.Scope {
		case traceql.ScopeNone:
			if a.Intrinsic == traceql.IntrinsicNone {
				want(traceql.ScopeSpan, a.Name)
				want(traceql.ScopeResource, a.Name)
			}
		case traceql.ScopeSpan, traceql.ScopeResource, traceql.ScopeEvent, traceql.ScopeLink, traceql.ScopeInstrumentation:
			want(a.Scope, a.Name)
		case traceql.ScopeParent, traceql.ScopeTrace:
			if a.Intrinsic == traceql.IntrinsicNone {
				return nil
			}
		}
	}
	for sc, set := range names {
		p.attributes(si, sc, set)
	}
	return p
}

// attributes adds the generic list (only the named keys), the dedicated
// slots and the well-known columns holding the names in scope sc.
func (p *asmPlan) attributes(si *schemaInfo, sc traceql.Scope, set map[string]bool) {
	var base []string
	var owner func(a *assembly, loc []int32) *[]vparquet.Attribute
	var ownerLevel int
	var slots vparquet.ScopeSlots
	var dedicatedOf func(a *assembly, loc []int32) *vparquet.DedicatedAttributes
	var wellKnown map[string]string
	var wellKnownOf func(a *assembly, loc []int32) *[]vparquet.Attribute
	switch sc {
	case traceql.ScopeSpan:
		base, ownerLevel, slots, wellKnown = spanPath, levelSpan, si.a.Span, v4SpanColumns
		owner = func(a *assembly, loc []int32) *[]vparquet.Attribute { return &a.span(loc).Attrs }
		dedicatedOf = func(a *assembly, loc []int32) *vparquet.DedicatedAttributes { return &a.span(loc).DedicatedAttributes }
		wellKnownOf = func(a *assembly, loc []int32) *[]vparquet.Attribute { return &a.span(loc).WellKnown }
	case traceql.ScopeResource:
		base, ownerLevel, slots, wellKnown = resPath, levelRS, si.a.Resource, v4ResourceColumns
		owner = func(a *assembly, loc []int32) *[]vparquet.Attribute { return &a.rs(loc).Resource.Attrs }
		dedicatedOf = func(a *assembly, loc []int32) *vparquet.DedicatedAttributes {
			return &a.rs(loc).Resource.DedicatedAttributes
		}
		wellKnownOf = func(a *assembly, loc []int32) *[]vparquet.Attribute { return &a.rs(loc).Resource.WellKnown }
		if set["service.name"] {
			c := si.col(join(resPath, "ServiceName")...)
			p.add(c, func(a *assembly, loc []int32, def int, v parquet.Value) {
				if exists(c, def, levelRS) && def == c.maxDef {
					a.rs(loc).Resource.ServiceName = string(v.ByteArray())
				}
			})
		}
	case traceql.ScopeEvent:
		base, ownerLevel, slots = eventPath, levelItem, si.a.Event
		owner = func(a *assembly, loc []int32) *[]vparquet.Attribute { return &a.event(loc).Attrs }
		dedicatedOf = func(a *assembly, loc []int32) *vparquet.DedicatedAttributes { return &a.event(loc).DedicatedAttributes }
	case traceql.ScopeLink:
		base, ownerLevel = linkPath, levelItem
		owner = func(a *assembly, loc []int32) *[]vparquet.Attribute { return &a.link(loc).Attrs }
	case traceql.ScopeInstrumentation:
		base, ownerLevel = scopePath, levelSS
		owner = func(a *assembly, loc []int32) *[]vparquet.Attribute { return &a.ss(loc).Scope.Attrs }
	default:
		return
	}
	// Generic list: Key first, then the values of the selected attributes.
	attrs := join(base, "Attrs")
	key := si.col(join(attrs, "Key")...)
	if key != nil {
		lvl := key.maxRep
		p.add(key, func(a *assembly, loc []int32, def int, v parquet.Value) {
			if !exists(key, def, lvl) || def != key.maxDef || !set[string(v.ByteArray())] {
				return
			}
			list := owner(a, loc)
			*list = append(*list, vparquet.Attribute{Key: string(v.ByteArray())})
			a.attrs[attrPos(loc, lvl)] = len(*list) - 1
		})
		value := func(leaf string, set func(at *vparquet.Attribute, v parquet.Value)) {
			c := si.col(join(attrs, leaf)...)
			p.add(c, func(a *assembly, loc []int32, def int, v parquet.Value) {
				if def != c.maxDef || !exists(c, def, lvl) {
					return
				}
				// The value's levels up to the owner are its attribute's.
				if i, ok := a.attrs[attrPos(loc, lvl)]; ok {
					set(&(*owner(a, loc))[i], v)
				}
			})
		}
		value("IsArray", func(at *vparquet.Attribute, v parquet.Value) { at.IsArray = v.Boolean() })
		value("Value", func(at *vparquet.Attribute, v parquet.Value) { at.Value = append(at.Value, string(v.ByteArray())) })
		value("ValueInt", func(at *vparquet.Attribute, v parquet.Value) { at.ValueInt = append(at.ValueInt, v.Int64()) })
		value("ValueDouble", func(at *vparquet.Attribute, v parquet.Value) { at.ValueDouble = append(at.ValueDouble, v.Double()) })
		value("ValueBool", func(at *vparquet.Attribute, v parquet.Value) { at.ValueBool = append(at.ValueBool, v.Boolean()) })
		value("ValueUnsupported", func(at *vparquet.Attribute, v parquet.Value) {
			s := string(v.ByteArray())
			at.ValueUnsupported = &s
		})
	}
	// Dedicated slots of the names asked for.
	for _, s := range slots {
		if !set[s.Name] || dedicatedOf == nil {
			continue
		}
		c := si.col(join(base, "DedicatedAttributes", s.Column())...)
		slot := s
		p.add(c, func(a *assembly, loc []int32, def int, v parquet.Value) {
			if def != c.maxDef || !exists(c, def, ownerLevel) {
				return
			}
			d := dedicatedOf(a, loc)
			if slot.Int {
				*d.Int(slot.Index) = append(*d.Int(slot.Index), v.Int64())
			} else {
				*d.Str(slot.Index) = append(*d.Str(slot.Index), string(v.ByteArray()))
			}
		})
	}
	// vParquet4 well-known columns.
	if si.v4 && wellKnownOf != nil {
		for name, leaf := range wellKnown {
			if !set[name] {
				continue
			}
			c := si.col(join(base, leaf)...)
			key := name
			p.add(c, func(a *assembly, loc []int32, def int, v parquet.Value) {
				if def != c.maxDef || !exists(c, def, ownerLevel) {
					return
				}
				at := vparquet.Attribute{Key: key}
				if c.kind == parquet.ByteArray {
					at.Value = []string{string(v.ByteArray())}
				} else {
					at.ValueInt = []int64{v.Int64()}
				}
				list := wellKnownOf(a, loc)
				*list = append(*list, at)
			})
		}
	}
}

func eventSetter(c *column, set func(e *vparquet.Event, v parquet.Value)) asmSetter {
	return func(a *assembly, loc []int32, def int, v parquet.Value) {
		if c == nil || !exists(c, def, levelItem) {
			return
		}
		e := a.event(loc)
		if def == c.maxDef {
			set(e, v)
		}
	}
}

func linkSetter(c *column, set func(l *vparquet.Link, v parquet.Value)) asmSetter {
	return func(a *assembly, loc []int32, def int, v parquet.Value) {
		if c == nil || !exists(c, def, levelItem) {
			return
		}
		l := a.link(loc)
		if def == c.maxDef {
			set(l, v)
		}
	}
}

// attrPos identifies an attribute in its row by its indexes at levels
// 1..lvl.
func attrPos(loc []int32, lvl int) [6]int32 {
	var k [6]int32
	copy(k[:], loc[1:lvl+1])
	k[5] = int32(lvl)
	return k
}

func grow[T any](s []T, i int) []T {
	if i < len(s) {
		return s
	}
	return append(s, make([]T, i+1-len(s))...)
}

func (a *assembly) rs(loc []int32) *vparquet.ResourceSpans {
	a.t.ResourceSpans = grow(a.t.ResourceSpans, int(loc[levelRS]))
	return &a.t.ResourceSpans[loc[levelRS]]
}

func (a *assembly) ss(loc []int32) *vparquet.ScopeSpans {
	rs := a.rs(loc)
	rs.ScopeSpans = grow(rs.ScopeSpans, int(loc[levelSS]))
	return &rs.ScopeSpans[loc[levelSS]]
}

func (a *assembly) span(loc []int32) *vparquet.Span {
	ss := a.ss(loc)
	ss.Spans = grow(ss.Spans, int(loc[levelSpan]))
	return &ss.Spans[loc[levelSpan]]
}

func (a *assembly) event(loc []int32) *vparquet.Event {
	s := a.span(loc)
	s.Events = grow(s.Events, int(loc[levelItem]))
	return &s.Events[loc[levelItem]]
}

func (a *assembly) link(loc []int32) *vparquet.Link {
	s := a.span(loc)
	s.Links = grow(s.Links, int(loc[levelItem]))
	return &s.Links[loc[levelItem]]
}

// newAssembler opens the plan's columns in one row group.
func (p *asmPlan) newAssembler(rg parquet.RowGroup, ra io.ReaderAt) (*assembler, error) {
	as := &assembler{}
	chunks := rg.ColumnChunks()
	for _, spec := range p.cols {
		fc, ok := chunks[spec.col.index].(*parquet.FileColumnChunk)
		if !ok {
			return nil, errNotFileChunk
		}
		// Columns shared by several setters are read once.
		dup := slices.IndexFunc(as.cols, func(c *asmColumn) bool { return c.col.index == spec.col.index })
		if dup >= 0 {
			prev := as.cols[dup].set
			set := spec.set
			as.cols[dup].set = func(a *assembly, loc []int32, def int, v parquet.Value) {
				prev(a, loc, def, v)
				set(a, loc, def, v)
			}
			continue
		}
		as.cols = append(as.cols, &asmColumn{col: spec.col, cur: rowread.NewCursor(fc, ra), set: spec.set})
	}
	return as, nil
}

func (as *assembler) close() {
	for _, c := range as.cols {
		c.cur.Close()
	}
}

// read assembles row r (rows must be asked in ascending order).
func (as *assembler) read(r int64) (*vparquet.Trace, error) {
	a := &assembly{t: &vparquet.Trace{}, attrs: map[[6]int32]int{}}
	var loc [8]int32
	for _, c := range as.cols {
		var err error
		as.buf, err = c.cur.AppendRow(as.buf[:0], r)
		if err != nil {
			return nil, err
		}
		clear(loc[:])
		for i, v := range as.buf {
			rep, def := v.RepetitionLevel(), v.DefinitionLevel()
			if i == 0 {
				rep = 0
			}
			for k := max(rep, 1); k <= c.col.maxRep; k++ {
				if k == rep {
					loc[k]++
				} else {
					loc[k] = 0
				}
			}
			c.set(a, loc[:], def, v)
		}
	}
	return a.t, nil
}
