package jaegertest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	jmodel "github.com/jaegertracing/jaeger-idl/model/v1"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
)

// Options shape the fake.
type Options struct {
	// Dir holds the fixtures (manifest.json, expected.jsonl, v1/, v3/).
	Dir string
	// NoV3 answers /api/v3 with a plain 404, like Jaegers before api/v3.
	NoV3 bool
	// NoRecordings answers every request from the data, never from a
	// recorded body (to compare the two).
	NoRecordings bool
	// Intercept, when set, sees every request first; returning true means it
	// wrote the response (fault injection: 5xx, delays, broken bodies).
	Intercept func(w http.ResponseWriter, r *http.Request) bool
	// Addr to listen on (default 127.0.0.1:0, a free port).
	Addr string
}

// Server is a running fake Jaeger query service.
type Server struct {
	*httptest.Server
	st   *store
	rec  map[string]recording
	opts Options

	mu       sync.Mutex
	requests map[string]int // path → count
	log      []string       // request URIs in order
}

// New starts a fake on 127.0.0.1; Close it when done.
func New(opts Options) (*Server, error) {
	st, err := loadStore(filepath.Join(opts.Dir, "expected.jsonl"))
	if err != nil {
		return nil, err
	}
	s := &Server{st: st, opts: opts, requests: map[string]int{}}
	if !opts.NoRecordings {
		m, err := readManifest(opts.Dir)
		if err != nil {
			return nil, err
		}
		if s.rec, err = loadRecordings(opts.Dir, m); err != nil {
			return nil, err
		}
	}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	if opts.Addr != "" {
		l, err := net.Listen("tcp", opts.Addr)
		if err != nil {
			return nil, err
		}
		s.Server.Listener.Close()
		s.Server.Listener = l
	}
	s.Server.Start()
	return s, nil
}

// Requests is how many requests hit path (e.g. "/api/v3/traces").
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

// Log lists the request URIs served so far.
func (s *Server) Log() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

// TraceIDs lists the traces the fake holds.
func (s *Server) TraceIDs() []model.TraceID {
	out := make([]model.TraceID, len(s.st.traces))
	for i, t := range s.st.traces {
		out[i] = t.id
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if strings.HasPrefix(path, "/api/traces/") {
		path = "/api/traces/{id}"
	} else if strings.HasPrefix(path, "/api/v3/traces/") {
		path = "/api/v3/traces/{id}"
	}
	s.mu.Lock()
	s.requests[path]++
	s.log = append(s.log, r.URL.RequestURI())
	s.mu.Unlock()
	if s.opts.Intercept != nil && s.opts.Intercept(w, r) {
		return
	}
	if r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	if s.opts.NoV3 && strings.HasPrefix(r.URL.Path, "/api/v3/") {
		http.NotFound(w, r)
		return
	}
	if rec, ok := s.rec["GET "+r.URL.RequestURI()]; ok {
		w.Header().Set("Content-Type", rec.contentType)
		w.WriteHeader(rec.status)
		w.Write(rec.body)
		return
	}
	q := r.URL.Query()
	switch {
	case r.URL.Path == "/api/services":
		writeV1(w, http.StatusOK, s.st.services, len(s.st.services))
	case r.URL.Path == "/api/operations":
		svc := q.Get("service")
		if svc == "" {
			v1Error(w, http.StatusBadRequest, "parameter 'service' is required")
			return
		}
		type op struct {
			Name     string `json:"name"`
			SpanKind string `json:"spanKind"`
		}
		ops := []op{}
		for _, name := range s.st.ops[svc] {
			ops = append(ops, op{Name: name})
		}
		writeV1(w, http.StatusOK, ops, len(ops))
	case strings.HasPrefix(r.URL.Path, "/api/services/") && strings.HasSuffix(r.URL.Path, "/operations"):
		svc := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/services/"), "/operations")
		ops := append([]string{}, s.st.ops[svc]...)
		writeV1(w, http.StatusOK, ops, len(ops))
	case r.URL.Path == "/api/traces":
		s.v1Search(w, q)
	case strings.HasPrefix(r.URL.Path, "/api/traces/"):
		t, status, msg := s.lookup(strings.TrimPrefix(r.URL.Path, "/api/traces/"))
		if t == nil {
			v1Error(w, status, msg)
			return
		}
		writeV1(w, http.StatusOK, []uiTrace{t.ui()}, 0)
	case r.URL.Path == "/api/v3/services":
		writeJSON(w, http.StatusOK, map[string]any{"services": s.st.services})
	case r.URL.Path == "/api/v3/operations":
		type op struct {
			Name     string `json:"name"`
			SpanKind string `json:"spanKind"`
		}
		ops := []op{}
		for _, name := range s.st.ops[q.Get("service")] {
			ops = append(ops, op{Name: name, SpanKind: "internal"})
		}
		writeJSON(w, http.StatusOK, map[string]any{"operations": ops})
	case r.URL.Path == "/api/v3/traces":
		s.v3Search(w, q)
	case strings.HasPrefix(r.URL.Path, "/api/v3/traces/"):
		for _, p := range []string{"start_time", "end_time", "startTime", "endTime"} {
			if v := q.Get(p); v != "" {
				if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
					v3Error(w, http.StatusBadRequest, "malformed parameter "+p+": "+err.Error())
					return
				}
			}
		}
		t, status, msg := s.lookup(strings.TrimPrefix(r.URL.Path, "/api/v3/traces/"))
		if t == nil {
			v3Error(w, status, msg)
			return
		}
		s.writeV3(w, []*storedTrace{t})
	default:
		http.NotFound(w, r)
	}
}

