package otlpwire

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/internal/tracegen"
)

// benchRequest is ~500 spans of exotic generated traces (nested maps and
// arrays, bytes, links), an exporter's batch.
func benchRequest(b *testing.B) []byte {
	td := ptrace.NewTraces()
	for seed := uint64(1); td.SpanCount() < 500; seed++ {
		request(b, seed, 1).ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	}
	return marshal(b, td)
}

// plainRequest is ~500 spans as tempoctl generate makes them: scalar
// attributes, the common case.
func plainRequest(b *testing.B) []byte {
	td := ptrace.NewTraces()
	g := tracegen.New(1, tracegen.Config{})
	for td.SpanCount() < 500 {
		_, tr := g.Trace()
		tr.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	}
	return marshal(b, td)
}

// BenchmarkParse is the write path's whole decode: structure and IDs
// checked, spans grouped by trace, nothing copied.
func BenchmarkParse(b *testing.B) {
	b.Run("exotic", func(b *testing.B) { benchParse(b, benchRequest(b)) })
	b.Run("plain", func(b *testing.B) { benchParse(b, plainRequest(b)) })
}

func benchParse(b *testing.B, raw []byte) {
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
