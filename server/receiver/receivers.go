package receiver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/tempoctl/tempoctl/internal/slab"
	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/server/pusher"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/grpc"
)

// Receiver names, as used by Addr and in logs.
const (
	OTLPGRPC         = "otlp/grpc"
	OTLPHTTP         = "otlp/http"
	Zipkin           = "zipkin"
	JaegerThriftHTTP = "jaeger/thrift_http"
	JaegerGRPC       = "jaeger/grpc"
)

// Options are the receiver settings that live outside
// distributor.receivers in Tempo's config.
type Options struct {
	// MultitenancyEnabled is Tempo's multitenancy_enabled. Off: every push
	// goes to SingleTenant and the tenant header is ignored.
	MultitenancyEnabled bool
	// TenantHeader names the HTTP header (and, lower-cased, the gRPC
	// metadata key) carrying the tenant. Default X-Scope-OrgID.
	TenantHeader string
	// RetryAfter is the hint sent with 429 / RESOURCE_EXHAUSTED. Default 5s.
	RetryAfter time.Duration
	// Logger gets listener failures and internal push errors. Default: none.
	Logger log.Logger
	// Registerer takes the span counters; nil: not exported.
	Registerer prometheus.Registerer
}

// Receivers runs the enabled receivers, each on its own listener.
type Receivers struct {
	cfg  Config
	base *base

	mu      sync.Mutex
	servers []*listener
	errc    chan error
	serving sync.WaitGroup // the Serve goroutines
}

// listener is one receiver's server and where it listens.
type listener struct {
	name     string
	endpoint string
	addr     net.Addr
	ln       net.Listener
	serve    func(net.Listener) error
	stop     func(context.Context) error
}

// base is what every receiver shares: where spans go and how requests map
// to tenants and errors to responses.
type base struct {
	pusher     pusher.Pusher
	tenants    tenants
	retryAfter time.Duration
	logger     log.Logger
	metrics    *metrics
}

// push hands decoded spans to the pusher in OTLP wire form (encoded once;
// the WAL stores those bytes).
func (b *base) push(ctx context.Context, receiver, tenant string, td ptrace.Traces) error {
	if td.SpanCount() == 0 {
		return nil
	}
	batch, err := otlpwire.FromTraces(td)
	if err != nil {
		return badRequest(b.countInvalid(tenant, err))
	}
	return b.pushBatch(ctx, receiver, tenant, batch)
}

// parse indexes a request in OTLP wire form. ref is raw's claim on its
// slab: the batch holds it from now on (a refused request's is released).
func (b *base) parse(tenant string, raw []byte, ref slab.Ref) (*otlpwire.Batch, error) {
	batch, err := otlpwire.ParseSlab(raw, ref)
	return batch, b.countInvalid(tenant, err)
}

// countInvalid counts the spans of a request refused as invalid as
// discarded, and returns err.
func (b *base) countInvalid(tenant string, err error) error {
	var invalid *otlpwire.InvalidError
	if errors.As(err, &invalid) {
		if d, ok := b.pusher.(pusher.Discarder); ok {
			d.Discarded(tenant, "invalid_trace_id", invalid.Spans)
		}
	}
	return err
}

// pushBatch hands a parsed request to the pusher; an empty request is a
// successful no-op, so the pusher never sees zero spans.
func (b *base) pushBatch(ctx context.Context, receiver, tenant string, batch *otlpwire.Batch) error {
	n := batch.SpanCount
	if n == 0 {
		return nil
	}
	// The pusher's error goes to the client unwrapped: its message (a
	// limit's name, say) is what the client needs to read.
	err := b.pusher.Push(ctx, tenant, batch)
	b.metrics.observe(receiver, n, err)
	return err
}

// fail classifies an error and logs the ones that are ours, not the
// client's.
func (b *base) fail(receiver string, err error) failure {
	f := classify(err, b.retryAfter)
	if f.httpStatus >= 500 {
		level.Warn(b.logger).Log("msg", "receiver request failed", "receiver", receiver, "err", err)
	}
	return f
}

// New validates the config and prepares the receivers; nothing listens
// before Start.
func New(cfg Config, p pusher.Pusher, opts Options) (*Receivers, error) {
	if p == nil {
		return nil, errors.New("receiver: nil pusher")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = DefaultRetryAfter
	}
	if opts.Logger == nil {
		opts.Logger = log.NewNopLogger()
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("receiver metrics: %w", err)
	}
	return &Receivers{
		cfg: cfg,
		base: &base{
			pusher:     p,
			tenants:    newTenants(opts.MultitenancyEnabled, opts.TenantHeader),
			retryAfter: opts.RetryAfter,
			logger:     opts.Logger,
			metrics:    m,
		},
	}, nil
}

