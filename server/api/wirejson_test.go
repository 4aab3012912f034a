package api

import (
	"bytes"
	"math"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tempoctl/tempoctl/internal/tracegen"
)

// viaProtojson is the trace JSON as protojson writes it.
func viaProtojson(t *testing.T, key string, td ptrace.Traces) ([]byte, error) {
	t.Helper()
	var m ptrace.ProtoMarshaler
	wire, err := m.MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	err = marshalBatchesProtojson(&buf, key, wire)
	return buf.Bytes(), err
}

// viaWire is the trace JSON written from the protobuf bytes; ok is false
// when the encoder gave up.
func viaWire(t *testing.T, key string, td ptrace.Traces) ([]byte, bool) {
	t.Helper()
	var m ptrace.ProtoMarshaler
	wire, err := m.MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	return appendTraceJSON(nil, key, wire)
}

// edgeTrace holds what protojson writes in its own ways: numbers at the
// edges of their formats, escapes, empty and nested values, unknown enum
// numbers, empty messages.
func edgeTrace() ptrace.Traces {
	td := ptrace.NewTraces()
	td.ResourceSpans().AppendEmpty() // no resource, no scopes
	rs := td.ResourceSpans().AppendEmpty()
	rs.SetSchemaUrl("https://opentelemetry.io/schemas/1.21.0")
	r := rs.Resource()
	r.SetDroppedAttributesCount(3)
	a := r.Attributes()
	a.PutStr("quote\"back\\slash", "ctl\x00\x01\x1f\b\f\n\r\t<>&\u2028 é 🙂 \uFFFD \x7f")
	a.PutStr("", "")
	a.PutEmpty("empty")
	a.PutBool("false", false)
	a.PutBool("true", true)
	a.PutInt("zero", 0)
	a.PutInt("min", math.MinInt64)
	a.PutInt("max", math.MaxInt64)
	for i, f := range []float64{0, math.Copysign(0, -1), 1, -2.5, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 1.5e300, -1e-300, math.SmallestNonzeroFloat64,
		math.MaxFloat64, math.NaN(), math.Inf(1), math.Inf(-1), 0.1, 123456789.123456789} {
		a.PutDouble("double"+string(rune('a'+i)), f)
	}
	a.PutEmptyBytes("nobytes")
	a.PutEmptyBytes("bytes").FromRaw([]byte{0, 1, 2, 0xff, 0xfe})
	arr := a.PutEmptySlice("array")
	arr.AppendEmpty().SetStr("x")
	arr.AppendEmpty()
	arr.AppendEmpty().SetEmptySlice().AppendEmpty().SetEmptyMap().PutInt("deep", 1)
	a.PutEmptySlice("noarray")
	kv := a.PutEmptyMap("kvlist")
	kv.PutStr("k", "v")
	kv.PutEmptyMap("inner").PutEmptySlice("list").AppendEmpty().SetDouble(0.5)
	a.PutEmptyMap("nokvlist")

	rs.ScopeSpans().AppendEmpty() // empty scope, no spans
	ss := rs.ScopeSpans().AppendEmpty()
	ss.SetSchemaUrl("scope-schema")
	ss.Scope().SetName("lib")
	ss.Scope().SetVersion("v1")
	ss.Scope().SetDroppedAttributesCount(1)
	ss.Scope().Attributes().PutStr("scope.attr", "s")

	sp := ss.Spans().AppendEmpty() // nothing set but the span
	sp = ss.Spans().AppendEmpty()
	sp.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	sp.SetSpanID(pcommon.SpanID{0xff, 0, 0, 0, 0, 0, 0, 1})
	sp.SetParentSpanID(pcommon.SpanID{1, 1, 1, 1, 1, 1, 1, 1})
	sp.TraceState().FromRaw("a=b,c=d")
	sp.SetFlags(0x301)
	sp.SetName("name with \"quotes\"")
	sp.SetKind(ptrace.SpanKind(9)) // unknown: written as a number
	sp.SetStartTimestamp(math.MaxUint64)
	sp.SetEndTimestamp(1)
	sp.SetDroppedAttributesCount(math.MaxUint32)
	sp.SetDroppedEventsCount(2)
	sp.SetDroppedLinksCount(3)
	sp.Status().SetCode(ptrace.StatusCode(7))
	sp.Status().SetMessage("bad\nthing")
	ev := sp.Events().AppendEmpty()
	ev.SetName("ev")
	ev.SetTimestamp(42)
	ev.SetDroppedAttributesCount(1)
	ev.Attributes().PutStr("e", "1")
	sp.Events().AppendEmpty()
	l := sp.Links().AppendEmpty()
	l.SetTraceID(pcommon.TraceID{9})
	l.SetSpanID(pcommon.SpanID{8})
	l.TraceState().FromRaw("x=y")
	l.SetFlags(1)
	l.SetDroppedAttributesCount(4)
	l.Attributes().PutInt("l", -1)
	sp.Links().AppendEmpty()
	for _, k := range []ptrace.SpanKind{ptrace.SpanKindInternal, ptrace.SpanKindServer, ptrace.SpanKindClient, ptrace.SpanKindProducer, ptrace.SpanKindConsumer} {
		s := ss.Spans().AppendEmpty()
		s.SetKind(k)
		s.Status().SetCode(ptrace.StatusCodeOk)
	}
	ss.Spans().AppendEmpty().Status().SetCode(ptrace.StatusCodeError)
	return td
}

