// Package app assembles `tempoctl serve` from dskit modules: server,
// overrides, store, ingester, distributor, and the targets that group them.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/grafana/dskit/modules"
	dskitserver "github.com/grafana/dskit/server"
	"github.com/grafana/dskit/services"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/server/api"
	"github.com/tempoctl/tempoctl/server/compactor"
	"github.com/tempoctl/tempoctl/server/config"
	"github.com/tempoctl/tempoctl/server/distributor"
	"github.com/tempoctl/tempoctl/server/frontend"
	"github.com/tempoctl/tempoctl/server/ingester"
	"github.com/tempoctl/tempoctl/server/ingesterclient"
	"github.com/tempoctl/tempoctl/server/overrides"
	"github.com/tempoctl/tempoctl/server/pusher"
	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/server/receiver"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/wal"
)

// Module names; targets are the user-visible ones.
const (
	Server      = "server"
	Overrides   = "overrides"
	Store       = "store"
	Ingester    = "ingester"
	Distributor = "distributor"
	Querier     = "querier"
	// QueryFrontend answers the query API by running jobs on queriers.
	QueryFrontend = "query-frontend"
	Compactor     = "compactor"
	All           = "all"
)

// BuildInfo is what /api/status/buildinfo reports.
type BuildInfo struct {
	Version, Revision, Branch, BuildDate, GoVersion string
}

// App is one serve process.
type App struct {
	cfg   config.Config
	raw   []byte
	log   *slog.Logger
	build BuildInfo
	reg   *prometheus.Registry

	server      *dskitserver.Server
	reqDuration *prometheus.HistogramVec // tempo_request_duration_seconds
	serverErr   chan error
	be          *backend.Backend
	ovr         *overrides.Overrides
	wal         *wal.WAL
	ing         *ingester.Ingester
	dist        *distributor.Distributor
	recv        *receiver.Receivers
	querier     *querier.Querier
	worker      *frontend.Worker
	health      *health.Server // grpc.health.v1 on the gRPC port
	httpGRPC    *grpc.Server   // gRPC on the HTTP port (stream_over_http_enabled)

	mm      *modules.Manager
	sm      *services.Manager
	svcs    map[string]services.Service
	readyMu sync.Mutex
}

// New prepares the modules for cfg.Target.
func New(cfg config.Config, raw []byte, log *slog.Logger, build BuildInfo) (*App, error) {
	a := &App{cfg: cfg, raw: raw, log: log, build: build, reg: prometheus.NewRegistry(), serverErr: make(chan error, 1)}
	a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.mm = modules.NewManager(GoKit(log))
	a.mm.RegisterModule(Server, a.initServer, modules.UserInvisibleModule)
	a.mm.RegisterModule(Overrides, a.initOverrides, modules.UserInvisibleModule)
	a.mm.RegisterModule(Store, a.initStore, modules.UserInvisibleModule)
	a.mm.RegisterModule(Ingester, a.initIngester)
	a.mm.RegisterModule(Distributor, a.initDistributor)
	a.mm.RegisterModule(Querier, a.initQuerier)
	a.mm.RegisterModule(QueryFrontend, a.initQueryFrontend)
	a.mm.RegisterModule(Compactor, a.initCompactor)
	a.mm.RegisterModule(All, nil)
	deps := map[string][]string{
		Overrides:     {Server},
		Store:         {Server},
		Ingester:      {Server, Store, Overrides},
		Distributor:   {Server, Overrides},
		Querier:       {Server, Store, Overrides},
		QueryFrontend: {Server, Store, Overrides},
		Compactor:     {Server, Store, Overrides},
		All:           {Distributor, Ingester, Querier, QueryFrontend, Compactor},
	}
	for m, d := range deps {
		if err := a.mm.AddDependency(m, d...); err != nil {
			return nil, err
		}
	}
	target := cfg.Target
	if target == "" {
		target = All
	}
	if !a.mm.IsTargetableModule(target) {
		return nil, fmt.Errorf("target %q: use one of all, distributor, ingester, querier, query-frontend, compactor", target)
	}
	if target == All {
		// In one process the distributor pushes to the in-process ingester,
		// so that must be running first.
		if err := a.mm.AddDependency(Distributor, Ingester); err != nil {
			return nil, err
		}
		if err := a.mm.AddDependency(Querier, Ingester); err != nil {
			return nil, err
		}
		// The frontend runs its jobs on the in-process querier.
		if err := a.mm.AddDependency(QueryFrontend, Querier); err != nil {
			return nil, err
		}
	}
	svcs, err := a.mm.InitModuleServices(target)
	if err != nil {
		return nil, err
	}
	a.svcs = svcs
	for _, k := range config.NotUsedYetKeys(&cfg) {
		log.Info("config section accepted but not used yet", "key", k)
	}
	return a, nil
}

