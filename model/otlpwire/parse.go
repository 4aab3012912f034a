package otlpwire

import (
	"errors"
	"fmt"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tempoctl/tempoctl/internal/slab"
	"github.com/tempoctl/tempoctl/model"
)

// InvalidError is a request that is well-formed protobuf but breaks an ingest
// rule (spec http-api §10): the whole request is refused with
// InvalidArgument / HTTP 400.
type InvalidError struct {
	Msg   string
	Spans int // spans in the request, all refused with it
}

func (e *InvalidError) Error() string { return e.Msg }

// MalformedError is a request that is not a valid OTLP protobuf message.
type MalformedError struct{ Err error }

func (e *MalformedError) Error() string { return "decode OTLP protobuf: " + e.Err.Error() }
func (e *MalformedError) Unwrap() error { return e.Err }

// maxDepth bounds AnyValue nesting so a hostile request cannot exhaust the
// stack.
const maxDepth = 64

var errTruncated = errors.New("truncated or invalid field")

// Parse indexes an export request. It checks every field the way a full
// decode would (wire types, lengths, ID sizes, nesting), so a batch that
// parses can always be decoded later: nothing acknowledged is lost to a
// decode error at block-build time. raw is kept, not copied.
func Parse(raw []byte) (*Batch, error) {
	p := parserPool.Get().(*parser)
	defer p.release()
	b := &Batch{Raw: raw}
	p.b = b
	if err := p.request(); err != nil {
		return nil, err
	}
	if p.invalid != nil {
		p.invalid.Spans = p.seen
		return nil, p.invalid
	}
	p.group()
	return b, nil
}

// ParseSlab is Parse for bytes carved from a slab (internal/slab), ref
// being their claim on it: the batch holds the claim until it is garbage
// collected, so the slab is reused only once nothing can read the batch; a
// request that does not parse gives it back at once.
func ParseSlab(raw []byte, ref slab.Ref) (*Batch, error) {
	b, err := Parse(raw)
	if err != nil {
		ref.Release()
		return nil, err
	}
	slab.ReleaseWith(b, ref)
	return b, nil
}

type parser struct {
	b       *Batch
	invalid *InvalidError // the first rule broken; parsing goes on to count spans
	seen    int
	spans   []Span
	trace   []int32 // per span: index into ids
	ids     []model.TraceID
	index   map[model.TraceID]int32
}

var parserPool = sync.Pool{New: func() any { return &parser{index: map[model.TraceID]int32{}} }}

func (p *parser) release() {
	p.b, p.invalid, p.seen = nil, nil, 0
	p.spans, p.trace, p.ids = p.spans[:0], p.trace[:0], p.ids[:0]
	clear(p.index)
	parserPool.Put(p)
}

var errGroup = errors.New("group wire type (not used by OTLP)")

// field reads one tag and returns the field's number, type and the value's
// bounds within raw (for length-delimited values: the payload).
func field(raw []byte, off, end int) (num protowire.Number, typ protowire.Type, vOff, vEnd int, err error) {
	// One-byte tags and lengths (nearly all of them) are decoded here:
	// protowire's calls were a tenth of the write path's CPU.
	if c := raw[off]; c < 0x80 && c >= 8 {
		num, typ = protowire.Number(c>>3), protowire.Type(c&7)
		off++
	} else {
		var n int
		num, typ, n = protowire.ConsumeTag(raw[off:end])
		if n < 0 {
			return 0, 0, 0, 0, protowire.ParseError(n)
		}
		off += n
	}
	switch typ {
	case protowire.StartGroupType, protowire.EndGroupType:
		// Deprecated groups: OTLP has none and pdata refuses them.
		return 0, 0, 0, 0, errGroup
	case protowire.BytesType:
		if off < end {
			if l := int(raw[off]); l < 0x80 && off+1+l <= end {
				return num, typ, off + 1, off + 1 + l, nil
			}
		}
		v, m := protowire.ConsumeBytes(raw[off:end])
		if m < 0 {
			return 0, 0, 0, 0, protowire.ParseError(m)
		}
		return num, typ, off + m - len(v), off + m, nil
	case protowire.VarintType:
		if off < end && raw[off] < 0x80 {
			return num, typ, off, off + 1, nil
		}
	}
	m := protowire.ConsumeFieldValue(num, typ, raw[off:end])
	if m < 0 {
		return 0, 0, 0, 0, protowire.ParseError(m)
	}
	return num, typ, off, off + m, nil
}

