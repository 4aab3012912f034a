package vparquet

import (
	"math"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/model/otlpwire"
)

// WireBuilder builds rows straight from spans in OTLP wire form (spec §7.4,
// the same row FromOTLP makes from pdata), without an intermediate object
// model. Strings point into the batches' bytes, which must outlive the
// row's use; small slices come from arenas reset by Reset, so a writer
// that hands rows to parquet-go in batches reuses the memory.
type WireBuilder struct {
	a *Assignment

	// The row's spans so far, for dropping repeats: a list while short
	// (scanning a few beats hashing), a map once it passes smallSeen.
	seenList []dedupKey
	seen     map[dedupKey]struct{}
	seenBig  bool
	attrs    []Attribute // scratch for one attribute list
	arrStr   []string    // scratch for one array value
	arrInt   []int64
	// a span's event and link messages, seen in its one walk
	evMsgs, linkMsgs [][]byte

	strs  arena[string]
	ints  arena[int64]
	dbls  arena[float64]
	bools arena[bool]
	atts  arena[Attribute]
	spans arena[Span]
	evs   arena[Event]
	links arena[Link]
	bytes arena[byte]

	nested  nestedSets
	rss     []ResourceSpans // scratch for one trace
	sss     []ScopeSpans    // scratch for one resource
	rsArena arena[ResourceSpans]
	ssArena arena[ScopeSpans]
}

type dedupKey struct {
	id   uint64
	kind int64
}

// arena hands out sub-slices of large blocks; Reset reuses them. A slice
// handed out stays valid until Reset.
type arena[T any] struct {
	blocks [][]T
	cur    int // index of the block being filled
	used   int // in blocks[cur]
}

const arenaBlock = 4096

func (a *arena[T]) take(n int) []T {
	if n == 0 {
		return nil
	}
	for {
		if a.cur < len(a.blocks) {
			b := a.blocks[a.cur]
			if a.used+n <= len(b) {
				s := b[a.used : a.used+n : a.used+n]
				a.used += n
				return s
			}
			a.cur++
			a.used = 0
			continue
		}
		a.blocks = append(a.blocks, make([]T, max(arenaBlock, n)))
	}
}

// reset reuses the blocks without clearing them: every element handed out
// again is overwritten whole, and the builder dies with its block writer,
// so stale references keep nothing alive for long.
func (a *arena[T]) reset() {
	a.cur, a.used = 0, 0
}

// NewWireBuilder returns a builder for a block with assignment a.
func NewWireBuilder(a *Assignment) *WireBuilder {
	return &WireBuilder{a: a, seen: map[dedupKey]struct{}{}}
}

// Reset makes the arenas' memory reusable: rows built so far must no longer
// be used.
func (b *WireBuilder) Reset() {
	b.strs.reset()
	b.ints.reset()
	b.dbls.reset()
	b.bools.reset()
	b.atts.reset()
	b.spans.reset()
	b.evs.reset()
	b.links.reset()
	b.bytes.reset()
	b.rsArena.reset()
	b.ssArena.reset()
}

