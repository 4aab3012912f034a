package loadgen

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/server/pusher"
	"github.com/tempoctl/tempoctl/server/receiver"
)

// countingPusher stands in for the distributor behind real receivers.
type countingPusher struct {
	spans   atomic.Int64
	mu      sync.Mutex
	tenants map[string]int
	refuse  bool
	// refuseEvery > 0 refuses every refuseEvery-th request.
	refuseEvery int
	requests    int
	accepted    []string // trace IDs of accepted requests
	resources   []int    // per accepted request
	keepRaw     bool
	raw         [][]byte // copies of the accepted requests, with keepRaw
}

func (p *countingPusher) Push(_ context.Context, tenant string, b *otlpwire.Batch) error {
	if p.refuse {
		return &pusher.LimitError{Tenant: tenant, Limit: "test", Detail: "refused"}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests++
	if p.refuseEvery > 0 && p.requests%p.refuseEvery == 0 {
		return &pusher.LimitError{Tenant: tenant, Limit: "test", Detail: "refused"}
	}
	p.spans.Add(int64(b.SpanCount))
	p.tenants[tenant]++
	p.resources = append(p.resources, len(b.Resources))
	if p.keepRaw {
		p.raw = append(p.raw, bytes.Clone(b.Raw))
	}
	for _, tr := range b.Traces {
		p.accepted = append(p.accepted, tr.ID.String())
	}
	return nil
}

func startReceivers(t *testing.T, p pusher.Pusher) *receiver.Receivers {
	t.Helper()
	cfg := receiver.Config{OTLP: &receiver.OTLPConfig{Protocols: receiver.OTLPProtocols{
		GRPC: &receiver.GRPCServerConfig{Endpoint: "127.0.0.1:0"},
		HTTP: &receiver.OTLPHTTPConfig{HTTPServerConfig: receiver.HTTPServerConfig{Endpoint: "127.0.0.1:0"}},
	}}}
	r, err := receiver.New(cfg, p, receiver.Options{MultitenancyEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Stop(context.Background()) })
	return r
}

func TestRunSendsWhatItReports(t *testing.T) {
	p := &countingPusher{tenants: map[string]int{}}
	r := startReceivers(t, p)
	for _, tc := range []struct {
		protocol, endpoint string
	}{
		{"grpc", r.Addr("otlp/grpc")},
		{"http", "http://" + r.Addr("otlp/http")},
	} {
		t.Run(tc.protocol, func(t *testing.T) {
			before := p.spans.Load()
			res, err := Run(context.Background(), Config{Endpoint: tc.endpoint, Protocol: tc.protocol, Tenant: "acme", Traces: 200, BatchSpans: 100, Connections: 2})
			if err != nil {
				t.Fatal(err)
			}
			if res.TracesAccepted != 200 || res.Failed != 0 {
				t.Fatalf("result %+v", res)
			}
			if got := p.spans.Load() - before; got != res.SpansAccepted || got == 0 {
				t.Fatalf("server got %d spans, loadgen reports %d", got, res.SpansAccepted)
			}
			if p.tenants["acme"] == 0 {
				t.Fatalf("tenant header not sent: %v", p.tenants)
			}
			if res.P50 <= 0 || res.P99 < res.P50 {
				t.Fatalf("latencies %v %v", res.P50, res.P99)
			}
		})
	}
}

func TestRunCountsRefusals(t *testing.T) {
	p := &countingPusher{tenants: map[string]int{}, refuse: true}
	r := startReceivers(t, p)
	res, err := Run(context.Background(), Config{Endpoint: r.Addr("otlp/grpc"), Tenant: "t", Duration: 300 * time.Millisecond, Connections: 1, BatchSpans: 50})
	if err == nil || res.Errors["grpc ResourceExhausted"] == 0 || res.SpansAccepted != 0 {
		t.Fatalf("err %v result %+v", err, res)
	}
}

// --ids-file's engine: the IDs written are exactly those of the traces the
// server accepted, refused requests' traces left out.
func TestRunWritesAcceptedTraceIDs(t *testing.T) {
	p := &countingPusher{tenants: map[string]int{}, refuseEvery: 3}
	r := startReceivers(t, p)
	var out bytes.Buffer
	res, err := Run(context.Background(), Config{Endpoint: r.Addr("otlp/grpc"), Tenant: "acme", Traces: 300, BatchSpans: 100, Connections: 2, IDs: &out})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed == 0 || res.TracesAccepted == 0 || res.TracesAccepted == 300 {
		t.Fatalf("want some refused requests: %+v", res)
	}
	got := strings.Fields(out.String())
	for _, id := range got {
		if _, err := model.ParseTraceID(id); err != nil || len(id) != 32 {
			t.Fatalf("line %q: %v", id, err)
		}
	}
	if !strings.HasSuffix(out.String(), "\n") || int64(len(got)) != res.TracesAccepted {
		t.Fatalf("%d IDs written, %d traces accepted", len(got), res.TracesAccepted)
	}
	p.mu.Lock()
	want := slices.Clone(p.accepted)
	p.mu.Unlock()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("IDs written differ from the accepted traces:\n%v\n%v", got, want)
	}
}

