package otlpwire

import (
	"errors"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tempoctl/tempoctl/internal/tracecmp"
	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/model"
)

// request builds one export request of n generated traces, with resources
// shared across traces so the index must untangle them.
func request(t testing.TB, seed uint64, n int) ptrace.Traces {
	t.Helper()
	g := tracegen.New(seed, tracegen.Config{Exotic: true})
	td := ptrace.NewTraces()
	for range n {
		_, tr := g.Trace()
		tr.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	}
	return td
}

func marshal(t testing.TB, td ptrace.Traces) []byte {
	t.Helper()
	var m ptrace.ProtoMarshaler
	b, err := m.MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseGroupsSpansByTrace(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		td := request(t, seed, 20)
		b, err := Parse(marshal(t, td))
		if err != nil {
			t.Fatal(err)
		}
		if b.SpanCount != td.SpanCount() {
			t.Fatalf("seed %d: %d spans, want %d", seed, b.SpanCount, td.SpanCount())
		}
		ids, want := model.SplitByTraceID(td)
		if len(b.Traces) != len(ids) {
			t.Fatalf("seed %d: %d traces, want %d", seed, len(b.Traces), len(ids))
		}
		for i, tr := range b.Traces {
			if tr.ID != ids[i] {
				t.Fatalf("seed %d: trace %d is %s, want %s (first-appearance order)", seed, i, tr.ID, ids[i])
			}
			got, err := Traces(Part{B: b, Spans: tr.Spans})
			if err != nil {
				t.Fatal(err)
			}
			if d := tracecmp.Diff(want[tr.ID], got, tracecmp.Options{}, 5); len(d) > 0 {
				t.Fatalf("seed %d trace %s:\n%v", seed, tr.ID, d)
			}
			// The limit's measure bounds what a query of the trace measures,
			// and not loosely.
			var sizer ptrace.ProtoMarshaler
			if size := sizer.TracesSize(got); tr.Bytes < size || tr.Bytes > size+size/10+64 {
				t.Fatalf("seed %d trace %s: measured %d bytes, decoded trace is %d", seed, tr.ID, tr.Bytes, size)
			}
		}
	}
}

func TestPartsFromSeveralBatchesCombine(t *testing.T) {
	td := request(t, 9, 3)
	ids, parts := model.SplitByTraceID(td)
	id := ids[0]
	// The same trace in two requests: half the spans each.
	one := parts[id]
	a, b := ptrace.NewTraces(), ptrace.NewTraces()
	one.CopyTo(a)
	one.CopyTo(b)
	n := 0
	for _, x := range []ptrace.Traces{a, b} {
		keep := n == 0
		x.ResourceSpans().RemoveIf(func(ptrace.ResourceSpans) bool { keep = !keep; return keep })
		n++
	}
	ba, err := Parse(marshal(t, a))
	if err != nil {
		t.Fatal(err)
	}
	bb, err := Parse(marshal(t, b))
	if err != nil {
		t.Fatal(err)
	}
	var ps []Part
	for _, x := range []*Batch{ba, bb} {
		for _, tr := range x.Traces {
			ps = append(ps, Part{B: x, Spans: tr.Spans})
		}
	}
	got, err := Traces(ps...)
	if err != nil {
		t.Fatal(err)
	}
	if got.SpanCount() != a.SpanCount()+b.SpanCount() {
		t.Fatalf("%d spans, want %d", got.SpanCount(), a.SpanCount()+b.SpanCount())
	}
}

// span encodes a span with the given IDs under one resource and scope.
func spanRequest(traceID, spanID []byte, extra ...byte) []byte {
	var sp []byte
	if traceID != nil {
		sp = protowire.AppendTag(sp, 1, protowire.BytesType)
		sp = protowire.AppendBytes(sp, traceID)
	}
	if spanID != nil {
		sp = protowire.AppendTag(sp, 2, protowire.BytesType)
		sp = protowire.AppendBytes(sp, spanID)
	}
	sp = append(sp, extra...)
	var ss []byte
	ss = protowire.AppendTag(ss, 2, protowire.BytesType)
	ss = protowire.AppendBytes(ss, sp)
	var rs []byte
	rs = protowire.AppendTag(rs, 2, protowire.BytesType)
	rs = protowire.AppendBytes(rs, ss)
	var req []byte
	req = protowire.AppendTag(req, 1, protowire.BytesType)
	return protowire.AppendBytes(req, rs)
}

func TestParseRefuses(t *testing.T) {
	tid := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	sid := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	nameAsVarint := protowire.AppendVarint(protowire.AppendTag(nil, 5, protowire.VarintType), 3)
	deep := []byte{}
	for range maxDepth + 2 { // AnyValue{array_value{values{...}}}
		var arr []byte
		arr = protowire.AppendTag(arr, 1, protowire.BytesType)
		arr = protowire.AppendBytes(arr, deep)
		var av []byte
		av = protowire.AppendTag(av, 5, protowire.BytesType)
		deep = protowire.AppendBytes(av, arr)
	}
	var kv []byte
	kv = protowire.AppendTag(kv, 1, protowire.BytesType)
	kv = protowire.AppendString(kv, "k")
	kv = protowire.AppendTag(kv, 2, protowire.BytesType)
	kv = protowire.AppendBytes(kv, deep)
	deepAttr := protowire.AppendBytes(protowire.AppendTag(nil, 9, protowire.BytesType), kv)

	cases := []struct {
		name    string
		raw     []byte
		invalid bool // InvalidError (a rule) rather than MalformedError
		msg     string
	}{
		{"short trace id", spanRequest(tid[:8], sid), true, "trace ids must be 128 bit, received 64 bits"},
		{"no trace id", spanRequest(nil, sid), true, "trace ids must be 128 bit, received 0 bits"},
		{"zero trace id", spanRequest(make([]byte, 16), sid), true, "trace ids must be 128 bit and not all zero, received an all-zero trace id"},
		{"no span id", spanRequest(tid, nil), true, "span ids must be 64 bit and not all zero, received 0 bits (trace 0102030405060708090a0b0c0d0e0f10)"},
		{"zero span id", spanRequest(tid, make([]byte, 8)), true, "span ids must be 64 bit and not all zero, received 64 bits (trace 0102030405060708090a0b0c0d0e0f10)"},
		{"wrong wire type", spanRequest(tid, sid, nameAsVarint...), false, "decode OTLP protobuf: span: wrong wire type 0 for field 5"},
		{"truncated", spanRequest(tid, sid)[:20], false, "decode OTLP protobuf: request: unexpected EOF"},
		{"nested too deep", spanRequest(tid, sid, deepAttr...), false, "decode OTLP protobuf: attribute value nested deeper than 64 levels"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.raw)
			if err == nil {
				t.Fatal("parsed")
			}
			var ie *InvalidError
			var me *MalformedError
			if c.invalid && !errors.As(err, &ie) || !c.invalid && !errors.As(err, &me) {
				t.Fatalf("error %T %v", err, err)
			}
			if err.Error() != c.msg {
				t.Fatalf("error %q, want %q", err, c.msg)
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	b, err := Parse(nil)
	if err != nil || b.SpanCount != 0 || len(b.Traces) != 0 {
		t.Fatalf("%+v %v", b, err)
	}
}
