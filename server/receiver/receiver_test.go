package receiver

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/grafana/dskit/user"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/tempoctl/tempoctl/model/otlpwire"
)

// recordingPusher stands in for the distributor: it keeps what it was
// given, or fails with err.
type recordingPusher struct {
	mu     sync.Mutex
	pushes []recordedPush
	err    error
}

type recordedPush struct {
	tenant string
	orgID  bool // the context carried the tenant as dskit org ID
	td     ptrace.Traces
}

func (p *recordingPusher) Push(ctx context.Context, tenant string, b *otlpwire.Batch) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	var um ptrace.ProtoUnmarshaler
	td, err := um.UnmarshalTraces(b.Raw)
	if err != nil {
		return err
	}
	p.pushes = append(p.pushes, recordedPush{tenant: tenant, orgID: orgIDIs(ctx, tenant), td: td})
	return nil
}

func (p *recordingPusher) setErr(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.err = err
}

func (p *recordingPusher) reset() []recordedPush {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.pushes
	p.pushes = nil
	return out
}

// receivedSpan is a span as pushed, with its resource and scope.
type receivedSpan struct {
	tenant   string
	span     ptrace.Span
	resource pcommon.Resource
	scope    pcommon.InstrumentationScope
}

// spansBySpanID flattens pushes so tests can look spans up by ID.
func spansBySpanID(pushes []recordedPush) map[pcommon.SpanID]receivedSpan {
	out := map[pcommon.SpanID]receivedSpan{}
	for _, p := range pushes {
		rss := p.td.ResourceSpans()
		for i := range rss.Len() {
			rs := rss.At(i)
			for j := range rs.ScopeSpans().Len() {
				ss := rs.ScopeSpans().At(j)
				for k := range ss.Spans().Len() {
					s := ss.Spans().At(k)
					out[s.SpanID()] = receivedSpan{tenant: p.tenant, span: s, resource: rs.Resource(), scope: ss.Scope()}
				}
			}
		}
	}
	return out
}

// allReceivers enables every receiver on a free loopback port.
func allReceivers() Config {
	return Config{
		OTLP: &OTLPConfig{Protocols: OTLPProtocols{
			GRPC: &GRPCServerConfig{Endpoint: "127.0.0.1:0"},
			HTTP: &OTLPHTTPConfig{HTTPServerConfig: HTTPServerConfig{Endpoint: "127.0.0.1:0"}},
		}},
		Zipkin: &ZipkinConfig{HTTPServerConfig: HTTPServerConfig{Endpoint: "127.0.0.1:0"}},
		Jaeger: &JaegerConfig{Protocols: JaegerProtocols{
			GRPC:       &GRPCServerConfig{Endpoint: "127.0.0.1:0"},
			ThriftHTTP: &HTTPServerConfig{Endpoint: "127.0.0.1:0"},
		}},
	}
}

