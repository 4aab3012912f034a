package otlpwire

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// FuzzParse: never panics; what parses decodes with pdata, whole and per
// trace, with every span accounted for.
func FuzzParse(f *testing.F) {
	f.Add(marshal(f, request(f, 1, 2)))
	f.Add(spanRequest(make([]byte, 16), []byte{1, 2, 3, 4, 5, 6, 7, 8}))
	f.Add([]byte{0x0a, 0x02, 0x12, 0x00})
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
		}
		if n != b.SpanCount {
			t.Fatalf("traces hold %d spans, batch %d", n, b.SpanCount)
		}
	})
}
