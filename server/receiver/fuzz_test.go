package receiver

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	"github.com/jaegertracing/jaeger-idl/thrift-gen/jaeger"

	"github.com/jaegertracing/jaeger-idl/model/v1"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// The fuzz targets call the decoders directly, without guardDecode, so a
// panic in our code or a translator's fails the fuzzer. Every input must
// either decode or return a client error (badRequestError → 400).
//
// testdata/fuzz/<Target>/ holds the committed seed corpus; regenerate it
// from the test fixtures with -update-seeds (inputs the fuzzer found and
// that once failed are kept there under their own names, not regenerated).

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the fuzz seed corpus from the test fixtures")

func FuzzOTLPHTTP(f *testing.F) {
	for _, s := range otlpSeeds(f) {
		f.Add(s.data, s.flag)
	}
	f.Fuzz(func(t *testing.T, body []byte, isJSON bool) {
		enc := otlpProto
		if isJSON {
			enc = otlpJSON
		}
		td, err := decodeOTLP(enc, body)
		checkDecoded(t, td, err)
	})
}

func FuzzZipkinV2(f *testing.F) {
	for _, s := range zipkinV2Seeds(f) {
		f.Add(s.data, s.flag)
	}
	dec := newZipkinDecoder(false)
	f.Fuzz(func(t *testing.T, body []byte, isProto bool) {
		format := zipkinV2JSON
		if isProto {
			format = zipkinV2Proto
		}
		td, err := dec.decode(format, false, body)
		checkDecoded(t, td, err)
	})
}

func FuzzZipkinV1(f *testing.F) {
	for _, s := range zipkinV1Seeds(f) {
		f.Add(s.data, s.flag)
	}
	dec := newZipkinDecoder(true) // parse_string_tags adds a code path
	f.Fuzz(func(t *testing.T, body []byte, isThrift bool) {
		format := zipkinV1JSON
		if isThrift {
			format = zipkinV1Thrift
		}
		td, err := dec.decode(format, false, body)
		checkDecoded(t, td, err)
	})
}

func FuzzJaegerThrift(f *testing.F) {
	for _, s := range jaegerThriftSeeds(f) {
		f.Add(s.data)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		td, err := decodeJaegerThrift(body)
		checkDecoded(t, td, err)
	})
}

// FuzzJaegerProto decodes PostSpans request bodies as the Jaeger gRPC
// receiver does (jaeger-idl's generated Unmarshal, then the translator),
// without guardDecode: gRPC does not recover handler panics, so one would
// end the process were the guard ever missing.
func FuzzJaegerProto(f *testing.F) {
	for _, s := range jaegerProtoSeeds(f) {
		f.Add(s.data)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		td, err := decodePostSpans(body)
		checkDecoded(t, td, err)
	})
}

// checkDecoded asserts the decoder's contract: a client error, or traces
// that can be encoded again (so nothing half-built reaches the pusher).
func checkDecoded(t *testing.T, td ptrace.Traces, err error) {
	t.Helper()
	if err != nil {
		if f := classify(err, DefaultRetryAfter); f.httpStatus != 400 {
			t.Fatalf("decode error answered %d, want 400: %v", f.httpStatus, err)
		}
		return
	}
	if _, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto(); err != nil {
		t.Fatalf("decoded traces do not encode: %v", err)
	}
}

type fuzzSeed struct {
	name string
	data []byte
	flag bool
}