// Registry is the metrics registry served on /metrics.
func (a *App) Registry() *prometheus.Registry { return a.reg }

// HTTPAddr and GRPCAddr are the bound addresses (after Run started).
func (a *App) HTTPAddr() string { return a.server.HTTPListenAddr().String() }
func (a *App) GRPCAddr() string { return a.server.GRPCListenAddr().String() }

// ReceiverAddr is a receiver's bound address ("" when not running).
func (a *App) ReceiverAddr(name string) string {
	if a.recv == nil {
		return ""
	}
	return a.recv.Addr(name)
}

// Run starts every module, waits for ctx to end or a module to fail, then
// stops them in dependency order.
func (a *App) Run(ctx context.Context, ready chan<- struct{}) error {
	list := make([]services.Service, 0, len(a.svcs))
	for _, s := range a.svcs {
		list = append(list, s)
	}
	sm, err := services.NewManager(list...)
	if err != nil {
		return err
	}
	a.readyMu.Lock()
	a.sm = sm
	a.readyMu.Unlock()
	if err := sm.StartAsync(context.Background()); err != nil {
		return err
	}
	if err := sm.AwaitHealthy(ctx); err != nil {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		sm.StopAsync()
		_ = sm.AwaitStopped(stopCtx)
		return firstFailure(sm, err)
	}
	a.log.Info("tempoctl is ready", "http", a.HTTPAddr(), "grpc", a.GRPCAddr(), "target", a.cfg.Target)
	a.health.Resume()
	if ready != nil {
		close(ready)
	}
	failed := make(chan struct{})
	sm.AddListener(services.NewManagerListener(nil, nil, func(services.Service) { close(failed) }))
	select {
	case <-ctx.Done():
	case <-failed:
	}
	a.log.Info("stopping")
	sm.StopAsync()
	stopCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := sm.AwaitStopped(stopCtx); err != nil {
		return err
	}
	return firstFailure(sm, nil)
}

func firstFailure(sm *services.Manager, fallback error) error {
	for _, s := range sm.ServicesByState()[services.Failed] {
		return s.FailureCase()
	}
	return fallback
}

func (a *App) initServer() (services.Service, error) {
	sc := a.cfg.Server
	sc.MetricsNamespace = "tempo"
	sc.Registerer = a.reg
	sc.Gatherer = a.reg
	sc.Log = GoKit(a.log)
	sc.RegisterInstrumentation = true
	m := dskitserver.NewServerMetrics(sc)
	a.reqDuration = m.RequestDuration
	srv, err := dskitserver.NewWithMetrics(sc, m)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	a.server = srv
	a.registerRoutes()
	a.setupGRPC()
	return services.NewBasicService(nil, func(ctx context.Context) error {
		go func() { a.serverErr <- srv.Run() }()
		select {
		case <-ctx.Done():
			return nil
		case err := <-a.serverErr:
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("server: %w", err)
			}
			return nil
		}
	}, func(error) error {
		a.stopGRPC()
		srv.Shutdown()
		return nil
	}), nil
}