// startReceivers runs cfg against a fresh recording pusher until the test
// ends.
func startReceivers(t testing.TB, cfg Config, opts Options) (*Receivers, *recordingPusher) {
	t.Helper()
	p := &recordingPusher{}
	r, err := New(cfg, p, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return r, p
}

var testStart = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// makeSDKSpans produces a small trace with real OpenTelemetry SDK spans:
// every span kind, typed attributes, an error status, events and a link.
// The IDs are random, so each call gives a new trace.
func makeSDKSpans(t testing.TB) []sdktrace.ReadOnlySpan {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	res := resource.NewSchemaless(
		attribute.String("service.name", "checkout"),
		attribute.String("deployment.environment", "test"),
	)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithResource(res))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	tr := tp.Tracer("shop/checkout", trace.WithInstrumentationVersion("1.2.3"))

	at := func(d time.Duration) trace.SpanStartEventOption { return trace.WithTimestamp(testStart.Add(d)) }
	ctx, root := tr.Start(context.Background(), "POST /checkout", trace.WithSpanKind(trace.SpanKindServer), at(0),
		trace.WithAttributes(
			attribute.String("http.request.method", "POST"),
			attribute.Int("http.response.status_code", 200),
			attribute.Bool("cache.hit", false),
			attribute.Float64("cart.total", 99.5),
			attribute.StringSlice("cart.items", []string{"a", "b"}),
		))
	cctx, db := tr.Start(ctx, "SELECT orders", trace.WithSpanKind(trace.SpanKindClient), at(time.Millisecond),
		trace.WithAttributes(attribute.String("db.system", "postgresql")))
	db.AddEvent("exception", trace.WithTimestamp(testStart.Add(2*time.Millisecond)),
		trace.WithAttributes(attribute.String("exception.message", "deadlock"), attribute.Int("attempt", 2)))
	db.SetStatus(codes.Error, "deadlock detected")
	db.End(trace.WithTimestamp(testStart.Add(3 * time.Millisecond)))
	_, internal := tr.Start(cctx, "price", trace.WithSpanKind(trace.SpanKindInternal), at(4*time.Millisecond),
		trace.WithLinks(trace.Link{SpanContext: root.SpanContext(), Attributes: []attribute.KeyValue{attribute.String("link.why", "batch")}}))
	internal.AddEvent("computed", trace.WithTimestamp(testStart.Add(5*time.Millisecond)))
	internal.End(trace.WithTimestamp(testStart.Add(6 * time.Millisecond)))
	_, prod := tr.Start(ctx, "publish order", trace.WithSpanKind(trace.SpanKindProducer), at(7*time.Millisecond))
	prod.SetStatus(codes.Ok, "")
	prod.End(trace.WithTimestamp(testStart.Add(8 * time.Millisecond)))
	_, cons := tr.Start(ctx, "consume order", trace.WithSpanKind(trace.SpanKindConsumer), at(9*time.Millisecond))
	cons.End(trace.WithTimestamp(testStart.Add(10 * time.Millisecond)))
	root.End(trace.WithTimestamp(testStart.Add(11 * time.Millisecond)))
	return rec.Ended()
}

// checkOTLPSpan asserts that an SDK span arrived through an OTLP receiver
// with nothing lost.
func checkOTLPSpan(t *testing.T, want sdktrace.ReadOnlySpan, got receivedSpan) {
	t.Helper()
	name := want.Name()
	s := got.span
	if tid := want.SpanContext().TraceID(); s.TraceID() != pcommon.TraceID(tid) {
		t.Errorf("%s: trace ID %s, want %s", name, s.TraceID(), tid)
	}
	if pid := want.Parent().SpanID(); s.ParentSpanID() != pcommon.SpanID(pid) {
		t.Errorf("%s: parent %s, want %s", name, s.ParentSpanID(), pid)
	}
	if s.Name() != name {
		t.Errorf("name %q, want %q", s.Name(), name)
	}
	if got, want := s.Kind(), ptrace.SpanKind(want.SpanKind()); got != want {
		t.Errorf("%s: kind %v, want %v", name, got, want)
	}
	if got, want := s.StartTimestamp().AsTime(), want.StartTime(); !got.Equal(want) {
		t.Errorf("%s: start %v, want %v", name, got, want)
	}
	if got, want := s.EndTimestamp().AsTime(), want.EndTime(); !got.Equal(want) {
		t.Errorf("%s: end %v, want %v", name, got, want)
	}
	checkAttrs(t, name+" attributes", s.Attributes(), want.Attributes())
	checkAttrs(t, name+" resource", got.resource.Attributes(), want.Resource().Attributes())
	checkScope(t, name, got.scope, want.InstrumentationScope())
	if got, want := s.Status().Code(), otlpStatusCode(want.Status().Code); got != want {
		t.Errorf("%s: status %v, want %v", name, got, want)
	}
	if got, want := s.Status().Message(), want.Status().Description; got != want {
		t.Errorf("%s: status message %q, want %q", name, got, want)
	}
	if s.Events().Len() != len(want.Events()) {
		t.Fatalf("%s: %d events, want %d", name, s.Events().Len(), len(want.Events()))
	}
	for i, we := range want.Events() {
		ge := s.Events().At(i)
		if ge.Name() != we.Name || !ge.Timestamp().AsTime().Equal(we.Time) {
			t.Errorf("%s: event %d = %q@%v, want %q@%v", name, i, ge.Name(), ge.Timestamp().AsTime(), we.Name, we.Time)
		}
		checkAttrs(t, fmt.Sprintf("%s event %q", name, we.Name), ge.Attributes(), we.Attributes)
	}
	if s.Links().Len() != len(want.Links()) {
		t.Fatalf("%s: %d links, want %d", name, s.Links().Len(), len(want.Links()))
	}
	for i, wl := range want.Links() {
		gl := s.Links().At(i)
		if gl.TraceID() != pcommon.TraceID(wl.SpanContext.TraceID()) || gl.SpanID() != pcommon.SpanID(wl.SpanContext.SpanID()) {
			t.Errorf("%s: link %d to %s/%s, want %s/%s", name, i, gl.TraceID(), gl.SpanID(), wl.SpanContext.TraceID(), wl.SpanContext.SpanID())
		}
		checkAttrs(t, name+" link", gl.Attributes(), wl.Attributes)
	}
}

