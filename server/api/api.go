package api

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/klauspost/compress/gzip"

	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/traceql"
)

// Options configure the query routes.
type Options struct {
	// MultitenancyEnabled requires the tenant header; off, every query reads
	// tenant "single-tenant".
	MultitenancyEnabled bool
	// TenantHeader carries the tenant (default X-Scope-OrgID).
	TenantHeader string
	// PathPrefix is http_api_prefix, prepended to every route.
	PathPrefix string
	// Observe, when set, is called once per request with Tempo's route
	// label (e.g. "/api/traces/{traceID}"), the status code and the time
	// taken. Under dskit's server leave it nil: its instrumentation already
	// records tempo_request_duration_seconds under the route's name.
	Observe func(route, code string, d time.Duration)

	// Search limits (Tempo's query_frontend.search defaults when zero).
	DefaultResultLimit int           // 20
	MaxResultLimit     int           // 262144
	MaxSpansPerSpanSet int           // 100
	MaxSearchDuration  time.Duration // 168h
	// RecentWindow is what a search or tag query without start/end covers
	// (Tempo's query_backend_after, 15m).
	RecentWindow time.Duration

	// Streaming (gRPC StreamingQuerier): how often partial results are
	// sent while a query runs (500ms), and the most bytes in one streamed
	// message, larger answers being split (max_grpc_streaming_packet_size,
	// 1 MiB).
	StreamInterval      time.Duration
	MaxStreamPacketSize int

	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.TenantHeader == "" {
		o.TenantHeader = "X-Scope-OrgID"
	}
	if o.DefaultResultLimit <= 0 {
		o.DefaultResultLimit = querier.DefaultSearchLimit
	}
	if o.MaxResultLimit <= 0 {
		o.MaxResultLimit = 262144
	}
	if o.MaxSpansPerSpanSet <= 0 {
		o.MaxSpansPerSpanSet = 100
	}
	if o.MaxSearchDuration <= 0 {
		o.MaxSearchDuration = 168 * time.Hour
	}
	if o.RecentWindow <= 0 {
		o.RecentWindow = 15 * time.Minute
	}
	if o.StreamInterval <= 0 {
		o.StreamInterval = 500 * time.Millisecond
	}
	if o.MaxStreamPacketSize <= 0 {
		o.MaxStreamPacketSize = 1 << 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Route labels: the route templates, as Tempo names them.
const (
	RouteTraceByID     = "/api/traces/{traceID}"
	RouteTraceByIDV2   = "/api/v2/traces/{traceID}"
	RouteSearch        = "/api/search"
	RouteSearchTags    = "/api/search/tags"
	RouteSearchTagsV2  = "/api/v2/search/tags"
	RouteTagValues     = "/api/search/tag/{tagName}/values"
	RouteTagValuesV2   = "/api/v2/search/tag/{tagName}/values"
	tagNamePathPattern = "{tagName:.+}"
)

// Querier answers the queries: *querier.Querier in one pass, or a query
// frontend (server/frontend) splitting them into jobs.
type Querier interface {
	Search(ctx context.Context, req querier.SearchRequest) (*traceql.SearchResponse, error)
	FindTraceByID(ctx context.Context, req querier.TraceByIDRequest) (*querier.TraceByIDResult, error)
	TagNames(ctx context.Context, req querier.TagsRequest) (*querier.TagsResult, error)
	TagValues(ctx context.Context, req querier.TagValuesRequest) (*querier.TagValuesResult, error)
}

type handlers struct {
	q    Querier
	opts Options
}

// Register adds the query API (spec/http-api.md §2–§4) to r. Each route is
// named by its Tempo route label, which dskit's instrumentation uses for
// tempo_request_duration_seconds{route}.
func Register(r *mux.Router, q Querier, opts Options) {
	h := &handlers{q: q, opts: opts.withDefaults()}
	p := strings.TrimRight(h.opts.PathPrefix, "/")
	routes := []struct {
		route, path string
		fn          http.HandlerFunc
	}{
		{RouteTraceByID, "/api/traces/{traceID}", h.traceByIDV1},
		{RouteTraceByIDV2, "/api/v2/traces/{traceID}", h.traceByIDV2},
		{RouteSearch, "/api/search", h.search},
		{RouteSearchTags, "/api/search/tags", h.searchTags},
		{RouteSearchTagsV2, "/api/v2/search/tags", h.searchTagsV2},
		{RouteTagValues, "/api/search/tag/" + tagNamePathPattern + "/values", h.tagValues},
		{RouteTagValuesV2, "/api/v2/search/tag/" + tagNamePathPattern + "/values", h.tagValuesV2},
	}
	for _, rt := range routes {
		r.Handle(p+rt.path, h.wrap(rt.route, rt.fn)).Methods(http.MethodGet).Name(rt.route)
	}
}

// wrap adds gzip (when asked) and the duration observation.
func (h *handlers) wrap(route string, fn http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		var out http.ResponseWriter = rec
		w.Header().Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			gz := &gzipWriter{statusRecorder: rec}
			defer gz.close()
			out = gz
		}
		fn(out, r)
		if h.opts.Observe != nil {
			h.opts.Observe(route, strconv.Itoa(rec.code), time.Since(start))
		}
	})
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(enc, "gzip") {
			return true
		}
	}
	return false
}

type statusRecorder struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wroteHeader {
		s.code, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wroteHeader = true
	return s.ResponseWriter.Write(b)
}

// gzipWriter compresses the body; the encoding header is set on the first
// write so that empty bodies (404 of trace by ID) stay empty.
type gzipWriter struct {
	*statusRecorder
	gz      *gzip.Writer
	pending int
}

func (g *gzipWriter) WriteHeader(code int) { g.pending = code }

func (g *gzipWriter) Write(b []byte) (int, error) {
	if g.gz == nil {
		g.Header().Set("Content-Encoding", "gzip")
		g.Header().Del("Content-Length")
		g.flushHeader()
		g.gz = gzipPool.Get().(*gzip.Writer)
		g.gz.Reset(g.statusRecorder)
	}
	return g.gz.Write(b)
}

func (g *gzipWriter) flushHeader() {
	if g.pending != 0 {
		g.statusRecorder.WriteHeader(g.pending)
		g.pending = 0
	}
}

func (g *gzipWriter) close() {
	if g.gz != nil {
		g.gz.Close()
		g.gz.Reset(io.Discard) // drop the response writer before pooling
		gzipPool.Put(g.gz)
		g.gz = nil
		return
	}
	g.flushHeader()
}

// gzipPool reuses compressors: a new one allocates several hundred KB,
// which was a tenth of a trace lookup's cost. BestSpeed: these answers are
// latency-bound, and JSON compresses well at any level.
var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return w
}}