// lookup parses a trace ID as Jaeger does (16 or 32 hex digits).
func (s *Server) lookup(raw string) (*storedTrace, int, string) {
	jid, err := jmodel.TraceIDFromString(raw)
	if err != nil || raw == "" {
		return nil, http.StatusBadRequest, "invalid length for TraceID"
	}
	t := s.st.byID[widen(jid)]
	if t == nil {
		return nil, http.StatusNotFound, "trace not found"
	}
	return t, 0, ""
}

func (s *Server) v1Search(w http.ResponseWriter, q url.Values) {
	if ids := q["traceID"]; len(ids) > 0 {
		data := []uiTrace{}
		var errs []map[string]string
		for _, raw := range ids {
			t, status, msg := s.lookup(raw)
			if status == http.StatusBadRequest {
				v1Error(w, status, msg)
				return
			}
			if t == nil {
				jid, _ := jmodel.TraceIDFromString(raw)
				errs = append(errs, map[string]string{"msg": msg, "traceID": jid.String()})
				continue
			}
			data = append(data, t.ui())
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "total": 0, "limit": 0, "offset": 0, "errors": errs})
		return
	}
	sq := searchQuery{service: q.Get("service"), operation: q.Get("operation")}
	if sq.service == "" {
		v1Error(w, http.StatusBadRequest, "parameter 'service' is required")
		return
	}
	now := time.Now()
	var err error
	if sq.start, err = intParam(q, "start", now.Add(-48*time.Hour).UnixMicro()); err != nil {
		v1Error(w, http.StatusBadRequest, err.Error())
		return
	}
	if sq.end, err = intParam(q, "end", now.UnixMicro()); err != nil {
		v1Error(w, http.StatusBadRequest, err.Error())
		return
	}
	limit, err := intParam(q, "limit", 100)
	if err != nil || limit > 1<<31-1 {
		v1Error(w, http.StatusBadRequest, fmt.Sprintf("unable to parse param 'limit': %v", err))
		return
	}
	sq.limit = int(limit)
	if sq.limit <= 0 {
		sq.limit = 100
	}
	if sq.start > sq.end {
		v1Error(w, http.StatusInternalServerError, "min start time is above max")
		return
	}
	data := []uiTrace{}
	for _, t := range s.st.search(sq) {
		data = append(data, t.ui())
	}
	writeV1(w, http.StatusOK, data, 0)
}

func (s *Server) v3Search(w http.ResponseWriter, q url.Values) {
	get := func(names ...string) string {
		for _, n := range names {
			if v := q.Get(n); v != "" {
				return v
			}
		}
		return ""
	}
	minS := get("query.start_time_min", "query.startTimeMin")
	maxS := get("query.start_time_max", "query.startTimeMax")
	if minS == "" || maxS == "" {
		v3Error(w, http.StatusBadRequest, "query.startTimeMin and query.startTimeMax are required")
		return
	}
	minT, err := time.Parse(time.RFC3339Nano, minS)
	if err != nil {
		v3Error(w, http.StatusBadRequest, "malformed parameter query.start_time_min: "+err.Error())
		return
	}
	maxT, err := time.Parse(time.RFC3339Nano, maxS)
	if err != nil {
		v3Error(w, http.StatusBadRequest, "malformed parameter query.start_time_max: "+err.Error())
		return
	}
	if !minT.Before(maxT) {
		v3Error(w, http.StatusBadRequest, "query.startTimeMin must be before query.startTimeMax")
		return
	}
	depth := 100
	if d := get("query.num_traces", "query.searchDepth", "query.search_depth"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil {
			v3Error(w, http.StatusBadRequest, "malformed parameter query.num_traces: "+err.Error())
			return
		}
		if n > 0 {
			depth = n
		}
	}
	// Badger truncates both bounds to µs and compares inclusively.
	hits := s.st.search(searchQuery{
		service:   get("query.service_name", "query.serviceName"),
		operation: get("query.operation_name", "query.operationName"),
		start:     minT.UnixMicro(), end: maxT.UnixMicro(), limit: depth,
	})
	if len(hits) == 0 {
		v3Error(w, http.StatusNotFound, "No traces found")
		return
	}
	s.writeV3(w, hits)
}

func (s *Server) writeV3(w http.ResponseWriter, ts []*storedTrace) {
	all := ptrace.NewTraces()
	for _, t := range ts {
		td, err := t.otlp()
		if err != nil {
			v3Error(w, http.StatusInternalServerError, err.Error())
			return
		}
		td.ResourceSpans().MoveAndAppendTo(all.ResourceSpans())
	}
	var m ptrace.JSONMarshaler
	b, err := m.MarshalTraces(all)
	if err != nil {
		v3Error(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"result":%s}`, b)
}

func intParam(q url.Values, name string, def int64) (int64, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("unable to parse param '%s': %v", name, err)
	}
	return n, nil
}

func writeV1(w http.ResponseWriter, status int, data any, total int) {
	writeJSON(w, status, map[string]any{"data": data, "total": total, "limit": 0, "offset": 0, "errors": nil})
}

// Jaeger's error bodies are JSON sent as text/plain.
func v1Error(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]any{"data": nil, "total": 0, "limit": 0, "offset": 0,
		"errors": []map[string]any{{"code": status, "msg": msg}}})
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func v3Error(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"httpCode": status, "message": msg}})
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}