func (a *App) initOverrides() (services.Service, error) {
	o, err := overrides.New(a.cfg.Limits, a.log)
	if err != nil {
		return nil, err
	}
	a.ovr = o
	return services.NewIdleService(func(context.Context) error { o.Start(); return nil }, func(error) error { o.Stop(); return nil }), nil
}

func (a *App) initStore() (services.Service, error) {
	// Opened at init (checking the bucket is reachable) so modules built
	// after it can hold the backend.
	be, err := backend.Open(context.Background(), a.cfg.Storage.Trace.Config)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	a.be = be
	return services.NewIdleService(nil, func(error) error {
		if a.be != nil {
			return a.be.Close()
		}
		return nil
	}), nil
}

func (a *App) initIngester() (services.Service, error) {
	cfg := a.cfg.Ingester
	// Distributor-only processes push here over gRPC. Registered now, before
	// the gRPC server serves; pushes before the ingester runs are refused.
	ingesterclient.Register(a.server.GRPC, pusherFunc(func(ctx context.Context, tenant string, b *otlpwire.Batch) error {
		if a.ing == nil {
			return errors.New("ingester is starting")
		}
		return a.ing.Push(ctx, tenant, b)
	}))
	// On its own, the ingester answers the querier-internal job routes over
	// its live data, and registers with the query frontend (when
	// querier.frontend_worker.frontend_address is set), which then sends
	// it the live part of every search, trace lookup and tag query.
	var stopRegistering context.CancelFunc = func() {}
	fe := a.cfg.Querier.FrontendWorker.FrontendAddress
	if a.target() == Ingester {
		live := querier.New(nil, liveSource{a}, a.log.With("module", "ingester"), a.reg, querier.Config{
			MaxBytesPerTrace: func(t string) int { return a.ovr.For(t).MaxBytesPerTrace },
		})
		frontend.RegisterQuerierAPI(a.server.HTTP, frontend.NewWorker(live, a.cfg.Querier), a.cfg.Auth.Header)
	}
	return services.NewIdleService(func(ctx context.Context) error {
		w, err := wal.Open(a.cfg.Storage.Trace.WAL)
		if err != nil {
			return err
		}
		a.wal = w
		cfg.MaxTracesPerUser = func(t string) int { return a.ovr.For(t).MaxTracesPerUser }
		cfg.MaxBytesPerTrace = func(t string) int { return a.ovr.For(t).MaxBytesPerTrace }
		cfg.LocalBlocksPath = filepath.Join(a.cfg.Storage.Trace.WAL.Path, "blocks")
		in, err := ingester.New(cfg, a.cfg.Storage.Trace.Block.ToBlock(), a.be, w, a.log.With("module", "ingester"), ingester.NewMetrics(a.reg))
		if err != nil {
			w.Close()
			return err
		}
		a.ing = in
		// An in-process querier re-reads the block list right after a
		// flush, before the flushed traces leave the ingester.
		in.SetFlushHook(func(tenant string) {
			if a.querier != nil {
				a.querier.InvalidateBlocklist(tenant)
			}
		})
		// Readers opened on a kept local copy are dropped before it goes.
		in.SetLocalBlockHook(func(_ string, id uuid.UUID) {
			if a.querier != nil {
				a.querier.ForgetBlock(id)
			}
		})
		in.Start()
		if a.target() == Ingester && fe != "" {
			var rctx context.Context
			rctx, stopRegistering = context.WithCancel(context.Background())
			go frontend.RegisterIngesterWithFrontend(rctx, fe, a.server.HTTPListenAddr().String(), a.log.With("module", "ingester"))
		}
		return nil
	}, func(error) error {
		stopRegistering()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err := a.ing.Stop(ctx)
		if cerr := a.wal.Close(); err == nil {
			err = cerr
		}
		return err
	}), nil
}

