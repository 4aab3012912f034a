package otlpwire

import (
	"errors"
	"fmt"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"

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

// field reads one tag and returns the field's number, type and the value's
// bounds within raw (for length-delimited values: the payload).
func field(raw []byte, off, end int) (num protowire.Number, typ protowire.Type, vOff, vEnd int, err error) {
	num, typ, n := protowire.ConsumeTag(raw[off:end])
	if n < 0 {
		return 0, 0, 0, 0, protowire.ParseError(n)
	}
	off += n
	if typ == protowire.BytesType {
		v, m := protowire.ConsumeBytes(raw[off:end])
		if m < 0 {
			return 0, 0, 0, 0, protowire.ParseError(m)
		}
		return num, typ, off + m - len(v), off + m, nil
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

func malformed(msg string, err error) error {
	var me *MalformedError
	if errors.As(err, &me) {
		return err
	}
	var ie *InvalidError
	if errors.As(err, &ie) {
		return err
	}
	return &MalformedError{Err: fmt.Errorf("%s: %w", msg, err)}
}

func (p *parser) request() error {
	raw := p.b.Raw
	for off := 0; off < len(raw); {
		num, typ, vo, ve, err := field(raw, off, len(raw))
		if err != nil {
			return malformed("request", err)
		}
		off = ve
		if num == 1 {
			if typ != protowire.BytesType {
				return wrongType("request", num, typ)
			}
			if err := p.resourceSpans(vo, ve); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *parser) resourceSpans(off, end int) error {
	raw := p.b.Raw
	ri := uint32(len(p.b.Resources))
	p.b.Resources = append(p.b.Resources, Resource{})
	for off < end {
		num, typ, vo, ve, err := field(raw, off, end)
		if err != nil {
			return malformed("resource_spans", err)
		}
		off = ve
		switch num {
		case 1, 2, 3:
			if typ != protowire.BytesType {
				return wrongType("resource_spans", num, typ)
			}
		default:
			continue
		}
		switch num {
		case 1:
			if err := p.resource(vo, ve); err != nil {
				return err
			}
			p.b.Resources[ri].Msg = rng(vo, ve)
		case 2:
			if err := p.scopeSpans(ri, vo, ve); err != nil {
				return err
			}
		case 3:
			p.b.Resources[ri].SchemaURL = rng(vo, ve)
		}
	}
	return nil
}

func rng(off, end int) Range { return Range{Off: uint32(off), Len: uint32(end - off)} }

func (p *parser) resource(off, end int) error {
	raw := p.b.Raw
	for off < end {
		num, typ, vo, ve, err := field(raw, off, end)
		if err != nil {
			return malformed("resource", err)
		}
		off = ve
		switch num {
		case 1:
			if typ != protowire.BytesType {
				return wrongType("resource", num, typ)
			}
			if err := p.keyValue(vo, ve, 0); err != nil {
				return err
			}
		case 2:
			if typ != protowire.VarintType {
				return wrongType("resource", num, typ)
			}
		}
	}
	return nil
}

func (p *parser) scopeSpans(ri uint32, off, end int) error {
	raw := p.b.Raw
	si := uint32(len(p.b.Scopes))
	p.b.Scopes = append(p.b.Scopes, Scope{Resource: ri})
	for off < end {
		num, typ, vo, ve, err := field(raw, off, end)
		if err != nil {
			return malformed("scope_spans", err)
		}
		off = ve
		switch num {
		case 1, 2, 3:
			if typ != protowire.BytesType {
				return wrongType("scope_spans", num, typ)
			}
		default:
			continue
		}
		switch num {
		case 1:
			if err := p.scope(vo, ve); err != nil {
				return err
			}
			p.b.Scopes[si].Msg = rng(vo, ve)
		case 2:
			p.seen++
			id, err := p.span(vo, ve)
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
			p.add(id, Span{Scope: si, Msg: rng(vo, ve)})
		case 3:
			p.b.Scopes[si].SchemaURL = rng(vo, ve)
		}
	}
	return nil
}

func (p *parser) scope(off, end int) error {
	raw := p.b.Raw
	for off < end {
		num, typ, vo, ve, err := field(raw, off, end)
		if err != nil {
			return malformed("scope", err)
		}
		off = ve
		switch num {
		case 1, 2:
			if typ != protowire.BytesType {
				return wrongType("scope", num, typ)
			}
		case 3:
			if typ != protowire.BytesType {
				return wrongType("scope", num, typ)
			}
			if err := p.keyValue(vo, ve, 0); err != nil {
				return err
			}
		case 4:
			if typ != protowire.VarintType {
				return wrongType("scope", num, typ)
			}
		}
	}
	return nil
}

// span checks one span and returns its trace ID.
func (p *parser) span(off, end int) (model.TraceID, error) {
	raw := p.b.Raw
	var id model.TraceID
	var tid, sid []byte
	for off < end {
		num, typ, vo, ve, err := field(raw, off, end)
		if err != nil {
			return id, malformed("span", err)
		}
		off = ve
		want := protowire.Type(-1)
		switch num {
		case 1, 2, 3, 4, 5, 9, 11, 13, 15:
			want = protowire.BytesType
		case 6, 10, 12, 14:
			want = protowire.VarintType
		case 7, 8:
			want = protowire.Fixed64Type
		case 16:
			want = protowire.Fixed32Type
		}
		if want >= 0 && typ != want {
			return id, wrongType("span", num, typ)
		}
		switch num {
		case 1:
			tid = raw[vo:ve]
		case 2:
			sid = raw[vo:ve]
		case 4:
			if n := ve - vo; n != 0 && n != 8 {
				return id, &MalformedError{Err: fmt.Errorf("span: parent span ID of %d bytes (want 8)", n)}
			}
		case 9:
			if err := p.keyValue(vo, ve, 0); err != nil {
				return id, err
			}
		case 11:
			if err := p.event(vo, ve); err != nil {
				return id, err
			}
		case 13:
			if err := p.link(vo, ve); err != nil {
				return id, err
			}
		case 15:
			if err := p.status(vo, ve); err != nil {
				return id, err
			}
		}
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

func (p *parser) event(off, end int) error {
	raw := p.b.Raw
	for off < end {
		num, typ, vo, ve, err := field(raw, off, end)
		if err != nil {
			return malformed("event", err)
		}
		off = ve
		switch num {
		case 1:
			if typ != protowire.Fixed64Type {
				return wrongType("event", num, typ)
			}
		case 2:
			if typ != protowire.BytesType {
				return wrongType("event", num, typ)
			}
		case 3:
			if typ != protowire.BytesType {
				return wrongType("event", num, typ)
			}
			if err := p.keyValue(vo, ve, 0); err != nil {
				return err
			}
		case 4:
			if typ != protowire.VarintType {
				return wrongType("event", num, typ)
			}
		}
	}
	return nil
}

func (p *parser) link(off, end int) error {
	raw := p.b.Raw
	for off < end {
		num, typ, vo, ve, err := field(raw, off, end)
		if err != nil {
			return malformed("link", err)
		}
		off = ve
		switch num {
		case 1, 2, 3, 4:
			if typ != protowire.BytesType {
				return wrongType("link", num, typ)
			}
		case 5:
			if typ != protowire.VarintType {
				return wrongType("link", num, typ)
			}
		case 6:
			if typ != protowire.Fixed32Type {
				return wrongType("link", num, typ)
			}
		}
		switch num {
		case 1:
			if n := ve - vo; n != 0 && n != 16 {
				return &MalformedError{Err: fmt.Errorf("link: trace ID of %d bytes (want 16)", n)}
			}
		case 2:
			if n := ve - vo; n != 0 && n != 8 {
				return &MalformedError{Err: fmt.Errorf("link: span ID of %d bytes (want 8)", n)}
			}
		case 4:
			if err := p.keyValue(vo, ve, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *parser) status(off, end int) error {
	raw := p.b.Raw
	for off < end {
		num, typ, _, ve, err := field(raw, off, end)
		if err != nil {
			return malformed("status", err)
		}
		off = ve
		switch num {
		case 2:
			if typ != protowire.BytesType {
				return wrongType("status", num, typ)
			}
		case 3:
			if typ != protowire.VarintType {
				return wrongType("status", num, typ)
			}
		}
	}
	return nil
}

func (p *parser) keyValue(off, end, depth int) error {
	raw := p.b.Raw
	for off < end {
		num, typ, vo, ve, err := field(raw, off, end)
		if err != nil {
			return malformed("attribute", err)
		}
		off = ve
		switch num {
		case 1:
			if typ != protowire.BytesType {
				return wrongType("attribute", num, typ)
			}
		case 2:
			if typ != protowire.BytesType {
				return wrongType("attribute", num, typ)
			}
			if err := p.anyValue(vo, ve, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *parser) anyValue(off, end, depth int) error {
	if depth > maxDepth {
		return &MalformedError{Err: fmt.Errorf("attribute value nested deeper than %d levels", maxDepth)}
	}
	raw := p.b.Raw
	for off < end {
		num, typ, vo, ve, err := field(raw, off, end)
		if err != nil {
			return malformed("attribute value", err)
		}
		off = ve
		switch num {
		case 1, 5, 6, 7:
			if typ != protowire.BytesType {
				return wrongType("attribute value", num, typ)
			}
		case 2, 3:
			if typ != protowire.VarintType {
				return wrongType("attribute value", num, typ)
			}
		case 4:
			if typ != protowire.Fixed64Type {
				return wrongType("attribute value", num, typ)
			}
		}
		switch num {
		case 5: // ArrayValue{repeated AnyValue values = 1}
			if err := p.repeated(vo, ve, depth, p.anyValue); err != nil {
				return err
			}
		case 6: // KeyValueList{repeated KeyValue values = 1}
			if err := p.repeated(vo, ve, depth, p.keyValue); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *parser) repeated(off, end, depth int, each func(off, end, depth int) error) error {
	raw := p.b.Raw
	for off < end {
		num, typ, vo, ve, err := field(raw, off, end)
		if err != nil {
			return malformed("attribute value", err)
		}
		off = ve
		if num != 1 {
			continue
		}
		if typ != protowire.BytesType {
			return wrongType("attribute value", num, typ)
		}
		if err := each(vo, ve, depth+1); err != nil {
			return err
		}
	}
	return nil
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
		t.Bytes += int(s.Msg.Len)
	}
}