func wrongType(msg string, num protowire.Number, typ protowire.Type) error {
	return &MalformedError{Err: fmt.Errorf("%s: wrong wire type %d for field %d", msg, typ, num)}
}

// Wire types of the fields each message knows, by field number; other
// fields are skipped as any decoder skips unknown fields.
const (
	bytes   = protowire.BytesType
	varint  = protowire.VarintType
	fixed64 = protowire.Fixed64Type
	fixed32 = protowire.Fixed32Type
)

// fieldTypes holds, per field number below 17, the wire type + 1 (0:
// unknown field). An array, not a map: this runs for every field of every
// span.
type fieldTypes [17]int8

type wire = map[protowire.Number]protowire.Type

func known(types wire) (ft fieldTypes) {
	for n, t := range types {
		ft[n] = int8(t) + 1
	}
	return ft
}

var (
	requestFields       = known(wire{1: bytes})
	resourceSpansFields = known(wire{1: bytes, 2: bytes, 3: bytes})
	resourceFields      = known(wire{1: bytes, 2: varint})
	scopeSpansFields    = known(wire{1: bytes, 2: bytes, 3: bytes})
	scopeFields         = known(wire{1: bytes, 2: bytes, 3: bytes, 4: varint})
	spanFields          = known(wire{1: bytes, 2: bytes, 3: bytes, 4: bytes, 5: bytes, 6: varint, 7: fixed64, 8: fixed64,
		9: bytes, 10: varint, 11: bytes, 12: varint, 13: bytes, 14: varint, 15: bytes, 16: fixed32})
	eventFields    = known(wire{1: fixed64, 2: bytes, 3: bytes, 4: varint})
	linkFields     = known(wire{1: bytes, 2: bytes, 3: bytes, 4: bytes, 5: varint, 6: fixed32})
	statusFields   = known(wire{2: bytes, 3: varint})
	keyValueFields = known(wire{1: bytes, 2: bytes})
	anyValueFields = known(wire{1: bytes, 2: varint, 3: varint, 4: fixed64, 5: bytes, 6: bytes, 7: bytes})
	listFields     = known(wire{1: bytes}) // ArrayValue and KeyValueList
)

// fields iterates over the known fields of one message, checking their wire
// types: for it.next() { switch it.num { … } }, then it.err.
type fields struct {
	raw      []byte
	off, end int
	what     string
	known    *fieldTypes
	num      protowire.Number
	vo, ve   int // the value's bounds (a length-delimited value's payload)
	err      error
}

func (p *parser) fields(what string, off, end int, known *fieldTypes) fields {
	return fields{raw: p.b.Raw, off: off, end: end, what: what, known: known}
}

func (it *fields) next() bool {
	for it.off < it.end {
		num, typ, vo, ve, err := field(it.raw, it.off, it.end)
		if err != nil {
			it.err = &MalformedError{Err: fmt.Errorf("%s: %w", it.what, err)}
			return false
		}
		it.off = ve
		if num >= protowire.Number(len(it.known)) || it.known[num] == 0 {
			continue
		}
		if typ != protowire.Type(it.known[num]-1) {
			it.err = wrongType(it.what, num, typ)
			return false
		}
		it.num, it.vo, it.ve = num, vo, ve
		return true
	}
	return false
}

func (p *parser) request() error {
	it := p.fields("request", 0, len(p.b.Raw), &requestFields)
	for it.next() {
		if err := p.resourceSpans(it.vo, it.ve); err != nil {
			return err
		}
	}
	return it.err
}