func otlpSeeds(tb testing.TB) []fuzzSeed {
	return []fuzzSeed{
		{"proto", otlpBody(tb, false), false},
		{"json", otlpBody(tb, true), true},
		{"sdk-proto", sdkOTLPBody(tb, false), false},
		{"sdk-json", sdkOTLPBody(tb, true), true},
		{"empty-json", []byte(`{}`), true},
		{"json-hex-ids", []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"x","kind":2,"attributes":[{"key":"k","value":{"arrayValue":{"values":[{"intValue":"7"},{"kvlistValue":{"values":[{"key":"n","value":{"doubleValue":1.5}}]}}]}}}]}]}]}]}`), true},
	}
}

// sdkOTLPBody is the SDK fixture trace in OTLP, for richer seeds.
func sdkOTLPBody(tb testing.TB, json bool) []byte {
	tb.Helper()
	spans := makeSDKSpans(tb)
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	for _, s := range spans {
		d := ss.Spans().AppendEmpty()
		d.SetTraceID([16]byte(s.SpanContext().TraceID()))
		d.SetSpanID([8]byte(s.SpanContext().SpanID()))
		d.SetParentSpanID([8]byte(s.Parent().SpanID()))
		d.SetName(s.Name())
		d.SetKind(ptrace.SpanKind(s.SpanKind()))
		for _, kv := range s.Attributes() {
			d.Attributes().PutStr(string(kv.Key), kv.Value.Emit())
		}
		for _, e := range s.Events() {
			d.Events().AppendEmpty().SetName(e.Name)
		}
		for _, l := range s.Links() {
			d.Links().AppendEmpty().SetSpanID([8]byte(l.SpanContext.SpanID()))
		}
	}
	req := ptraceotlp.NewExportRequestFromTraces(td)
	var (
		b   []byte
		err error
	)
	if json {
		b, err = req.MarshalJSON()
	} else {
		b, err = req.MarshalProto()
	}
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func zipkinV2Seeds(tb testing.TB) []fuzzSeed {
	return []fuzzSeed{
		{"json", []byte(sampleZipkinV2JSON), false},
		{"proto", sampleZipkinV2Proto(tb), true},
		{"json-empty", []byte(`[]`), false},
		{"json-null-span", []byte(`[null, {"traceId":"1","id":"2"}]`), false},
		{"json-status-tags", []byte(`[{"traceId":"463ac35c9f6413ad","id":"a2fb4a1d1a96d312","tags":{"otel.status_code":"OK","otlp.link.0":"5b8efff798038103d269b633813fc60c|eee19b7ec3c1b174||{}|0"},"annotations":[{"timestamp":1,"value":"ev|{\"a\":1}|0"}]}]`), false},
	}
}

func zipkinV1Seeds(tb testing.TB) []fuzzSeed {
	return []fuzzSeed{
		{"json", []byte(sampleZipkinV1JSON), false},
		{"thrift", sampleZipkinV1Thrift(tb), true},
		{"json-empty", []byte(`[]`), false},
	}
}

func jaegerThriftSeeds(tb testing.TB) []fuzzSeed {
	return []fuzzSeed{
		{"batch", encodeThriftBatch(tb, jaegerThriftBatch()), false},
		{"empty-batch", encodeThriftBatch(tb, &jaeger.Batch{Process: &jaeger.Process{ServiceName: "empty"}}), false},
	}
}

func jaegerProtoSeeds(tb testing.TB) []fuzzSeed {
	tb.Helper()
	enc := func(b model.Batch) []byte {
		out, err := (&api_v2.PostSpansRequest{Batch: b}).Marshal()
		if err != nil {
			tb.Fatal(err)
		}
		return out
	}
	return []fuzzSeed{
		{"batch", enc(jaegerProtoBatch()), false},
		{"empty-batch", enc(model.Batch{Process: &model.Process{ServiceName: "empty"}}), false},
	}
}

// TestFuzzSeedCorpus keeps testdata/fuzz in step with the fixtures: with
// -update-seeds it writes the files, otherwise it checks they exist.
func TestFuzzSeedCorpus(t *testing.T) {
	targets := map[string][]fuzzSeed{
		"FuzzOTLPHTTP":     otlpSeeds(t),
		"FuzzZipkinV2":     zipkinV2Seeds(t),
		"FuzzZipkinV1":     zipkinV1Seeds(t),
		"FuzzJaegerThrift": jaegerThriftSeeds(t),
		"FuzzJaegerProto":  jaegerProtoSeeds(t),
	}
	for target, seeds := range targets {
		for _, s := range seeds {
			path := filepath.Join("testdata", "fuzz", target, "seed-"+s.name)
			if !*updateSeeds {
				if _, err := os.Stat(path); err != nil {
					t.Errorf("seed %s missing; run go test -run TestFuzzSeedCorpus -update-seeds", path)
				}
				continue
			}
			content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s.data)
			if target != "FuzzJaegerThrift" && target != "FuzzJaegerProto" {
				content += fmt.Sprintf("bool(%v)\n", s.flag)
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
