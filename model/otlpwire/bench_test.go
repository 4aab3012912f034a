package otlpwire

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// benchRequest is ~500 spans of generated traces, an exporter's batch.
func benchRequest(b *testing.B) []byte {
	td := ptrace.NewTraces()
	for seed := uint64(1); td.SpanCount() < 500; seed++ {
		request(b, seed, 1).ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	}
	return marshal(b, td)
}

// BenchmarkParse is the write path's whole decode: structure and IDs
// checked, spans grouped by trace, nothing copied.
func BenchmarkParse(b *testing.B) {
	raw := benchRequest(b)
	n, _ := Parse(raw)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n.SpanCount), "ns/span")
}

// BenchmarkPdataUnmarshal is the reference PERFORMANCE.md quotes: decoding
// the same request into pdata objects.
func BenchmarkPdataUnmarshal(b *testing.B) {
	raw := benchRequest(b)
	var um ptrace.ProtoUnmarshaler
	td, _ := um.UnmarshalTraces(raw)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := um.UnmarshalTraces(raw); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*td.SpanCount()), "ns/span")
}