// Build fills tr with the row of trace id from its parts (in arrival order;
// a span repeated with the same ID and kind is kept once). It returns the
// spans' encoded size.
func (b *WireBuilder) Build(id model.TraceID, parts []otlpwire.Part, tr *Trace) int {
	idb := b.bytes.take(16)
	copy(idb, id[:])
	stats := tr.ServiceStats[:0] // rows are reused: keep the memory
	*tr = Trace{TraceID: idb, TraceIDText: id.Text(), ServiceStats: stats}
	b.seenList = b.seenList[:0]
	if b.seenBig {
		clear(b.seen)
		b.seenBig = false
	}
	size := 0
	var start, end uint64
	rss := b.rss[:0]
	for _, p := range parts {
		for i := 0; i < len(p.Spans); {
			res := p.B.Scopes[p.Spans[i].Scope].Resource
			j := i
			for j < len(p.Spans) && p.B.Scopes[p.Spans[j].Scope].Resource == res {
				j++
			}
			rss = append(rss, ResourceSpans{})
			rs := &rss[len(rss)-1]
			b.resource(p.B, p.B.Resources[res].Msg, &rs.Resource)
			sss := b.sss[:0]
			for k := i; k < j; {
				sc := p.Spans[k].Scope
				l := k
				for l < j && p.Spans[l].Scope == sc {
					l++
				}
				spans := b.spans.take(l - k)
				n := 0
				for _, ref := range p.Spans[k:l] {
					s := &spans[n]
					if !b.span(p.B, ref.Msg, s) {
						continue // duplicate
					}
					n++
					size += int(ref.Msg.Len)
					st := s.StartTimeUnixNano
					if start == 0 || st < start {
						start = st
					}
					end = max(end, st+s.DurationNano)
					if isRootRow(id, s) {
						tr.RootSpanName, tr.RootServiceName = s.Name, rs.Resource.ServiceName
					}
				}
				if n > 0 {
					sss = append(sss, ScopeSpans{Spans: spans[:n:n]})
					b.scope(p.B, p.B.Scopes[sc].Msg, &sss[len(sss)-1].Scope)
				}
				k = l
			}
			if len(sss) == 0 {
				rss = rss[:len(rss)-1]
			} else {
				rs.ScopeSpans = b.ssArena.take(len(sss))
				copy(rs.ScopeSpans, sss)
			}
			b.sss = sss
			i = j
		}
	}
	tr.ResourceSpans = b.rsArena.take(len(rss))
	copy(tr.ResourceSpans, rss)
	b.rss = rss
	tr.StartTimeUnixNano, tr.EndTimeUnixNano, tr.DurationNano = start, end, end-start
	rebatch(tr)
	serviceStats(tr)
	b.nested.assign(tr)
	for i := range tr.ResourceSpans {
		for j := range tr.ResourceSpans[i].ScopeSpans {
			ss := &tr.ResourceSpans[i].ScopeSpans[j]
			ss.SpanCount = int32(len(ss.Spans))
		}
	}
	return size
}

// str returns bytes of the batch as a string without copying.
func str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// fieldIter walks a message the parser already checked: malformed input
// cannot occur here, so errors end the walk quietly. (An iterator, not a
// callback per field: the calls were a tenth of block building.)
type fieldIter struct {
	msg []byte
	num protowire.Number
	typ protowire.Type
	v   []byte
	x   uint64
}

func (it *fieldIter) next() bool {
	msg := it.msg
	if len(msg) == 0 {
		return false
	}
	// One-byte tags, lengths and varints (nearly all of them) are
	// decoded here rather than by a call into protowire.
	if c := msg[0]; c < 0x80 && c >= 8 {
		it.num, it.typ = protowire.Number(c>>3), protowire.Type(c&7)
		msg = msg[1:]
	} else {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			it.msg = nil
			return false
		}
		it.num, it.typ = num, typ
		msg = msg[n:]
	}
	it.v, it.x = nil, 0
	n := -1
	switch it.typ {
	case protowire.BytesType:
		if len(msg) > 0 && msg[0] < 0x80 && int(msg[0]) < len(msg) {
			n = int(msg[0]) + 1
			it.v = msg[1:n:n]
		} else {
			it.v, n = protowire.ConsumeBytes(msg)
		}
	case protowire.VarintType:
		if len(msg) > 0 && msg[0] < 0x80 {
			it.x, n = uint64(msg[0]), 1
		} else {
			it.x, n = protowire.ConsumeVarint(msg)
		}
	case protowire.Fixed64Type:
		it.x, n = protowire.ConsumeFixed64(msg)
	case protowire.Fixed32Type:
		var y uint32
		y, n = protowire.ConsumeFixed32(msg)
		it.x = uint64(y)
	default:
		n = protowire.ConsumeFieldValue(it.num, it.typ, msg)
	}
	if n < 0 {
		it.msg = nil
		return false
	}
	it.msg = msg[n:]
	return true
}

func (b *WireBuilder) resource(bt *otlpwire.Batch, r otlpwire.Range, out *Resource) {
	scratch := b.attrs[:0]
	for it := (fieldIter{msg: bt.Bytes(r)}); it.next(); {
		num, typ, v, x := it.num, it.typ, it.v, it.x
		switch {
		case num == 1 && typ == protowire.BytesType:
			key, val := keyValue(v)
			if key == serviceNameKey {
				if s, ok := stringValue(val); ok {
					out.ServiceName = s
					continue
				}
			}
			if s, ok := b.a.Resource.Find(key); ok && b.putDedicated(&out.DedicatedAttributes, s, val) {
				continue
			}
			scratch = append(scratch, b.attr(key, val))
		case num == 2 && typ == protowire.VarintType:
			out.DroppedAttributesCount = int32(x)
		}
	}
	out.Attrs = b.keep(scratch)
	b.attrs = scratch
}

