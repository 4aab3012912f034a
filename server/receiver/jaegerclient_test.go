package receiver

import (
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	otlog "github.com/opentracing/opentracing-go/log"
	jaegerclient "github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/transport"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestJaegerClientThriftHTTP sends spans with the Jaeger Go client
// (jaeger-client-go: its tracer, remote reporter and HTTP thrift sender)
// to the thrift_http receiver's real port and checks every span arrives
// intact, with 64-bit trace IDs widened to 16 bytes.
func TestJaegerClientThriftHTTP(t *testing.T) {
	r, p := startReceivers(t, allReceivers(), Options{MultitenancyEnabled: true})
	url := "http://" + r.Addr(JaegerThriftHTTP) + JaegerThriftPath

	tests := []struct {
		name   string
		gen128 bool
	}{
		{"64-bit trace IDs", false},
		{"128-bit trace IDs", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.reset()
			sender := transport.NewHTTPTransport(url, transport.HTTPBatchSize(100),
				transport.HTTPHeaders(map[string]string{"X-Scope-OrgID": "team-jc"}))
			tracer, closer := jaegerclient.NewTracer("inventory", jaegerclient.NewConstSampler(true),
				jaegerclient.NewRemoteReporter(sender, jaegerclient.ReporterOptions.BufferFlushInterval(time.Hour)),
				jaegerclient.TracerOptions.Gen128Bit(tt.gen128))

			t0 := time.UnixMicro(1741064767000000).UTC()
			root := tracer.StartSpan("reserve", opentracing.StartTime(t0), ext.SpanKindRPCServer,
				opentracing.Tag{Key: "http.method", Value: "PUT"}, opentracing.Tag{Key: "qty", Value: int64(3)},
				opentracing.Tag{Key: "express", Value: true}, opentracing.Tag{Key: "weight", Value: 1.5})
			child := tracer.StartSpan("db update", opentracing.ChildOf(root.Context()), opentracing.StartTime(t0.Add(time.Millisecond)), ext.SpanKindRPCClient)
			ext.Error.Set(child, true)
			child.LogFields(otlog.String("event", "lock wait"), otlog.Int("ms", 4))
			child.FinishWithOptions(opentracing.FinishOptions{FinishTime: t0.Add(3 * time.Millisecond)})
			other := tracer.StartSpan("notify", opentracing.FollowsFrom(root.Context()), opentracing.StartTime(t0.Add(4*time.Millisecond)), ext.SpanKindConsumer)
			other.FinishWithOptions(opentracing.FinishOptions{FinishTime: t0.Add(5 * time.Millisecond)})
			root.FinishWithOptions(opentracing.FinishOptions{FinishTime: t0.Add(6 * time.Millisecond)})
			// Close flushes the reporter's queue through the sender.
			if err := closer.Close(); err != nil {
				t.Fatal(err)
			}

			ctx := root.Context().(jaegerclient.SpanContext)
			var traceID pcommon.TraceID
			putUint64(traceID[:8], ctx.TraceID().High)
			putUint64(traceID[8:], ctx.TraceID().Low)
			if !tt.gen128 && ctx.TraceID().High != 0 {
				t.Fatalf("client made a 128-bit ID %s", ctx.TraceID())
			}
			spanID := func(s opentracing.Span) pcommon.SpanID {
				var id pcommon.SpanID
				putUint64(id[:], uint64(s.Context().(jaegerclient.SpanContext).SpanID()))
				return id
			}
			rootID := spanID(root)
			pushes := p.reset()
			for _, push := range pushes {
				if push.tenant != "team-jc" {
					t.Errorf("tenant %q, want team-jc", push.tenant)
				}
			}
			checkOnlySpans(t, pushes, wantSpan{
				traceID: traceID, spanID: rootID, name: "reserve", kind: ptrace.SpanKindServer, service: "inventory",
				start: t0, end: t0.Add(6 * time.Millisecond),
				attrs: map[string]any{"http.method": "PUT", "qty": int64(3), "express": true, "weight": 1.5},
			}, wantSpan{
				traceID: traceID, spanID: spanID(child), parent: rootID, name: "db update", kind: ptrace.SpanKindClient, service: "inventory",
				start: t0.Add(time.Millisecond), end: t0.Add(3 * time.Millisecond),
				status: ptrace.StatusCodeError, events: []string{"lock wait"},
			}, wantSpan{
				// The client makes the first reference the parent, follows-from
				// included; the reference itself becomes a link.
				traceID: traceID, spanID: spanID(other), parent: rootID, name: "notify", kind: ptrace.SpanKindConsumer, service: "inventory",
				start: t0.Add(4 * time.Millisecond), end: t0.Add(5 * time.Millisecond),
				links: []pcommon.SpanID{rootID},
			})
		})
	}
}

func putUint64(b []byte, v uint64) {
	for i := range 8 {
		b[7-i] = byte(v >> (8 * i))
	}
}
