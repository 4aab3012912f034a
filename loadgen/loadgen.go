// Package loadgen sends synthetic traces to an OTLP endpoint at a target rate
// and measures what the server accepted: the engine of `tempoctl generate`
// and of the project's end-to-end benchmarks.
package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/model"
)

// Config says what to send.
type Config struct {
	Endpoint string // host:port (grpc) or http(s)://host:port (http)
	Protocol string // "grpc" (default) or "http"
	Tenant   string // sent as TenantHeader when set
	// TenantHeader defaults to X-Scope-OrgID.
	TenantHeader string
	// Rate in spans/s; 0 = as fast as the server takes them.
	Rate float64
	// Duration or Traces bound the run (whichever comes first; both 0 = 10s).
	Duration time.Duration
	Traces   int
	// BatchSpans is the spans per request (default 500).
	BatchSpans int
	// Connections is the number of concurrent senders (default 4).
	Connections int
	// Shape is how spans are grouped into a request: ShapeExporter
	// (default) or ShapeTrace.
	Shape string
	Seed  uint64
	// IDs, when set, receives the trace ID (32 hex digits and a newline)
	// of every trace in an accepted request, so the traces can be read back;
	// traces of failed requests are not written.
	IDs io.Writer
}

// Request shapes.
const (
	// ShapeExporter groups a request's spans by service, one resource per
	// service, as an SDK exporter or a collector's batch processor sends
	// them: spans of many traces under each resource (~300 bytes a span,
	// a handful of resources per 500-span request).
	ShapeExporter = "exporter"
	// ShapeTrace gives every trace's spans of each service their own
	// resource (~150 resources per 500-span request): the costliest shape
	// for a server to decode and store.
	ShapeTrace = "trace"
)

// Result is what happened.
type Result struct {
	Requests, Failed int64
	SpansSent        int64
	SpansAccepted    int64
	TracesAccepted   int64
	Elapsed          time.Duration
	Errors           map[string]int64 // by kind: gRPC code or HTTP status
	P50, P99, Max    time.Duration    // push latency
}

// SpansPerSecond is the accepted rate.
func (r *Result) SpansPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.SpansAccepted) / r.Elapsed.Seconds()
}

type sender interface {
	send(ctx context.Context, td ptrace.Traces) (kind string, err error)
	close() error
}

// Run sends until the duration or trace count is reached or ctx ends.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.BatchSpans <= 0 {
		cfg.BatchSpans = 500
	}
	if cfg.Connections <= 0 {
		cfg.Connections = 4
	}
	if cfg.Duration <= 0 && cfg.Traces <= 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.TenantHeader == "" {
		cfg.TenantHeader = "X-Scope-OrgID"
	}
	switch cfg.Shape {
	case "":
		cfg.Shape = ShapeExporter
	case ShapeExporter, ShapeTrace:
	default:
		return nil, fmt.Errorf("shape %q: use %s or %s", cfg.Shape, ShapeExporter, ShapeTrace)
	}
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	var lim *rate.Limiter
	if cfg.Rate > 0 {
		lim = rate.NewLimiter(rate.Limit(cfg.Rate), cfg.BatchSpans*2)
	}
	res := &Result{Errors: map[string]int64{}}
	var mu sync.Mutex
	var ids *bufio.Writer
	var idsErr error
	if cfg.IDs != nil {
		ids = bufio.NewWriterSize(cfg.IDs, 64<<10)
	}
	var lat []time.Duration
	var tracesLeft atomic.Int64
	tracesLeft.Store(int64(cfg.Traces))
	start := time.Now()
	var wg sync.WaitGroup
	errc := make(chan error, cfg.Connections)
	for c := 0; c < cfg.Connections; c++ {
		s, err := newSender(cfg)
		if err != nil {
			return nil, err
		}
		wg.Add(1)
		go func(seed uint64, conn int) {
			defer wg.Done()
			defer s.close()
			g := tracegen.New(seed, tracegen.Config{MinSpans: 3, MaxSpans: 30, Start: uint64(time.Now().UnixNano()), Spread: 1,
				DB: true, Shapes: true})
			var batchIDs []model.TraceID
			for ctx.Err() == nil {
				td := ptrace.NewTraces()
				traces := int64(0)
				batchIDs = batchIDs[:0]
				var byService map[string]ptrace.SpanSlice
				if cfg.Shape == ShapeExporter {
					byService = map[string]ptrace.SpanSlice{}
				}
				for spans := 0; spans < cfg.BatchSpans; {
					if cfg.Traces > 0 && tracesLeft.Add(-1) < 0 {
						break
					}
					id, tr := g.Trace()
					restamp(tr)
					spans += tr.SpanCount()
					if byService != nil {
						groupByService(tr, td, byService, conn)
					} else {
						tr.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
					}
					traces++
					if ids != nil {
						batchIDs = append(batchIDs, id)
					}
				}
				n := td.SpanCount()
				if n == 0 {
					return
				}
				if lim != nil {
					if err := lim.WaitN(ctx, min(n, lim.Burst())); err != nil {
						return
					}
				}
				t0 := time.Now()
				kind, err := s.send(ctx, td)
				d := time.Since(t0)
				if err != nil && (ctx.Err() != nil || pastDeadline(ctx)) {
					return // cut short by the end of the run: not a result
				}
				mu.Lock()
				res.Requests++
				res.SpansSent += int64(n)
				lat = append(lat, d)
				if err != nil {
					res.Failed++
					res.Errors[kind]++
				} else {
					res.SpansAccepted += int64(n)
					res.TracesAccepted += traces
					for _, id := range batchIDs {
						if _, err := ids.WriteString(id.String() + "\n"); err != nil && idsErr == nil {
							idsErr = err
						}
					}
				}
				mu.Unlock()
			}
		}(cfg.Seed+uint64(c)*7919, c)
	}
	wg.Wait()
	close(errc)
	res.Elapsed = time.Since(start)
	slices.Sort(lat)
	if len(lat) > 0 {
		res.P50 = lat[len(lat)/2]
		res.P99 = lat[min(len(lat)-1, len(lat)*99/100)]
		res.Max = lat[len(lat)-1]
	}
	if ids != nil && idsErr == nil {
		idsErr = ids.Flush()
	}
	if res.Requests > 0 && res.Failed == res.Requests {
		return res, fmt.Errorf("every request failed: %v", res.Errors)
	}
	if idsErr != nil {
		return res, fmt.Errorf("writing trace IDs: %w", idsErr)
	}
	return res, nil
}