func (b *WireBuilder) scope(bt *otlpwire.Batch, r otlpwire.Range, out *Scope) {
	scratch := b.attrs[:0]
	for it := (fieldIter{msg: bt.Bytes(r)}); it.next(); {
		num, typ, v, x := it.num, it.typ, it.v, it.x
		switch {
		case num == 1 && typ == protowire.BytesType:
			out.Name = str(v)
		case num == 2 && typ == protowire.BytesType:
			out.Version = str(v)
		case num == 3 && typ == protowire.BytesType:
			key, val := keyValue(v)
			scratch = append(scratch, b.attr(key, val))
		case num == 4 && typ == protowire.VarintType:
			out.DroppedAttributesCount = int32(x)
		}
	}
	out.Attrs = b.keep(scratch)
	b.attrs = scratch
}

// keep copies scratch attributes into the arena.
func (b *WireBuilder) keep(scratch []Attribute) []Attribute {
	if len(scratch) == 0 {
		return nil
	}
	out := b.atts.take(len(scratch))
	copy(out, scratch)
	return out
}

// span fills out; false when the span repeats one already in the row.
func (b *WireBuilder) span(bt *otlpwire.Batch, r otlpwire.Range, out *Span) bool {
	msg := bt.Bytes(r)
	*out = Span{SpanID: []byte{}, ParentSpanID: []byte{}}
	var end uint64
	evm, lkm := b.evMsgs[:0], b.linkMsgs[:0]
	scratch := b.attrs[:0]
	for it := (fieldIter{msg: msg}); it.next(); {
		num, v, x := it.num, it.v, it.x
		switch num {
		case 2:
			out.SpanID = v
		case 3:
			out.TraceState = str(v)
		case 4:
			if !allZero(v) {
				out.ParentSpanID = v
			} else {
				out.ParentSpanID = []byte{}
			}
		case 5:
			out.Name = str(v)
		case 6:
			out.Kind = int64(int32(x))
		case 7:
			out.StartTimeUnixNano = x
		case 8:
			end = x
		case 9:
			key, val := keyValue(v)
			if s, ok := b.a.Span.Find(key); ok && b.putDedicated(&out.DedicatedAttributes, s, val) {
				continue
			}
			scratch = append(scratch, b.attr(key, val))
		case 10:
			out.DroppedAttributesCount = int32(x)
		case 11:
			evm = append(evm, v)
		case 12:
			out.DroppedEventsCount = int32(x)
		case 13:
			lkm = append(lkm, v)
		case 14:
			out.DroppedLinksCount = int32(x)
		case 15:
			for it := (fieldIter{msg: v}); it.next(); {
				num, v, x := it.num, it.v, it.x
				switch num {
				case 2:
					out.StatusMessage = str(v)
				case 3:
					out.StatusCode = int64(int32(x))
				}
			}
		}
	}
	key := dedupKey{id: spanKey(out.SpanID), kind: out.Kind}
	if b.repeated(key) {
		b.attrs = scratch
		return false
	}
	out.Attrs = b.keep(scratch)
	b.attrs = scratch
	start := out.StartTimeUnixNano
	out.DurationNano = end - start
	out.StartTimeRounded15 = roundedStart(start, 15)
	out.StartTimeRounded60 = roundedStart(start, 60)
	out.StartTimeRounded300 = roundedStart(start, 300)
	out.StartTimeRounded3600 = roundedStart(start, 3600)
	b.evMsgs, b.linkMsgs = evm, lkm
	if len(evm) > 0 {
		out.Events = b.evs.take(len(evm))
		for i, m := range evm {
			b.event(m, start, &out.Events[i])
		}
	}
	if len(lkm) > 0 {
		out.Links = b.links.take(len(lkm))
		for i, m := range lkm {
			b.link(m, &out.Links[i])
		}
	}
	return true
}

// smallSeen is the longest list of a row's spans searched by a scan.
const smallSeen = 32

// repeated reports whether the row already has a span with k's ID and
// kind, and records k.
func (b *WireBuilder) repeated(k dedupKey) bool {
	if !b.seenBig {
		for _, x := range b.seenList {
			if x == k {
				return true
			}
		}
		if len(b.seenList) < smallSeen {
			b.seenList = append(b.seenList, k)
			return false
		}
		for _, x := range b.seenList {
			b.seen[x] = struct{}{}
		}
		b.seenBig = true
	}
	if _, ok := b.seen[k]; ok {
		return true
	}
	b.seen[k] = struct{}{}
	return false
}