func checkScope(t *testing.T, name string, got pcommon.InstrumentationScope, want instrumentation.Scope) {
	t.Helper()
	if got.Name() != want.Name || got.Version() != want.Version {
		t.Errorf("%s: scope %s@%s, want %s@%s", name, got.Name(), got.Version(), want.Name, want.Version)
	}
}

func otlpStatusCode(c codes.Code) ptrace.StatusCode {
	switch c {
	case codes.Ok:
		return ptrace.StatusCodeOk
	case codes.Error:
		return ptrace.StatusCodeError
	}
	return ptrace.StatusCodeUnset
}

// checkAttrs compares typed attributes exactly.
func checkAttrs(t *testing.T, what string, got pcommon.Map, want []attribute.KeyValue) {
	t.Helper()
	if got.Len() != len(want) {
		t.Errorf("%s: %d attributes %v, want %d", what, got.Len(), got.AsRaw(), len(want))
	}
	for _, kv := range want {
		v, ok := got.Get(string(kv.Key))
		if !ok {
			t.Errorf("%s: missing %s", what, kv.Key)
			continue
		}
		if err := sameValue(v, kv.Value); err != nil {
			t.Errorf("%s: %s: %v", what, kv.Key, err)
		}
	}
}

func sameValue(got pcommon.Value, want attribute.Value) error {
	var ok bool
	switch want.Type() {
	case attribute.STRING:
		ok = got.Type() == pcommon.ValueTypeStr && got.Str() == want.AsString()
	case attribute.INT64:
		ok = got.Type() == pcommon.ValueTypeInt && got.Int() == want.AsInt64()
	case attribute.BOOL:
		ok = got.Type() == pcommon.ValueTypeBool && got.Bool() == want.AsBool()
	case attribute.FLOAT64:
		ok = got.Type() == pcommon.ValueTypeDouble && got.Double() == want.AsFloat64()
	case attribute.STRINGSLICE:
		ws := want.AsStringSlice()
		ok = got.Type() == pcommon.ValueTypeSlice && got.Slice().Len() == len(ws)
		for i := 0; ok && i < len(ws); i++ {
			ok = got.Slice().At(i).Str() == ws[i]
		}
	default:
		return fmt.Errorf("test does not compare %v", want.Type())
	}
	if !ok {
		return fmt.Errorf("got %s %q, want %v %q", got.Type(), got.AsString(), want.Type(), want.Emit())
	}
	return nil
}

// checkAllArrived asserts every SDK span arrived once for tenant.
func checkAllArrived(t *testing.T, want []sdktrace.ReadOnlySpan, pushes []recordedPush, tenant string, check func(*testing.T, sdktrace.ReadOnlySpan, receivedSpan)) {
	t.Helper()
	got := spansBySpanID(pushes)
	if len(got) != len(want) {
		t.Errorf("received %d spans, want %d", len(got), len(want))
	}
	for _, p := range pushes {
		if p.tenant != tenant {
			t.Errorf("pushed for tenant %q, want %q", p.tenant, tenant)
		}
		if !p.orgID {
			t.Errorf("push context does not carry tenant %q as org ID", p.tenant)
		}
	}
	for _, w := range want {
		g, ok := got[pcommon.SpanID(w.SpanContext().SpanID())]
		if !ok {
			t.Errorf("span %q (%s) did not arrive", w.Name(), w.SpanContext().SpanID())
			continue
		}
		check(t, w, g)
	}
}

