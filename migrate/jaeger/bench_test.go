package jaeger

import (
	"context"
	"testing"

	"github.com/tempoctl/tempoctl/migrate/jaeger/jaegertest"
	"github.com/tempoctl/tempoctl/model"
)

// Decoding is the per-trace CPU cost of a migration: UI JSON through the
// translator (v1, UI exports) and OTLP JSON (api/v3).
func BenchmarkParseUITrace(b *testing.B) {
	raw := jsonData(b, fixture(b, "v1/trace-cf65ef4defcce38b8165c065c04c5e9e-raw.json"))[0]
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	spans := 0
	for b.Loop() {
		_, td, err := ParseUITrace(raw)
		if err != nil {
			b.Fatal(err)
		}
		spans += td.SpanCount()
	}
	b.ReportMetric(float64(spans)/b.Elapsed().Seconds(), "spans/s")
}

func BenchmarkParseV3Result(b *testing.B) {
	raw := fixture(b, "v3/search-frontend-num20.json")
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	spans := 0
	for b.Loop() {
		trs, err := ParseV3Result(raw)
		if err != nil {
			b.Fatal(err)
		}
		for _, tr := range trs {
			spans += tr.Data.SpanCount()
		}
	}
	b.ReportMetric(float64(spans)/b.Elapsed().Seconds(), "spans/s")
}

// BenchmarkMigrate runs the whole pipeline against the fake Jaeger (on
// loopback) into a discarding sink: enumeration, fetch by ID, decoding.
func BenchmarkMigrate(b *testing.B) {
	for _, v := range []APIVersion{"v3", "v1"} {
		b.Run(string(v), func(b *testing.B) {
			fake := startFake(b, jaegertest.Options{})
			api := probe(b, fake.URL, v)
			spans := 0
			for b.Loop() {
				sum, err := Run(context.Background(), Config{API: api, SourceName: fake.URL, Window: fixtureWindow, Sink: &discardSink{}})
				if err != nil || sum.Traces != 300 {
					b.Fatalf("%v, %d traces", err, sum.Traces)
				}
				spans += sum.Spans
			}
			b.ReportMetric(float64(spans)/b.Elapsed().Seconds(), "spans/s")
		})
	}
}

type discardSink struct{ n int }

func (s *discardSink) Add(Trace)                                  { s.n++ }
func (s *discardSink) Full() bool                                 { return false }
func (s *discardSink) Buffered() int                              { return s.n }
func (s *discardSink) Flush(context.Context) (FlushResult, error) { s.n = 0; return FlushResult{}, nil }
func (s *discardSink) Has(context.Context, model.TraceID) (bool, bool, error) {
	return false, false, nil
}
func (s *discardSink) Close(context.Context) error { return nil }
func (s *discardSink) Describe() string            { return "discard" }