func (a *App) initDistributor() (services.Service, error) {
	return services.NewIdleService(func(ctx context.Context) error {
		dur := a.reqDuration
		var next pusher.Pusher = a.ing
		if a.ing == nil {
			c, err := ingesterclient.New(a.cfg.IngesterClient.Address, a.cfg.IngesterClient.RemoteTimeout)
			if err != nil {
				return err
			}
			next = c
		}
		a.dist = distributor.New(next, a.ovr, a.reg, func(route, code string, d time.Duration) {
			if dur != nil {
				dur.WithLabelValues("gRPC", route, code, "false").Observe(d.Seconds())
			}
		})
		a.dist.SetMaxAttributeBytes(a.cfg.Distributor.MaxAttributeBytes)
		header := a.cfg.Auth.Header
		if a.cfg.Auth.Type != "" && a.cfg.Auth.Type != "header" {
			return fmt.Errorf("auth.type %q: only \"header\" is supported", a.cfg.Auth.Type)
		}
		r, err := receiver.New(a.cfg.Distributor.Receivers, a.dist, receiver.Options{
			MultitenancyEnabled: a.cfg.MultitenancyEnabled,
			TenantHeader:        header,
			RetryAfter:          a.cfg.Distributor.RetryAfter,
			Logger:              GoKit(a.log.With("module", "receiver")),
			Registerer:          a.reg,
		})
		if err != nil {
			return err
		}
		if err := r.Start(ctx); err != nil {
			return err
		}
		a.recv = r
		return nil
	}, func(error) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return a.recv.Stop(ctx)
	}), nil
}

type pusherFunc func(ctx context.Context, tenant string, b *otlpwire.Batch) error

func (f pusherFunc) Push(ctx context.Context, tenant string, b *otlpwire.Batch) error {
	return f(ctx, tenant, b)
}

// initQuerier builds the querier (live data from the in-process
// ingester, if any, and the bucket's blocks), the worker that runs jobs on
// it and the querier-internal job routes. On its own (-target=querier) it
// also answers the query API, and registers with the query frontend at
// querier.frontend_worker.frontend_address when one is set.
func (a *App) initQuerier() (services.Service, error) {
	a.querier = querier.New(a.be, liveSource{a}, a.log.With("module", "querier"), a.reg, querier.Config{
		MaxBytesPerTrace: func(t string) int { return a.ovr.For(t).MaxBytesPerTrace },
		IndexMaxAge:      a.cfg.Storage.Trace.BlocklistPoll,
	})
	a.worker = frontend.NewWorker(a.querier, a.cfg.Querier)
	frontend.RegisterQuerierAPI(a.server.HTTP, a.worker, a.cfg.Auth.Header)
	if a.target() != Querier {
		return services.NewIdleService(nil, nil), nil
	}
	// Serving the query API itself, the querier runs jobs here, and asks
	// the ingesters that registered on its gRPC port (as with a frontend)
	// for the live part.
	remote := frontend.NewRemote(a.worker, a.cfg.Auth.Header, 3*frontend.RegisterInterval)
	frontend.RegisterQuerierService(a.server.GRPC, ingestersOnly{remote})
	a.registerQueryAPI(a.newFrontend(a.querier, remote))
	fe := a.cfg.Querier.FrontendWorker.FrontendAddress
	if fe == "" {
		return services.NewIdleService(nil, nil), nil
	}
	return services.NewBasicService(nil, func(ctx context.Context) error {
		return frontend.RegisterWithFrontend(ctx, fe, a.server.HTTPListenAddr().String(), a.log.With("module", "querier"))
	}, nil), nil
}

// ingestersOnly takes ingesters' registrations and refuses queriers'
// (jobs of a querier's own API run on itself).
type ingestersOnly struct{ *frontend.Remote }

func (ingestersOnly) Register(string) {}