// TestWireJSONMatchesProtojson: the trace JSON written from the protobuf
// bytes is protojson's byte for byte, for generated traces (every attribute
// type, events, links, trace state, dropped counts) and for the edge cases.
func TestWireJSONMatchesProtojson(t *testing.T) {
	traces := []ptrace.Traces{ptrace.NewTraces(), edgeTrace(), sampleTrace()}
	for seed := range uint64(20) {
		g := tracegen.New(seed, tracegen.Config{Exotic: true, MinSpans: 1, MaxSpans: 40})
		for range 10 {
			_, td := g.Trace()
			traces = append(traces, td)
		}
	}
	for i, td := range traces {
		for _, key := range []string{"batches", "resourceSpans"} {
			want, err := viaProtojson(t, key, td)
			if err != nil {
				t.Fatalf("trace %d: protojson: %v", i, err)
			}
			got, ok := viaWire(t, key, td)
			if !ok {
				t.Fatalf("trace %d: the wire encoder gave up", i)
			}
			if !bytes.Equal(got, want) {
				at := 0
				for at < len(got) && at < len(want) && got[at] == want[at] {
					at++
				}
				t.Fatalf("trace %d %s differs at byte %d:\n got …%s\nwant …%s", i, key, at, excerpt(got, at), excerpt(want, at))
			}
		}
	}
}

// TestWireJSONExplicitZeros: zero values present in the bytes (pdata
// leaves them out, other writers may not) are left out as protojson does.
func TestWireJSONExplicitZeros(t *testing.T) {
	span := protowire.AppendString(protowire.AppendTag(nil, 5, protowire.BytesType), "")
	span = protowire.AppendVarint(protowire.AppendTag(span, 6, protowire.VarintType), 0)
	span = protowire.AppendFixed64(protowire.AppendTag(span, 7, protowire.Fixed64Type), 0)
	span = protowire.AppendVarint(protowire.AppendTag(span, 10, protowire.VarintType), 0)
	span = protowire.AppendFixed32(protowire.AppendTag(span, 16, protowire.Fixed32Type), 0)
	span = protowire.AppendBytes(protowire.AppendTag(span, 1, protowire.BytesType), nil)
	value := protowire.AppendVarint(protowire.AppendTag(nil, 3, protowire.VarintType), 0) // a set oneof: written
	kv := protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), value)
	span = protowire.AppendBytes(protowire.AppendTag(span, 9, protowire.BytesType), kv)
	wire := protowire.AppendTag(nil, 1, protowire.BytesType)
	wire = protowire.AppendBytes(wire, protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType),
		protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), span)))
	got, ok := appendTraceJSON(nil, "batches", wire)
	if !ok {
		t.Fatal("the wire encoder gave up")
	}
	var want bytes.Buffer
	if err := marshalBatchesProtojson(&want, "batches", wire); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("got  %s\nwant %s", got, want.Bytes())
	}
}

