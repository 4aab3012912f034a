package otlpwire

import (
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/protobuf/encoding/protowire"
)

// Part is some spans of one batch (typically one trace's).
type Part struct {
	B     *Batch
	Spans []Span
}

// AppendTracesData appends a TracesData message holding only the spans of
// parts, each under its own resource and scope (a ResourceSpans per run of
// spans from the same batch and resource, a ScopeSpans per run from the same
// scope). The result decodes with any OTLP decoder.
func AppendTracesData(dst []byte, parts ...Part) []byte {
	for _, p := range parts {
		for i := 0; i < len(p.Spans); {
			res := p.B.Scopes[p.Spans[i].Scope].Resource
			j := i
			for j < len(p.Spans) && p.B.Scopes[p.Spans[j].Scope].Resource == res {
				j++
			}
			dst = appendResourceSpans(dst, p.B, res, p.Spans[i:j])
			i = j
		}
	}
	return dst
}

func appendResourceSpans(dst []byte, b *Batch, res uint32, spans []Span) []byte {
	r := b.Resources[res]
	size := lenField(r.Msg) + lenField(r.SchemaURL)
	forScopes(spans, func(sc uint32, run []Span) { size += sizeBytes(scopeSpansSize(b, sc, run)) })
	dst = protowire.AppendTag(dst, 1, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(size))
	dst = appendField(dst, 1, b, r.Msg)
	forScopes(spans, func(sc uint32, run []Span) {
		dst = protowire.AppendTag(dst, 2, protowire.BytesType)
		dst = protowire.AppendVarint(dst, uint64(scopeSpansSize(b, sc, run)))
		s := b.Scopes[sc]
		dst = appendField(dst, 1, b, s.Msg)
		for _, sp := range run {
			dst = protowire.AppendTag(dst, 2, protowire.BytesType)
			dst = protowire.AppendBytes(dst, b.Bytes(sp.Msg))
		}
		dst = appendField(dst, 3, b, s.SchemaURL)
	})
	return appendField(dst, 3, b, r.SchemaURL)
}

// forScopes calls fn for each run of consecutive spans with the same scope.
func forScopes(spans []Span, fn func(scope uint32, run []Span)) {
	for i := 0; i < len(spans); {
		j := i
		for j < len(spans) && spans[j].Scope == spans[i].Scope {
			j++
		}
		fn(spans[i].Scope, spans[i:j])
		i = j
	}
}

func scopeSpansSize(b *Batch, sc uint32, run []Span) int {
	s := b.Scopes[sc]
	n := lenField(s.Msg) + lenField(s.SchemaURL)
	for _, sp := range run {
		n += sizeBytes(int(sp.Msg.Len))
	}
	return n
}

// lenField is the encoded size of an optional length-delimited field (a
// zero-length range is left out, as proto3 leaves out empty fields).
func lenField(r Range) int {
	if r.Len == 0 {
		return 0
	}
	return sizeBytes(int(r.Len))
}

func sizeBytes(n int) int { return 1 + protowire.SizeVarint(uint64(n)) + n }

func appendField(dst []byte, num protowire.Number, b *Batch, r Range) []byte {
	if r.Len == 0 {
		return dst
	}
	dst = protowire.AppendTag(dst, num, protowire.BytesType)
	return protowire.AppendBytes(dst, b.Bytes(r))
}

// Traces decodes parts into pdata (for queries over live data, not the
// write path).
func Traces(parts ...Part) (ptrace.Traces, error) {
	var um ptrace.ProtoUnmarshaler
	return um.UnmarshalTraces(AppendTracesData(nil, parts...))
}

// FromTraces encodes td and parses it: the way into the write path for
// receivers that decode other formats (Zipkin, Jaeger, OTLP JSON).
func FromTraces(td ptrace.Traces) (*Batch, error) {
	var m ptrace.ProtoMarshaler
	raw, err := m.MarshalTraces(td)
	if err != nil {
		return nil, err
	}
	return Parse(raw)
}