func (b *WireBuilder) event(msg []byte, spanStart uint64, out *Event) {
	*out = Event{}
	var t uint64 // absent reads as 0, as in pdata
	scratch := b.attrs[:0]
	for it := (fieldIter{msg: msg}); it.next(); {
		num, v, x := it.num, it.v, it.x
		switch num {
		case 1:
			t = x
		case 2:
			out.Name = str(v)
		case 3:
			key, val := keyValue(v)
			if s, ok := b.a.Event.Find(key); ok && b.putDedicated(&out.DedicatedAttributes, s, val) {
				continue
			}
			scratch = append(scratch, b.attr(key, val))
		case 4:
			out.DroppedAttributesCount = int32(x)
		}
	}
	out.TimeSinceStartNano = t - spanStart
	out.Attrs = b.keep(scratch)
	b.attrs = scratch
}

func (b *WireBuilder) link(msg []byte, out *Link) {
	tid, sid := b.bytes.take(16), b.bytes.take(8)
	clear(tid)
	clear(sid)
	*out = Link{TraceID: tid, SpanID: sid}
	scratch := b.attrs[:0]
	for it := (fieldIter{msg: msg}); it.next(); {
		num, v, x := it.num, it.v, it.x
		switch num {
		case 1:
			copy(tid, v)
		case 2:
			copy(sid, v)
		case 3:
			out.TraceState = str(v)
		case 4:
			key, val := keyValue(v)
			scratch = append(scratch, b.attr(key, val))
		case 5:
			out.DroppedAttributesCount = int32(x)
		}
	}
	out.Attrs = b.keep(scratch)
	b.attrs = scratch
}