var errBoom = errors.New("boom")

func orgIDIs(ctx context.Context, tenant string) bool {
	id, err := user.ExtractOrgID(ctx)
	return err == nil && id == tenant
}

// wantSpan is what a hand-built span in a native format should become.
type wantSpan struct {
	traceID    pcommon.TraceID
	spanID     pcommon.SpanID
	parent     pcommon.SpanID
	name       string
	kind       ptrace.SpanKind
	service    string
	start, end time.Time
	attrs      map[string]any // a subset of the span's attributes, as AsRaw gives them
	status     ptrace.StatusCode
	statusMsg  string
	events     []string
	links      []pcommon.SpanID
}

func checkWantSpan(t *testing.T, want wantSpan, got receivedSpan) {
	t.Helper()
	s := got.span
	if s.TraceID() != want.traceID || s.SpanID() != want.spanID || s.ParentSpanID() != want.parent {
		t.Errorf("%s: IDs %s/%s parent %s, want %s/%s parent %s", want.name, s.TraceID(), s.SpanID(), s.ParentSpanID(), want.traceID, want.spanID, want.parent)
	}
	if s.Name() != want.name || s.Kind() != want.kind {
		t.Errorf("span %q kind %v, want %q kind %v", s.Name(), s.Kind(), want.name, want.kind)
	}
	if svc := got.resource.Attributes().AsRaw()["service.name"]; svc != want.service {
		t.Errorf("%s: service %v, want %q", want.name, svc, want.service)
	}
	if !s.StartTimestamp().AsTime().Equal(want.start) || !s.EndTimestamp().AsTime().Equal(want.end) {
		t.Errorf("%s: time %v..%v, want %v..%v", want.name, s.StartTimestamp().AsTime(), s.EndTimestamp().AsTime(), want.start, want.end)
	}
	raw := s.Attributes().AsRaw()
	for k, v := range want.attrs {
		if raw[k] != v {
			t.Errorf("%s: attribute %s = %#v, want %#v (all: %v)", want.name, k, raw[k], v, raw)
		}
	}
	if s.Status().Code() != want.status || s.Status().Message() != want.statusMsg {
		t.Errorf("%s: status %v %q, want %v %q", want.name, s.Status().Code(), s.Status().Message(), want.status, want.statusMsg)
	}
	var events []string
	for i := range s.Events().Len() {
		events = append(events, s.Events().At(i).Name())
	}
	if fmt.Sprint(events) != fmt.Sprint(want.events) {
		t.Errorf("%s: events %q, want %q", want.name, events, want.events)
	}
	var links []pcommon.SpanID
	for i := range s.Links().Len() {
		links = append(links, s.Links().At(i).SpanID())
	}
	if fmt.Sprint(links) != fmt.Sprint(want.links) {
		t.Errorf("%s: links to %v, want %v", want.name, links, want.links)
	}
}

// checkOnlySpans asserts pushes hold exactly the wanted spans.
func checkOnlySpans(t *testing.T, pushes []recordedPush, want ...wantSpan) {
	t.Helper()
	got := spansBySpanID(pushes)
	if len(got) != len(want) {
		t.Errorf("received %d spans, want %d", len(got), len(want))
	}
	for _, w := range want {
		g, ok := got[w.spanID]
		if !ok {
			t.Errorf("span %q (%s) did not arrive", w.name, w.spanID)
			continue
		}
		checkWantSpan(t, w, g)
	}
}

// postRaw sends body with a plain HTTP client and returns status and body.
func postRaw(t testing.TB, url string, header map[string]string, body []byte) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func traceIDHex(t testing.TB, s string) pcommon.TraceID {
	var id pcommon.TraceID
	b := mustHex(t, s)
	copy(id[16-len(b):], b)
	return id
}

func spanIDHex(t testing.TB, s string) pcommon.SpanID {
	var id pcommon.SpanID
	copy(id[:], mustHex(t, s))
	return id
}