func excerpt(b []byte, at int) string {
	from := max(at-80, 0)
	return string(b[from:min(at+80, len(b))])
}

// TestWireJSONGivesUp: what the wire encoder does not write exactly as
// protojson it leaves to protojson, and marshalBatches still answers as
// protojson does (an error for invalid UTF-8).
func TestWireJSONGivesUp(t *testing.T) {
	invalid := ptrace.NewTraces()
	invalid.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty().SetName("bad \xff utf-8")

	var m ptrace.ProtoMarshaler
	base, err := m.MarshalTraces(sampleTrace())
	if err != nil {
		t.Fatal(err)
	}
	// Resource spans with an extra field: entity refs (3) in the resource.
	unknown := protowire.AppendTag(nil, 1, protowire.BytesType)
	rs := protowire.AppendTag(nil, 1, protowire.BytesType)
	rs = protowire.AppendBytes(rs, protowire.AppendBytes(protowire.AppendTag(nil, 3, protowire.BytesType), []byte{}))
	unknown = protowire.AppendBytes(unknown, rs)
	// A span name twice (proto keeps the last).
	span := protowire.AppendString(protowire.AppendTag(nil, 5, protowire.BytesType), "a")
	span = protowire.AppendString(protowire.AppendTag(span, 5, protowire.BytesType), "b")
	twice := protowire.AppendTag(nil, 1, protowire.BytesType)
	twice = protowire.AppendBytes(twice, protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType),
		protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), span)))
	// A value both string and int.
	value := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "s")
	value = protowire.AppendVarint(protowire.AppendTag(value, 3, protowire.VarintType), 1)
	kv := protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), value)
	both := protowire.AppendTag(nil, 1, protowire.BytesType)
	both = protowire.AppendBytes(both, protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType),
		protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), kv)))
	// Arrays nested deeper than the encoder goes.
	deep := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "leaf")
	for range maxWireDepth {
		arr := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), deep)
		deep = protowire.AppendBytes(protowire.AppendTag(nil, 5, protowire.BytesType), arr)
	}
	deepKV := protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), deep)
	deepTD := protowire.AppendTag(nil, 1, protowire.BytesType)
	deepTD = protowire.AppendBytes(deepTD, protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType),
		protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), deepKV)))

	for _, tc := range []struct {
		name string
		wire []byte
	}{
		{"invalid utf-8", mustWire(t, invalid)},
		{"unknown field", unknown},
		{"singular field twice", twice},
		{"two oneof members", both},
		{"nested too deep", deepTD},
		{"truncated", base[:len(base)-3]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := appendTraceJSON(nil, "batches", tc.wire); ok {
				t.Fatal("written, want the protojson path")
			}
		})
	}
	if _, ok := appendTraceJSON(nil, "batches", base); !ok {
		t.Fatal("a plain trace was not written")
	}
	want, werr := viaProtojson(t, "batches", invalid)
	got, gerr := MarshalTraceV1JSON(invalid)
	if werr == nil || gerr == nil || werr.Error() != gerr.Error() || len(got) != 0 && !bytes.Equal(got, want) {
		t.Fatalf("invalid UTF-8: %v / %v, want protojson's error", gerr, werr)
	}
}

func mustWire(t *testing.T, td ptrace.Traces) []byte {
	t.Helper()
	var m ptrace.ProtoMarshaler
	b, err := m.MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