// TestShapes: exporter-shaped requests carry one resource per service (the
// generator draws from 6), trace-shaped ones one per trace and service; both
// send every span.
func TestShapes(t *testing.T) {
	for _, tc := range []struct {
		shape          string
		minRes, maxRes int
	}{
		{ShapeExporter, 1, 6},
		{ShapeTrace, 20, 1 << 20},
	} {
		t.Run(tc.shape, func(t *testing.T) {
			p := &countingPusher{tenants: map[string]int{}}
			r := startReceivers(t, p)
			res, err := Run(context.Background(), Config{Endpoint: r.Addr("otlp/grpc"), Tenant: "acme", Traces: 300, BatchSpans: 500, Connections: 1, Shape: tc.shape})
			if err != nil {
				t.Fatal(err)
			}
			if res.SpansAccepted == 0 || p.spans.Load() != res.SpansAccepted {
				t.Fatalf("server got %d spans, the tool reports %d accepted", p.spans.Load(), res.SpansAccepted)
			}
			if len(p.accepted) != 300 {
				t.Errorf("server saw %d traces, want 300", len(p.accepted))
			}
			// The last request is a remainder: judge the full ones.
			full := p.resources[:len(p.resources)-1]
			if len(full) == 0 {
				t.Fatal("want several requests")
			}
			for i, n := range full {
				if n < tc.minRes || n > tc.maxRes {
					t.Errorf("request %d has %d resources, want %d..%d", i, n, tc.minRes, tc.maxRes)
				}
			}
		})
	}
	if _, err := Run(context.Background(), Config{Endpoint: "127.0.0.1:1", Shape: "square"}); err == nil || !strings.Contains(err.Error(), "square") {
		t.Errorf("unknown shape: err = %v", err)
	}
}

// TestTracesAreRealistic: what the tool sends has database spans with db.*
// attributes besides the HTTP ones, and span trees that are chains (as
// deep as the trace has spans) and fan-outs (as wide) besides random ones.
func TestTracesAreRealistic(t *testing.T) {
	p := &countingPusher{tenants: map[string]int{}, keepRaw: true}
	r := startReceivers(t, p)
	if _, err := Run(context.Background(), Config{Endpoint: r.Addr("otlp/grpc"), Tenant: "acme", Traces: 400, Connections: 1}); err != nil {
		t.Fatal(err)
	}
	parents := map[pcommon.TraceID]map[pcommon.SpanID]pcommon.SpanID{}
	dbSpans, httpSpans := 0, 0
	var u ptrace.ProtoUnmarshaler
	for _, raw := range p.raw {
		td, err := u.UnmarshalTraces(raw)
		if err != nil {
			t.Fatal(err)
		}
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			for j := 0; j < rss.At(i).ScopeSpans().Len(); j++ {
				spans := rss.At(i).ScopeSpans().At(j).Spans()
				for k := 0; k < spans.Len(); k++ {
					s := spans.At(k)
					if _, ok := s.Attributes().Get("db.query.text"); ok {
						dbSpans++
					}
					if _, ok := s.Attributes().Get("http.request.method"); ok {
						httpSpans++
					}
					if parents[s.TraceID()] == nil {
						parents[s.TraceID()] = map[pcommon.SpanID]pcommon.SpanID{}
					}
					parents[s.TraceID()][s.SpanID()] = s.ParentSpanID()
				}
			}
		}
	}
	if dbSpans == 0 || httpSpans == 0 {
		t.Errorf("%d database spans and %d HTTP spans, want both", dbSpans, httpSpans)
	}
	chains, fanOuts := 0, 0
	for _, ps := range parents {
		n := len(ps)
		if n < 8 {
			continue
		}
		children := map[pcommon.SpanID]int{}
		for _, parent := range ps {
			if !parent.IsEmpty() {
				children[parent]++
			}
		}
		if len(children) == n-1 { // every span but the leaf has one child
			chains++
		}
		if len(children) == 1 { // every span hangs off the root
			fanOuts++
		}
	}
	if chains == 0 || fanOuts == 0 {
		t.Errorf("%d chains and %d fan-outs among %d traces, want both", chains, fanOuts, len(parents))
	}
}