// Start binds every enabled receiver's address and serves in the
// background. If any address cannot be bound, nothing keeps listening and
// the error names the receiver.
func (r *Receivers) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.servers != nil {
		return errors.New("receiver: already started")
	}
	servers := r.build()
	lc := net.ListenConfig{}
	lns := make([]net.Listener, 0, len(servers))
	for _, s := range servers {
		ln, err := lc.Listen(ctx, "tcp", s.endpoint)
		if err != nil {
			for _, l := range lns {
				_ = l.Close()
			}
			return fmt.Errorf("receiver %s: listen on %s: %w", s.name, s.endpoint, err)
		}
		s.addr, s.ln = ln.Addr(), ln
		lns = append(lns, ln)
	}
	r.errc = make(chan error, len(servers))
	for _, s := range servers {
		level.Info(r.base.logger).Log("msg", "receiver listening", "receiver", s.name, "addr", s.addr)
		r.serving.Go(func() {
			err := s.serve(s.ln)
			if err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, grpc.ErrServerStopped) {
				level.Error(r.base.logger).Log("msg", "receiver stopped serving", "receiver", s.name, "err", err)
				r.errc <- fmt.Errorf("receiver %s: %w", s.name, err)
			}
		})
	}
	r.servers = servers
	return nil
}

// Stop shuts every receiver down, letting in-flight requests finish until
// ctx is done, then cutting them off. When it returns, the addresses are
// free again. A Receivers is not restarted after Stop.
func (r *Receivers) Stop(ctx context.Context) error {
	r.mu.Lock()
	servers := r.servers
	r.mu.Unlock()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, s := range servers {
		wg.Go(func() {
			if err := s.stop(ctx); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("receiver %s: %w", s.name, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// A Serve goroutine that had not started yet when its server stopped
	// would close the listener only once it runs; close it here so the
	// address is free on return, then wait for the goroutines to end.
	for _, s := range servers {
		_ = s.ln.Close()
	}
	r.serving.Wait()
	return errors.Join(errs...)
}

// Err reports a receiver that stopped serving on its own (its listener
// failed). Nil before Start.
func (r *Receivers) Err() <-chan error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.errc
}

// Addr is where the named receiver listens (useful with port 0), or ""
// if it is not running.
func (r *Receivers) Addr(name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.servers {
		if s.name == name && s.addr != nil {
			return s.addr.String()
		}
	}
	return ""
}

// build makes a listener for every enabled receiver.
func (r *Receivers) build() []*listener {
	var out []*listener
	if g := r.cfg.otlpGRPC(); g != nil {
		out = append(out, grpcListener(OTLPGRPC, g.endpointOr(DefaultOTLPGRPCEndpoint), newOTLPGRPCServer(r.base, *g)))
	}
	if h := r.cfg.OTLP; h != nil && h.Protocols.HTTP != nil {
		c := h.Protocols.HTTP
		out = append(out, httpListener(OTLPHTTP, c.endpointOr(DefaultOTLPHTTPEndpoint), newOTLPHTTPHandler(r.base, *c)))
	}
	if z := r.cfg.Zipkin; z != nil {
		out = append(out, httpListener(Zipkin, z.endpointOr(DefaultZipkinEndpoint), newZipkinHandler(r.base, *z)))
	}
	if j := r.cfg.jaegerThriftHTTP(); j != nil {
		out = append(out, httpListener(JaegerThriftHTTP, j.endpointOr(DefaultJaegerThriftHTTPEndpoint), newJaegerThriftHandler(r.base, *j)))
	}
	if g := r.cfg.jaegerGRPC(); g != nil {
		out = append(out, grpcListener(JaegerGRPC, g.endpointOr(DefaultJaegerGRPCEndpoint), newJaegerGRPCServer(r.base, *g)))
	}
	return out
}

func httpListener(name, endpoint string, h http.Handler) *listener {
	srv := &http.Server{
		Handler: h,
		// Slow-header clients must not hold connections forever; bodies
		// are bounded by size, not time, as big batches take a while.
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	return &listener{
		name:     name,
		endpoint: endpoint,
		serve:    srv.Serve,
		stop: func(ctx context.Context) error {
			if err := srv.Shutdown(ctx); err != nil {
				_ = srv.Close()
				return err
			}
			return nil
		},
	}
}

func grpcListener(name, endpoint string, srv *grpc.Server) *listener {
	return &listener{
		name:     name,
		endpoint: endpoint,
		serve:    srv.Serve,
		stop: func(ctx context.Context) error {
			done := make(chan struct{})
			go func() {
				srv.GracefulStop()
				close(done)
			}()
			select {
			case <-done:
				return nil
			case <-ctx.Done():
				srv.Stop()
				<-done
				return ctx.Err()
			}
		},
	}
}