// groupByService moves tr's spans into td under one resource per service
// (byService: the batch's span slices so far). The resource is the
// service's as this sender's "pod" reports it: the pod name and CPU count
// are the sender's, not a random pick per trace.
// pastDeadline: gRPC fails a call with DeadlineExceeded by its own timer,
// a moment before the context reports it; a failure that close to the end
// of the run is the run ending.
func pastDeadline(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && time.Until(d) < 50*time.Millisecond
}

func groupByService(tr, td ptrace.Traces, byService map[string]ptrace.SpanSlice, conn int) {
	rss := tr.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		svc, _ := rs.Resource().Attributes().Get("service.name")
		name := svc.Str()
		dst, ok := byService[name]
		if !ok {
			out := td.ResourceSpans().AppendEmpty()
			rs.Resource().CopyTo(out.Resource())
			out.Resource().Attributes().PutStr("k8s.pod.name", fmt.Sprintf("%s-%d", name, conn))
			out.Resource().Attributes().PutInt("host.cpus", int64(2+conn%4))
			ss := out.ScopeSpans().AppendEmpty()
			rs.ScopeSpans().At(0).Scope().CopyTo(ss.Scope())
			dst = ss.Spans()
			byService[name] = dst
		}
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			rs.ScopeSpans().At(j).Spans().MoveAndAppendTo(dst)
		}
	}
}

// restamp moves a generated trace to now so servers see fresh data.
func restamp(td ptrace.Traces) {
	var first uint64
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		for j := 0; j < rss.At(i).ScopeSpans().Len(); j++ {
			ss := rss.At(i).ScopeSpans().At(j).Spans()
			for k := 0; k < ss.Len(); k++ {
				if s := uint64(ss.At(k).StartTimestamp()); first == 0 || s < first {
					first = s
				}
			}
		}
	}
	shift := uint64(time.Now().UnixNano()) - first
	for i := 0; i < rss.Len(); i++ {
		for j := 0; j < rss.At(i).ScopeSpans().Len(); j++ {
			ss := rss.At(i).ScopeSpans().At(j).Spans()
			for k := 0; k < ss.Len(); k++ {
				s := ss.At(k)
				s.SetStartTimestamp(s.StartTimestamp() + pcommon.Timestamp(shift))
				s.SetEndTimestamp(s.EndTimestamp() + pcommon.Timestamp(shift))
				for e := 0; e < s.Events().Len(); e++ {
					s.Events().At(e).SetTimestamp(s.Events().At(e).Timestamp() + pcommon.Timestamp(shift))
				}
			}
		}
	}
}

func newSender(cfg Config) (sender, error) {
	switch cfg.Protocol {
	case "", "grpc":
		conn, err := grpc.NewClient(cfg.Endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return nil, fmt.Errorf("grpc %s: %w", cfg.Endpoint, err)
		}
		return &grpcSender{conn: conn, client: ptraceotlp.NewGRPCClient(conn), cfg: cfg}, nil
	case "http":
		return &httpSender{client: &http.Client{Timeout: 30 * time.Second}, cfg: cfg}, nil
	}
	return nil, fmt.Errorf("protocol %q: use grpc or http", cfg.Protocol)
}

type grpcSender struct {
	conn   *grpc.ClientConn
	client ptraceotlp.GRPCClient
	cfg    Config
}

func (s *grpcSender) send(ctx context.Context, td ptrace.Traces) (string, error) {
	if s.cfg.Tenant != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, s.cfg.TenantHeader, s.cfg.Tenant)
	}
	_, err := s.client.Export(ctx, ptraceotlp.NewExportRequestFromTraces(td))
	if err != nil {
		return "grpc " + status.Code(err).String(), err
	}
	return "", nil
}

func (s *grpcSender) close() error { return s.conn.Close() }

type httpSender struct {
	client *http.Client
	cfg    Config
	m      ptrace.ProtoMarshaler
}

func (s *httpSender) send(ctx context.Context, td ptrace.Traces) (string, error) {
	body, err := s.m.MarshalTraces(td)
	if err != nil {
		return "encode", err
	}
	url := s.cfg.Endpoint
	if !bytes.HasPrefix([]byte(url), []byte("http")) {
		url = "http://" + url
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/traces", bytes.NewReader(body))
	if err != nil {
		return "request", err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	if s.cfg.Tenant != "" {
		req.Header.Set(s.cfg.TenantHeader, s.cfg.Tenant)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return "http transport", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("http %d", resp.StatusCode), errors.New(resp.Status)
	}
	return "", nil
}

func (s *httpSender) close() error { return nil }