// initQueryFrontend serves the query API through a frontend. With the
// querier in this process it runs jobs there. On its own
// (-target=query-frontend) it sends them to the queriers that registered
// on its gRPC port, and runs them on a querier of its own over the same
// bucket (no live data) while none has.
func (a *App) initQueryFrontend() (services.Service, error) {
	if a.querier != nil {
		a.registerQueryAPI(a.newFrontend(a.querier, a.worker))
		return services.NewIdleService(nil, nil), nil
	}
	q := querier.New(a.be, nil, a.log.With("module", "querier"), a.reg, querier.Config{
		MaxBytesPerTrace: func(t string) int { return a.ovr.For(t).MaxBytesPerTrace },
		IndexMaxAge:      a.cfg.Storage.Trace.BlocklistPoll,
	})
	remote := frontend.NewRemote(frontend.NewWorker(q, a.cfg.Querier), a.cfg.Auth.Header, 3*frontend.RegisterInterval)
	frontend.RegisterQuerierService(a.server.GRPC, remote)
	a.registerQueryAPI(a.newFrontend(q, remote))
	return services.NewIdleService(nil, nil), nil
}

func (a *App) newFrontend(q *querier.Querier, exec frontend.Executor) *frontend.Frontend {
	return frontend.New(a.cfg.QueryFrontend, q, exec, frontend.Options{
		Log:              a.log.With("module", "query-frontend"),
		Registerer:       a.reg,
		MaxBytesPerTrace: func(t string) int { return a.ovr.For(t).MaxBytesPerTrace },
	})
}

// registerQueryAPI serves /api/... (dskit's instrumentation records
// tempo_request_duration_seconds under each route's Tempo name).
func (a *App) registerQueryAPI(q api.Querier) {
	s := a.cfg.QueryFrontend.Search
	opts := api.Options{
		MultitenancyEnabled: a.cfg.MultitenancyEnabled,
		TenantHeader:        a.cfg.Auth.Header,
		PathPrefix:          a.cfg.HTTPAPIPrefix,
		DefaultResultLimit:  s.DefaultResultLimit,
		MaxResultLimit:      s.MaxResultLimit,
		MaxSpansPerSpanSet:  s.MaxSpansPerSpanSet,
		MaxSearchDuration:   s.MaxDuration,
		RecentWindow:        s.QueryBackendAfter,
	}
	api.Register(a.server.HTTP, q, opts)
	a.registerStreaming(q, opts)
}

// target is the configured target ("" is all).
func (a *App) target() string {
	if a.cfg.Target == "" {
		return All
	}
	return a.cfg.Target
}

// liveSource reads the in-process ingester when this process runs one.
type liveSource struct{ a *App }

func (l liveSource) FindTraceByID(tenant string, id model.TraceID) (ptrace.Traces, bool) {
	if l.a.ing == nil {
		return ptrace.Traces{}, false
	}
	return l.a.ing.FindTraceByID(tenant, id)
}

func (l liveSource) LocalBlock(tenant string, id uuid.UUID) (*backend.Backend, bool) {
	if l.a.ing == nil {
		return nil, false
	}
	return l.a.ing.LocalBlock(tenant, id)
}

func (l liveSource) Traces(tenant string) []otlpwire.TraceParts {
	if l.a.ing == nil {
		return nil
	}
	return l.a.ing.Traces(tenant)
}

func (a *App) initCompactor() (services.Service, error) {
	c, err := compactor.New(a.cfg.Compactor, a.be, a.cfg.Storage.Trace.Block.ToBlock(), a.log.With("module", "compactor"), a.reg)
	if err != nil {
		return nil, err
	}
	if a.ovr != nil {
		c.SetLimits(func(tenant string) compactor.TenantLimits {
			l := a.ovr.For(tenant)
			return compactor.TenantLimits{BlockRetention: l.BlockRetention, CompactionWindow: l.CompactionWindow,
				CompactionDisabled: l.CompactionDisabled, MaxBytesPerTrace: l.MaxBytesPerTrace}
		})
	}
	return services.NewIdleService(func(context.Context) error {
		c.Start()
		return nil
	}, func(error) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return c.Stop(ctx)
	}), nil
}
