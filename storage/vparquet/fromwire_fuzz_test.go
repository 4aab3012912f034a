package vparquet

import (
	"bytes"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/protobuf/encoding/protowire"
)

// FuzzWireFastPaths: keyValue and valueOf read the common encodings
// directly; on any input they must agree with the field walk.
func FuzzWireFastPaths(f *testing.F) {
	for _, seed := range wireValueSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		k1, v1 := keyValue(msg)
		k2, v2 := keyValueWalk(msg)
		if k1 != k2 || !bytes.Equal(v1, v2) || (v1 == nil) != (v2 == nil) {
			t.Fatalf("keyValue(%x) = %q %x, walk %q %x", msg, k1, v1, k2, v2)
		}
		kind1, b1, x1 := valueOf(msg)
		kind2, b2, x2 := valueOfWalk(msg)
		if kind1 != kind2 || !bytes.Equal(b1, b2) || x1 != x2 {
			t.Fatalf("valueOf(%x) = %d %x %d, walk %d %x %d", msg, kind1, b1, x1, kind2, b2, x2)
		}
	})
}

// wireValueSeeds are KeyValue and AnyValue messages as pdata writes them,
// (value first) of every kind, the protobuf runtimes' order (key first),
// and forms the fast paths must leave to the walk.
func wireValueSeeds(t testing.TB) [][]byte {
	td := ptrace.NewTraces()
	attrs := td.ResourceSpans().AppendEmpty().Resource().Attributes()
	attrs.PutStr("service.name", "checkout")
	attrs.PutStr("", "")
	attrs.PutStr("long", string(bytes.Repeat([]byte("x"), 200)))
	attrs.PutInt("int", -1)
	attrs.PutInt("small", 7)
	attrs.PutDouble("pi", 3.14)
	attrs.PutBool("yes", true)
	attrs.PutBool("no", false)
	attrs.PutEmpty("empty")
	attrs.PutEmptyBytes("bytes").FromRaw([]byte{1, 2})
	attrs.PutEmptySlice("arr").AppendEmpty().SetStr("a")
	attrs.PutEmptyMap("map").PutInt("k", 1)
	raw, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	var seeds [][]byte
	// Walk ExportTraceServiceRequest → ResourceSpans(1) → Resource(1) →
	// attributes(1): each KeyValue, and its AnyValue.
	for it := (fieldIter{msg: raw}); it.next(); {
		for it := (fieldIter{msg: it.v}); it.next(); {
			if it.num != 1 {
				continue
			}
			for it := (fieldIter{msg: it.v}); it.next(); {
				if it.num != 1 {
					continue
				}
				_, val := keyValueWalk(it.v)
				seeds = append(seeds, it.v, val)
			}
		}
	}
	// Odd but valid forms: value before key, repeated key, a string value
	// followed by an int (last wins), a multi-byte length, trailing bytes.
	kv := func(fields ...[]byte) []byte { return bytes.Join(fields, nil) }
	str := func(num protowire.Number, s string) []byte {
		return protowire.AppendString(protowire.AppendTag(nil, num, protowire.BytesType), s)
	}
	val := str(1, "v")
	seeds = append(seeds,
		kv(str(2, string(val)), str(1, "k")),
		kv(str(1, "k"), str(2, string(val))),
		kv(str(1, "k")),
		kv(str(2, string(val))),
		kv(str(1, "a"), str(1, "b"), str(2, string(val))),
		kv(str(1, "x"), protowire.AppendVarint(protowire.AppendTag(nil, 3, protowire.VarintType), 5)),
		str(1, string(bytes.Repeat([]byte("y"), 300))),
		kv(str(1, "k"), str(2, string(val)), []byte{0}),
		[]byte{0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		[]byte{0x21, 1, 2, 3},
		[]byte{0x10, 0x80, 0x01},
		nil,
	)
	return seeds
}
