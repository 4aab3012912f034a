package otlpwire

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/protobuf/encoding/protowire"
)

// FuzzParse: never panics; what parses decodes with pdata, whole and per
// trace, with every span accounted for, and what is read straight from the
// span bytes (kind, times, name, status, attributes) agrees with pdata.
func FuzzParse(f *testing.F) {
	f.Add(marshal(f, request(f, 1, 2)))
	f.Add(spanRequest(make([]byte, 16), []byte{1, 2, 3, 4, 5, 6, 7, 8}))
	f.Add([]byte{0x0a, 0x02, 0x12, 0x00})
	f.Add(spanRequest([]byte("0123456789abcdef"), []byte{1, 2, 3, 4, 5, 6, 7, 8}, repeatedNameAndStatus()...))
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := Parse(raw)
		if err != nil {
			return
		}
		var um ptrace.ProtoUnmarshaler
		td, err := um.UnmarshalTraces(raw)
		if err != nil {
			t.Fatalf("parsed, but pdata refuses: %v", err)
		}
		if td.SpanCount() != b.SpanCount {
			t.Fatalf("%d spans indexed, pdata has %d", b.SpanCount, td.SpanCount())
		}
		n := 0
		for _, tr := range b.Traces {
			got, err := Traces(Part{B: b, Spans: tr.Spans})
			if err != nil {
				t.Fatalf("trace %s does not decode: %v", tr.ID, err)
			}
			n += got.SpanCount()
			checkFacts(t, TraceParts{ID: tr.ID, Parts: []Part{{B: b, Spans: tr.Spans}}}, got)
		}
		if n != b.SpanCount {
			t.Fatalf("traces hold %d spans, batch %d", n, b.SpanCount)
		}
	})
}

// checkFacts: what TraceParts reads from the bytes (kind, times, name,
// status, attributes) agrees with pdata's decoding of the same spans, in order.
func checkFacts(t *testing.T, tp TraceParts, td ptrace.Traces) {
	var facts []SpanFacts
	tp.AnySpan(func(f SpanFacts) bool { facts = append(facts, f); return false })
	k := 0
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		res := rss.At(i).Resource().Attributes()
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for l := 0; l < spans.Len(); l++ {
				if k >= len(facts) {
					t.Fatalf("pdata has more spans than the bytes show (%d)", len(facts))
				}
				sp, f := spans.At(l), facts[k]
				k++
				if f.Kind != int32(sp.Kind()) || f.Start != uint64(sp.StartTimestamp()) || f.End != uint64(sp.EndTimestamp()) || f.StatusCode != int32(sp.Status().Code()) {
					t.Fatalf("span %d: facts %+v, pdata kind %d %d..%d status %d", k, f, sp.Kind(), sp.StartTimestamp(), sp.EndTimestamp(), sp.Status().Code())
				}
				if f.Name() != sp.Name() || f.StatusMessage() != sp.Status().Message() {
					t.Fatalf("span %d: name %q status message %q, pdata %q %q", k, f.Name(), f.StatusMessage(), sp.Name(), sp.Status().Message())
				}
				for key := range sp.Attributes().All() {
					v, ok := f.SpanAttr(key)
					first, _ := sp.Attributes().Get(key) // the first of repeated keys, as the bytes' reader
					sameScalar(t, key, v, ok, first)
				}
				for key := range res.All() {
					v, ok := f.ResourceAttr(key)
					first, _ := res.Get(key)
					sameScalar(t, key, v, ok, first)
				}
			}
		}
	}
}

func sameScalar(t *testing.T, key string, v []byte, ok bool, want pcommon.Value) {
	if !ok {
		t.Fatalf("attribute %q not found in the bytes", key)
	}
	kind, s, b, i, d := Scalar(v)
	switch want.Type() {
	case pcommon.ValueTypeStr:
		if kind != ScalarString || s != want.Str() {
			t.Fatalf("%q: %d %q, pdata %q", key, kind, s, want.Str())
		}
	case pcommon.ValueTypeBool:
		if kind != ScalarBool || b != want.Bool() {
			t.Fatalf("%q: %d %v, pdata %v", key, kind, b, want.Bool())
		}
	case pcommon.ValueTypeInt:
		if kind != ScalarInt || i != want.Int() {
			t.Fatalf("%q: %d %d, pdata %d", key, kind, i, want.Int())
		}
	case pcommon.ValueTypeDouble:
		if kind != ScalarDouble || !(d == want.Double() || d != d && want.Double() != want.Double()) {
			t.Fatalf("%q: %d %v, pdata %v", key, kind, d, want.Double())
		}
	default:
		if kind != ScalarNone {
			t.Fatalf("%q: scalar kind %d, pdata %s", key, kind, want.Type())
		}
	}
}

// repeatedNameAndStatus are span fields given twice: the last name wins, and
// a second status without a code keeps the first one's (messages merge).
func repeatedNameAndStatus() []byte {
	tag := protowire.AppendTag
	st1 := protowire.AppendVarint(tag(nil, 3, protowire.VarintType), 2)
	st1 = protowire.AppendString(tag(st1, 2, protowire.BytesType), "first")
	st2 := protowire.AppendString(tag(nil, 2, protowire.BytesType), "second")
	b := protowire.AppendString(tag(nil, 5, protowire.BytesType), "a")
	b = protowire.AppendBytes(tag(b, 15, protowire.BytesType), st1)
	b = protowire.AppendString(tag(b, 5, protowire.BytesType), "b")
	return protowire.AppendBytes(tag(b, 15, protowire.BytesType), st2)
}

// FuzzKeyValueFastPath: the attribute check that accepts the common form
// without a walk agrees with the walk on any input, at any depth.
func FuzzKeyValueFastPath(f *testing.F) {
	str := func(num protowire.Number, s []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), s)
	}
	kv := func(key string, val []byte) []byte { return append(str(1, []byte(key)), str(2, val)...) }
	for _, v := range [][]byte{
		str(1, []byte("GET")),
		protowire.AppendVarint([]byte{2 << 3}, 1),
		protowire.AppendVarint([]byte{3 << 3}, 1<<63),
		protowire.AppendFixed64([]byte{4<<3 | 1}, 42),
		{3 << 3, 0x80},                       // truncated varint
		{4<<3 | 1, 1, 2},                     // short double
		{2<<3 | 1, 0, 0, 0, 0, 0, 0},         // wrong wire type
		append(str(1, []byte("a")), 3<<3, 1), // two fields: last wins
		str(5, str(1, str(1, []byte("x")))),  // array
		str(6, kv("k", str(1, []byte("v")))), // map
		{},
	} {
		f.Add(kv("http.method", v), 0)
		f.Add(kv("k", v), maxDepth)
		f.Add(append(str(2, v), str(1, []byte("load"))...), 0) // pdata's order
		f.Add(append(str(2, v), str(1, []byte("k"))...), maxDepth)
	}
	f.Add(append(kv("k", str(1, []byte("v"))), 0), 0) // trailing byte
	f.Add(str(1, []byte("only key")), 0)
	f.Fuzz(func(t *testing.T, msg []byte, depth int) {
		if depth < 0 || depth > maxDepth+1 {
			return
		}
		p := &parser{b: &Batch{Raw: msg}}
		fast := p.keyValue(0, len(msg), depth)
		walk := p.keyValueWalk(0, len(msg), depth)
		if (fast == nil) != (walk == nil) {
			t.Fatalf("keyValue(%x, depth %d): %v, walk: %v", msg, depth, fast, walk)
		}
	})
}
