package app

import (
	"net/http"
	"strings"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/tempoctl/tempoctl/server/api"
)

// setupGRPC adds what serve's gRPC side needs beyond dskit's server: the
// standard health service on the gRPC port (NOT_SERVING until every module
// runs) and, with stream_over_http_enabled, a gRPC server behind the HTTP
// port for the StreamingQuerier (Grafana's streaming mode talks to the
// HTTP port only).
func (a *App) setupGRPC() {
	a.health = health.NewServer()
	a.health.Shutdown()
	healthpb.RegisterHealthServer(a.server.GRPC, a.health)
	if a.cfg.StreamOverHTTPEnabled {
		a.httpGRPC = grpc.NewServer()
		a.server.HTTPServer.Handler = grpcOrHTTP(a.httpGRPC, a.server.HTTPServer.Handler)
	}
}

// grpcOrHTTP sends gRPC requests (HTTP/2, cleartext via h2c, with a gRPC
// content type) to g and everything else to next.
func grpcOrHTTP(g *grpc.Server, next http.Handler) http.Handler {
	return h2c.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 && strings.Contains(r.Header.Get("Content-Type"), "application/grpc") {
			g.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	}), &http2.Server{})
}

// registerStreaming serves the StreamingQuerier over q on the gRPC port
// and, when enabled, on the HTTP port.
func (a *App) registerStreaming(q api.Querier, opts api.Options) {
	api.RegisterStreaming(a.server.GRPC, q, opts)
	if a.httpGRPC != nil {
		api.RegisterStreaming(a.httpGRPC, q, opts)
	}
}

// stopGRPC ends the streams served on the HTTP port and reports the
// process as not serving.
func (a *App) stopGRPC() {
	a.health.Shutdown()
	if a.httpGRPC != nil {
		a.httpGRPC.Stop()
	}
}
