package distributor

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/server/overrides"
)

// keeper is an ingester that keeps what it is given, decoded.
type keeper struct{ got []ptrace.Traces }

func (k *keeper) Push(_ context.Context, _ string, b *otlpwire.Batch) error {
	var um ptrace.ProtoUnmarshaler
	td, err := um.UnmarshalTraces(b.Raw)
	if err != nil {
		return err
	}
	k.got = append(k.got, td)
	return nil
}

// TestMaxAttributeBytesTruncates: keys and string values longer than
// max_attribute_bytes, wherever they are (resource, scope, span, event,
// link, nested in arrays and maps), are cut to the limit at a UTF-8
// boundary; the request is accepted and everything else is kept as sent.
func TestMaxAttributeBytesTruncates(t *testing.T) {
	long := strings.Repeat("a", 40)
	utf := strings.Repeat("é", 20) // 2 bytes a rune: 40 bytes
	tests := []struct {
		name      string
		max       int
		set       func(td ptrace.Traces)
		check     func(t *testing.T, td ptrace.Traces)
		truncated int
	}{
		{"short attributes untouched", 16,
			func(td ptrace.Traces) { span(td).Attributes().PutStr("k", "short") },
			func(t *testing.T, td ptrace.Traces) { wantStr(t, span(td).Attributes(), "k", "short") }, 0},
		{"span value", 16,
			func(td ptrace.Traces) { span(td).Attributes().PutStr("k", long) },
			func(t *testing.T, td ptrace.Traces) { wantStr(t, span(td).Attributes(), "k", long[:16]) }, 1},
		{"span key", 16,
			func(td ptrace.Traces) { span(td).Attributes().PutInt(long, 7) },
			func(t *testing.T, td ptrace.Traces) {
				v, ok := span(td).Attributes().Get(long[:16])
				if !ok || v.Int() != 7 || span(td).Attributes().Len() != 1 {
					t.Errorf("attributes %v, want {%s: 7}", span(td).Attributes().AsRaw(), long[:16])
				}
			}, 1},
		{"utf-8 boundary", 15,
			func(td ptrace.Traces) { span(td).Attributes().PutStr("k", utf) },
			func(t *testing.T, td ptrace.Traces) { wantStr(t, span(td).Attributes(), "k", utf[:14]) }, 1},
		{"resource, scope, event, link", 16,
			func(td ptrace.Traces) {
				rs := td.ResourceSpans().At(0)
				rs.Resource().Attributes().PutStr("r", long)
				rs.ScopeSpans().At(0).Scope().Attributes().PutStr("s", long)
				span(td).Events().AppendEmpty().Attributes().PutStr("e", long)
				l := span(td).Links().AppendEmpty()
				l.SetTraceID(pcommon.TraceID{1, 2})
				l.SetSpanID(pcommon.SpanID{3})
				l.Attributes().PutStr("l", long)
			},
			func(t *testing.T, td ptrace.Traces) {
				rs := td.ResourceSpans().At(0)
				wantStr(t, rs.Resource().Attributes(), "r", long[:16])
				wantStr(t, rs.ScopeSpans().At(0).Scope().Attributes(), "s", long[:16])
				wantStr(t, span(td).Events().At(0).Attributes(), "e", long[:16])
				wantStr(t, span(td).Links().At(0).Attributes(), "l", long[:16])
			}, 4},
		{"nested in array and map", 16,
			func(td ptrace.Traces) {
				sl := span(td).Attributes().PutEmptySlice("arr")
				sl.AppendEmpty().SetStr(long)
				sl.AppendEmpty().SetInt(1)
				span(td).Attributes().PutEmptyMap("m").PutStr("inner", long)
			},
			func(t *testing.T, td ptrace.Traces) {
				raw := span(td).Attributes().AsRaw()
				if arr := raw["arr"].([]any); arr[0] != long[:16] || arr[1] != int64(1) {
					t.Errorf("arr %v", arr)
				}
				if m := raw["m"].(map[string]any); m["inner"] != long[:16] {
					t.Errorf("m %v", m)
				}
			}, 2},
		{"limit 0 keeps everything", 0,
			func(td ptrace.Traces) { span(td).Attributes().PutStr("k", long) },
			func(t *testing.T, td ptrace.Traces) { wantStr(t, span(td).Attributes(), "k", long) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			td := ptrace.NewTraces()
			s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
			s.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
			s.SetSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
			s.SetName("op")
			tt.set(td)

			k := &keeper{}
			d := New(k, mustOverrides(t, overrides.Limits{}), nil, nil)
			d.SetMaxAttributeBytes(tt.max)
			if err := d.Push(context.Background(), "acme", batch(t, td)); err != nil {
				t.Fatal(err)
			}
			if len(k.got) != 1 || k.got[0].SpanCount() != 1 {
				t.Fatalf("pushed %d requests", len(k.got))
			}
			got := k.got[0]
			if span(got).Name() != "op" || span(got).SpanID() != s.SpanID() || span(got).TraceID() != s.TraceID() {
				t.Errorf("span changed: %s %s %s", span(got).Name(), span(got).TraceID(), span(got).SpanID())
			}
			tt.check(t, got)
			if v := testutil.ToFloat64(d.truncated.WithLabelValues("acme")); v != float64(tt.truncated) {
				t.Errorf("tempo_distributor_attributes_truncated_total %v, want %d", v, tt.truncated)
			}
		})
	}
}

func span(td ptrace.Traces) ptrace.Span {
	return td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
}

func wantStr(t *testing.T, m pcommon.Map, k, want string) {
	t.Helper()
	v, ok := m.Get(k)
	if !ok || v.Str() != want {
		t.Errorf("%s = %q, want %q", k, v.AsString(), want)
	}
}