func (p *parser) resourceSpans(off, end int) error {
	ri := uint32(len(p.b.Resources))
	p.b.Resources = append(p.b.Resources, Resource{})
	it := p.fields("resource_spans", off, end, &resourceSpansFields)
	for it.next() {
		switch it.num {
		case 1:
			if err := p.repeatedKeyValues("resource", it.vo, it.ve, &resourceFields, 1); err != nil {
				return err
			}
			p.b.Resources[ri].Msg = rng(it.vo, it.ve)
		case 2:
			if err := p.scopeSpans(ri, it.vo, it.ve); err != nil {
				return err
			}
		case 3:
			p.b.Resources[ri].SchemaURL = rng(it.vo, it.ve)
		}
	}
	return it.err
}

func rng(off, end int) Range { return Range{Off: uint32(off), Len: uint32(end - off)} }

// repeatedKeyValues checks a message whose only nested content is the
// attributes in field attrs (resource, scope, event).
func (p *parser) repeatedKeyValues(what string, off, end int, known *fieldTypes, attrs protowire.Number) error {
	it := p.fields(what, off, end, known)
	for it.next() {
		if it.num == attrs {
			if err := p.keyValue(it.vo, it.ve, 0); err != nil {
				return err
			}
		}
	}
	return it.err
}

func (p *parser) scopeSpans(ri uint32, off, end int) error {
	si := uint32(len(p.b.Scopes))
	p.b.Scopes = append(p.b.Scopes, Scope{Resource: ri})
	it := p.fields("scope_spans", off, end, &scopeSpansFields)
	for it.next() {
		switch it.num {
		case 1:
			if err := p.repeatedKeyValues("scope", it.vo, it.ve, &scopeFields, 3); err != nil {
				return err
			}
			p.b.Scopes[si].Msg = rng(it.vo, it.ve)
		case 2:
			p.seen++
			id, err := p.span(it.vo, it.ve)
			var ie *InvalidError
			if errors.As(err, &ie) {
				if p.invalid == nil {
					p.invalid = ie
				}
				continue
			}
			if err != nil {
				return err
			}
			p.add(id, Span{Scope: si, Msg: rng(it.vo, it.ve)})
		case 3:
			p.b.Scopes[si].SchemaURL = rng(it.vo, it.ve)
		}
	}
	return it.err
}