// isRootRow: no parent, and no child_of link into the same trace (see the
// pdata version).
func isRootRow(id model.TraceID, s *Span) bool {
	if len(s.ParentSpanID) > 0 {
		return false
	}
	for i := range s.Links {
		l := &s.Links[i]
		if model.TraceID(l.TraceID) != id {
			continue
		}
		for _, a := range l.Attrs {
			if a.Key == "opentracing.ref_type" && !a.IsArray && len(a.Value) == 1 && a.Value[0] == "child_of" {
				return false
			}
		}
	}
	return true
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// keyValue splits a KeyValue message; val is the AnyValue message (nil when
// absent).
func keyValue(msg []byte) (key string, val []byte) {
	// The common forms are split without a walk (the walk was a tenth of
	// block building).
	if k, v, ok := otlpwire.SplitKeyValue(msg); ok {
		return str(k), v
	}
	return keyValueWalk(msg)
}

func keyValueWalk(msg []byte) (key string, val []byte) {
	for it := (fieldIter{msg: msg}); it.next(); {
		num, typ, v := it.num, it.typ, it.v
		switch {
		case num == 1 && typ == protowire.BytesType:
			key = str(v)
		case num == 2 && typ == protowire.BytesType:
			val = v
		}
	}
	return key, val
}

// anyValue kinds, as pdata's value types.
const (
	kindEmpty = iota
	kindStr
	kindBool
	kindInt
	kindDouble
	kindArray
	kindMap
	kindBytes
)

// valueOf returns the kind of an AnyValue (last field wins, as in any
// protobuf oneof) and its scalar or payload.
func valueOf(msg []byte) (kind int, v []byte, x uint64) {
	// One scalar field filling the message (nearly every value) is read
	// without a walk.
	if k, payload, y, ok := otlpwire.OneScalar(msg); ok {
		return scalarKinds[k], payload, y
	}
	return valueOfWalk(msg)
}

// scalarKinds maps otlpwire's scalar kinds to these.
var scalarKinds = [...]int{otlpwire.ScalarString: kindStr, otlpwire.ScalarBool: kindBool,
	otlpwire.ScalarInt: kindInt, otlpwire.ScalarDouble: kindDouble}

func valueOfWalk(msg []byte) (kind int, v []byte, x uint64) {
	for it := (fieldIter{msg: msg}); it.next(); {
		num, bv, bx := it.num, it.v, it.x
		switch num {
		case 1:
			kind, v = kindStr, bv
		case 2:
			kind, x = kindBool, bx
		case 3:
			kind, x = kindInt, bx
		case 4:
			kind, x = kindDouble, bx
		case 5:
			kind, v = kindArray, bv
		case 6:
			kind, v = kindMap, bv
		case 7:
			kind, v = kindBytes, bv
		}
	}
	return kind, v, x
}

func stringValue(val []byte) (string, bool) {
	k, v, _ := valueOf(val)
	return str(v), k == kindStr
}

// arrayElems calls fn for each element of an ArrayValue message.
func arrayElems(msg []byte, fn func(elem []byte)) {
	for it := (fieldIter{msg: msg}); it.next(); {
		num, typ, v := it.num, it.typ, it.v
		if num == 1 && typ == protowire.BytesType {
			fn(v)
		}
	}
}

// attr encodes one attribute (spec §7.5), as encodeAttr does for pdata.
func (b *WireBuilder) attr(key string, val []byte) Attribute {
	a := Attribute{Key: key}
	kind, v, x := valueOf(val)
	switch kind {
	case kindStr:
		a.Value = b.strs.take(1)
		a.Value[0] = str(v)
	case kindInt:
		a.ValueInt = b.ints.take(1)
		a.ValueInt[0] = int64(x)
	case kindDouble:
		a.ValueDouble = b.dbls.take(1)
		a.ValueDouble[0] = math.Float64frombits(x)
	case kindBool:
		a.ValueBool = b.bools.take(1)
		a.ValueBool[0] = x != 0
	case kindArray:
		if b.array(&a, v) {
			a.IsArray = true
			return a
		}
		a.ValueUnsupported = unsupportedWire(val)
	default:
		a.ValueUnsupported = unsupportedWire(val)
	}
	return a
}

// array fills a from a homogeneous array of scalars; false when mixed or
// holding non-scalars.
func (b *WireBuilder) array(a *Attribute, msg []byte) bool {
	first, same := -1, true
	n := 0
	arrayElems(msg, func(e []byte) {
		k, _, _ := valueOf(e)
		if first < 0 {
			first = k
		} else if k != first {
			same = false
		}
		n++
	})
	if n == 0 {
		return true
	}
	if !same {
		return false
	}
	i := 0
	switch first {
	case kindStr:
		a.Value = b.strs.take(n)
		arrayElems(msg, func(e []byte) { _, v, _ := valueOf(e); a.Value[i] = str(v); i++ })
	case kindInt:
		a.ValueInt = b.ints.take(n)
		arrayElems(msg, func(e []byte) { _, _, x := valueOf(e); a.ValueInt[i] = int64(x); i++ })
	case kindDouble:
		a.ValueDouble = b.dbls.take(n)
		arrayElems(msg, func(e []byte) { _, _, x := valueOf(e); a.ValueDouble[i] = math.Float64frombits(x); i++ })
	case kindBool:
		a.ValueBool = b.bools.take(n)
		arrayElems(msg, func(e []byte) { _, _, x := valueOf(e); a.ValueBool[i] = x != 0; i++ })
	default:
		return false
	}
	return true
}

// putDedicated stores a value in its slot when the type fits (see put).
func (b *WireBuilder) putDedicated(d *DedicatedAttributes, s Slot, val []byte) bool {
	kind, v, x := valueOf(val)
	if s.Int {
		switch kind {
		case kindInt:
			out := b.ints.take(1)
			out[0] = int64(x)
			*d.Int(s.Index) = out
			return true
		case kindArray:
			if b.a.ScalarOnly {
				return false
			}
			vals := b.arrInt[:0]
			ok := true
			arrayElems(v, func(e []byte) {
				k, _, ex := valueOf(e)
				if k != kindInt {
					ok = false
				}
				vals = append(vals, int64(ex))
			})
			b.arrInt = vals
			if !ok {
				return false
			}
			out := b.ints.take(len(vals))
			copy(out, vals)
			if out == nil {
				out = []int64{}
			}
			*d.Int(s.Index) = out
			return true
		}
		return false
	}
	switch kind {
	case kindStr:
		out := b.strs.take(1)
		out[0] = str(v)
		*d.Str(s.Index) = out
		return true
	case kindArray:
		if b.a.ScalarOnly {
			return false
		}
		vals := b.arrStr[:0]
		ok := true
		arrayElems(v, func(e []byte) {
			k, ev, _ := valueOf(e)
			if k != kindStr {
				ok = false
			}
			vals = append(vals, str(ev))
		})
		b.arrStr = vals
		if !ok {
			return false
		}
		out := b.strs.take(len(vals))
		copy(out, vals)
		if out == nil {
			out = []string{}
		}
		*d.Str(s.Index) = out
		return true
	}
	return false
}

// unsupportedWire is the JSON form of a value the columns cannot hold
// (rare: maps, bytes, mixed arrays), made the same way as for pdata.
func unsupportedWire(val []byte) *string {
	var av commonpb.AnyValue
	v := pcommon.NewValueEmpty()
	if err := proto.Unmarshal(val, &av); err == nil {
		setFromProto(v, &av)
	}
	return unsupported(v)
}
