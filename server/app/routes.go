package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/grafana/dskit/services"

	"github.com/tempoctl/tempoctl/server/config"
)

func (a *App) registerRoutes() {
	r := a.server.HTTP
	r.HandleFunc("/ready", a.handleReady)
	r.HandleFunc("/api/echo", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "echo") })
	r.HandleFunc("/api/status/buildinfo", a.handleBuildInfo)
	r.HandleFunc("/status", a.handleStatus)
	r.HandleFunc("/status/config", a.handleConfig)
	r.HandleFunc("/status/services", a.handleServices)
	r.HandleFunc("/status/version", a.handleBuildInfo)
}

// handleReady is 200 once every module runs, 503 before (and while stopping).
func (a *App) handleReady(w http.ResponseWriter, _ *http.Request) {
	a.readyMu.Lock()
	sm := a.sm
	a.readyMu.Unlock()
	if sm == nil || !sm.IsHealthy() {
		http.Error(w, "not ready: "+a.notRunning(), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

func (a *App) notRunning() string {
	var out []string
	for name, s := range a.svcs {
		if s.State() != services.Running {
			out = append(out, name+" "+s.State().String())
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		return "starting"
	}
	return strings.Join(out, ", ")
}

func (a *App) handleBuildInfo(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{
		"version": a.build.Version, "revision": a.build.Revision, "branch": a.build.Branch,
		"buildUser": "", "buildDate": a.build.BuildDate, "goVersion": a.build.GoVersion,
	})
}

func (a *App) handleConfig(w http.ResponseWriter, _ *http.Request) {
	b, err := config.Marshal(&a.cfg)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(b)
}

func (a *App) handleServices(w http.ResponseWriter, _ *http.Request) {
	names := make([]string, 0, len(a.svcs))
	for n := range a.svcs {
		names = append(names, n)
	}
	slices.Sort(names)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	for _, n := range names {
		fmt.Fprintf(w, "%s: %s\n", n, a.svcs[n].State())
	}
}

func (a *App) handleStatus(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "tempoctl %s (%s)\n\n", a.build.Version, a.build.Revision)
	fmt.Fprintln(w, "endpoints: /status/services /status/config /status/version /metrics /ready /api/echo")
	fmt.Fprintln(w, "\nservices:")
	a.handleServices(w, r)
}