// span checks one span and returns its trace ID.
func (p *parser) span(off, end int) (model.TraceID, error) {
	raw := p.b.Raw
	var id model.TraceID
	var tid, sid []byte
	it := p.fields("span", off, end, &spanFields)
	for it.next() {
		var err error
		switch it.num {
		case 1:
			tid = raw[it.vo:it.ve]
		case 2:
			sid = raw[it.vo:it.ve]
		case 4:
			if n := it.ve - it.vo; n != 0 && n != 8 {
				err = &MalformedError{Err: fmt.Errorf("span: parent span ID of %d bytes (want 8)", n)}
			}
		case 9:
			err = p.keyValue(it.vo, it.ve, 0)
		case 11:
			err = p.repeatedKeyValues("event", it.vo, it.ve, &eventFields, 3)
		case 13:
			err = p.link(it.vo, it.ve)
		case 15:
			it := p.fields("status", it.vo, it.ve, &statusFields)
			for it.next() {
			}
			err = it.err
		}
		if err != nil {
			return id, err
		}
	}
	if it.err != nil {
		return id, it.err
	}
	if len(tid) != 16 {
		return id, &InvalidError{Msg: fmt.Sprintf("trace ids must be 128 bit, received %d bits", len(tid)*8)}
	}
	if allZero(tid) {
		return id, &InvalidError{Msg: "trace ids must be 128 bit and not all zero, received an all-zero trace id"}
	}
	if len(sid) != 8 || allZero(sid) {
		return id, &InvalidError{Msg: fmt.Sprintf("span ids must be 64 bit and not all zero, received %d bits (trace %x)", len(sid)*8, tid)}
	}
	copy(id[:], tid)
	return id, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func (p *parser) link(off, end int) error {
	it := p.fields("link", off, end, &linkFields)
	for it.next() {
		n := it.ve - it.vo
		switch {
		case it.num == 1 && n != 0 && n != 16:
			return &MalformedError{Err: fmt.Errorf("link: trace ID of %d bytes (want 16)", n)}
		case it.num == 2 && n != 0 && n != 8:
			return &MalformedError{Err: fmt.Errorf("link: span ID of %d bytes (want 8)", n)}
		case it.num == 4:
			if err := p.keyValue(it.vo, it.ve, 0); err != nil {
				return err
			}
		}
	}
	return it.err
}

func (p *parser) keyValue(off, end, depth int) error {
	if end-off > p.b.LargestAttribute {
		p.b.LargestAttribute = end - off
	}
	// The common forms are valid as they stand: a key and a scalar value.
	if depth < maxDepth {
		if _, val, ok := SplitKeyValue(p.b.Raw[off:end]); ok && val != nil {
			if _, _, _, ok := OneScalar(val); ok {
				return nil
			}
		}
	}
	return p.keyValueWalk(off, end, depth)
}

func (p *parser) keyValueWalk(off, end, depth int) error {
	it := p.fields("attribute", off, end, &keyValueFields)
	for it.next() {
		if it.num == 2 {
			if err := p.anyValue(it.vo, it.ve, depth+1); err != nil {
				return err
			}
		}
	}
	return it.err
}

func (p *parser) anyValue(off, end, depth int) error {
	if depth > maxDepth {
		return &MalformedError{Err: fmt.Errorf("attribute value nested deeper than %d levels", maxDepth)}
	}
	it := p.fields("attribute value", off, end, &anyValueFields)
	for it.next() {
		var each func(off, end, depth int) error
		switch it.num {
		case 5: // ArrayValue{repeated AnyValue values = 1}
			each = p.anyValue
		case 6: // KeyValueList{repeated KeyValue values = 1}
			each = p.keyValue
		default:
			continue
		}
		list := p.fields("attribute value", it.vo, it.ve, &listFields)
		for list.next() {
			if err := each(list.vo, list.ve, depth+1); err != nil {
				return err
			}
		}
		if list.err != nil {
			return list.err
		}
	}
	return it.err
}

func (p *parser) add(id model.TraceID, s Span) {
	t, ok := p.index[id]
	if !ok {
		t = int32(len(p.ids))
		p.index[id] = t
		p.ids = append(p.ids, id)
	}
	p.spans = append(p.spans, s)
	p.trace = append(p.trace, t)
}

// group lays the spans out by trace in one allocation.
func (p *parser) group() {
	b := p.b
	b.SpanCount = len(p.spans)
	if len(p.spans) == 0 {
		return
	}
	b.Traces = make([]Trace, len(p.ids))
	counts := make([]int32, len(p.ids)+1)
	for _, t := range p.trace {
		counts[t+1]++
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	all := make([]Span, len(p.spans))
	for i := range b.Traces {
		b.Traces[i].ID = p.ids[i]
		b.Traces[i].Spans = all[counts[i]:counts[i]:counts[i+1]]
	}
	for i, s := range p.spans {
		t := &b.Traces[p.trace[i]]
		t.Spans = append(t.Spans, s)
		t.Bytes += framed(s.Msg.Len)
		if n := len(t.Spans); n == 1 || t.Spans[n-2].Scope != s.Scope {
			// A new run of the trace's spans under one scope: as a reader
			// decodes the trace, it brings its resource and scope along.
			sc := &b.Scopes[s.Scope]
			r := &b.Resources[sc.Resource]
			t.Bytes += framed(sc.Msg.Len) + framed(sc.SchemaURL.Len) + framed(r.Msg.Len) + framed(r.SchemaURL.Len) + wrappers
		}
	}
}

// framed is a length-delimited field's size on the wire: tag, length, bytes.
func framed(n uint32) int {
	if n == 0 {
		return 0
	}
	return 1 + protowire.SizeVarint(uint64(n)) + int(n)
}

// wrappers bounds the ResourceSpans and ScopeSpans framing (tag and length
// of each, lengths below 2^35).
const wrappers = 2 * (1 + 5)
