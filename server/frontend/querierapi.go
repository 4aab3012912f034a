package frontend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-logfmt/logfmt"
	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/traceql"
)

// The querier-internal routes (spec/http-api.md §7.3): one job each, sent
// by a query frontend in another process. Parameters follow the public
// routes, plus the job's: mode=ingesters (the live data) or blockID with
// startPage/pagesToSearch (row groups) for a search; mode, blockStart and
// blockEnd for a trace shard. Times are Unix nanoseconds. The tenant is
// the header's value as the frontend resolved it. Answers are JSON of the
// querier's result types (a trace as OTLP protobuf bytes).
const (
	routeJobSearch    = "/querier/api/search"
	routeJobTrace     = "/querier/api/traces/{traceID}"
	routeJobTags      = "/querier/api/v2/search/tags"
	routeJobTagValues = "/querier/api/v2/search/tag/{tagName}/values"
)

// RegisterQuerierAPI serves the querier-internal job routes on r, running
// each job on w.
func RegisterQuerierAPI(r *mux.Router, w *Worker, tenantHeader string) {
	if tenantHeader == "" {
		tenantHeader = "X-Scope-OrgID"
	}
	h := &jobHandlers{w: w, header: tenantHeader}
	r.HandleFunc(routeJobSearch, h.search).Methods(http.MethodGet).Name(routeJobSearch)
	r.HandleFunc(routeJobTrace, h.trace).Methods(http.MethodGet).Name(routeJobTrace)
	r.HandleFunc(routeJobTags, h.tags).Methods(http.MethodGet).Name(routeJobTags)
	r.HandleFunc("/querier/api/v2/search/tag/{tagName:.+}/values", h.tagValues).Methods(http.MethodGet).Name(routeJobTagValues)
}

type jobHandlers struct {
	w      *Worker
	header string
}

// jobTrace is the answer of a trace shard.
type jobTrace struct {
	Found          bool   `json:"found"`
	Partial        bool   `json:"partial,omitempty"`
	MaxBytes       int    `json:"maxBytes,omitempty"`
	InspectedBytes uint64 `json:"inspectedBytes"`
	BlocksSearched int    `json:"blocksSearched"`
	FailedBlocks   int    `json:"failedBlocks"`
	Trace          []byte `json:"trace,omitempty"` // OTLP protobuf
}

type jobTags struct {
	Scopes         map[string][]string `json:"scopes"`
	InspectedBytes uint64              `json:"inspectedBytes"`
}

type jobTagValues struct {
	Values         []querier.TagValue `json:"values"`
	InspectedBytes uint64             `json:"inspectedBytes"`
}

func (h *jobHandlers) tenant(w http.ResponseWriter, r *http.Request) (string, bool) {
	t := r.Header.Get(h.header)
	if t == "" {
		http.Error(w, "no org id", http.StatusUnauthorized)
		return "", false
	}
	return t, true
}

func (h *jobHandlers) search(w http.ResponseWriter, r *http.Request) {
	tenant, ok := h.tenant(w, r)
	if !ok {
		return
	}
	qp := r.URL.Query()
	req, err := decodeSearchRequest(qp)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req.Tenant = tenant
	var job querier.SearchJob
	switch {
	case qp.Get("mode") == querier.ModeIngesters:
		job.Live = true
	case qp.Get("blockID") != "":
		id, err := uuid.Parse(qp.Get("blockID"))
		if err != nil {
			http.Error(w, "invalid blockID: "+err.Error(), http.StatusBadRequest)
			return
		}
		m, err := h.w.q.BlockByID(r.Context(), tenant, id)
		if err != nil {
			jobError(w, err)
			return
		}
		job.Blocks = append(job.Blocks, m)
		if job.StartRowGroup, err = intParam(qp, "startPage"); err == nil {
			job.RowGroups, err = intParam(qp, "pagesToSearch")
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	default:
		http.Error(w, "a search job needs mode=ingesters or blockID", http.StatusBadRequest)
		return
	}
	resp, err := h.w.RunSearchJob(r.Context(), req, job)
	if err != nil {
		jobError(w, err)
		return
	}
	writeJobJSON(w, resp)
}

func (h *jobHandlers) trace(w http.ResponseWriter, r *http.Request) {
	tenant, ok := h.tenant(w, r)
	if !ok {
		return
	}
	qp := r.URL.Query()
	id, err := model.ParseTraceID(mux.Vars(r)["traceID"])
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := querier.TraceByIDRequest{Tenant: tenant, ID: id, Mode: qp.Get("mode"), AllowPartial: qp.Get("allowPartial") == "true"}
	if req.Start, req.End, err = timeParams(qp); err == nil {
		req.BlockStart, req.BlockEnd, err = blockRange(qp)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	res, err := h.w.FindTraceByIDShard(r.Context(), req)
	if err != nil {
		jobError(w, err)
		return
	}
	out := jobTrace{Found: res.Found, Partial: res.Partial, MaxBytes: res.MaxBytes, InspectedBytes: res.InspectedBytes,
		BlocksSearched: res.BlocksSearched, FailedBlocks: res.FailedBlocks}
	if res.Found {
		var m ptrace.ProtoMarshaler
		if out.Trace, err = m.MarshalTraces(res.Trace); err != nil {
			jobError(w, err)
			return
		}
	}
	writeJobJSON(w, out)
}

func (h *jobHandlers) tags(w http.ResponseWriter, r *http.Request) {
	tenant, ok := h.tenant(w, r)
	if !ok {
		return
	}
	qp := r.URL.Query()
	req := querier.TagsRequest{Tenant: tenant, Scope: qp.Get("scope"), Query: qp.Get("q")}
	var err error
	req.Start, req.End, req.Limit, req.MaxStaleValues, err = tagParams(qp)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	res, err := h.w.TagNames(r.Context(), req)
	if err != nil {
		jobError(w, err)
		return
	}
	writeJobJSON(w, jobTags{Scopes: res.Scopes, InspectedBytes: res.InspectedBytes})
}

func (h *jobHandlers) tagValues(w http.ResponseWriter, r *http.Request) {
	tenant, ok := h.tenant(w, r)
	if !ok {
		return
	}
	qp := r.URL.Query()
	name := mux.Vars(r)["tagName"]
	req := querier.TagValuesRequest{Tenant: tenant, Query: qp.Get("q"), V1: qp.Get("v1") == "true"}
	var err error
	if req.V1 {
		req.Name = name
	} else {
		req.Tag, err = parseIdentifier(name)
	}
	if err == nil {
		req.Start, req.End, req.Limit, req.MaxStaleValues, err = tagParams(qp)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	res, err := h.w.TagValues(r.Context(), req)
	if err != nil {
		jobError(w, err)
		return
	}
	writeJobJSON(w, jobTagValues{Values: res.Values, InspectedBytes: res.InspectedBytes})
}

// Job error statuses: 400 the query, 422 too large, 504 a timeout, 500
// the job's sources. The frontend turns them back into the same errors.
func jobError(w http.ResponseWriter, err error) {
	var inv *querier.InvalidRequestError
	var tl *querier.TooLargeError
	switch {
	case errors.As(err, &inv):
		http.Error(w, inv.Error(), http.StatusBadRequest)
	case errors.As(err, &tl):
		http.Error(w, strconv.Itoa(tl.Max), http.StatusUnprocessableEntity)
	case errors.Is(err, context.DeadlineExceeded):
		http.Error(w, err.Error(), http.StatusGatewayTimeout)
	default:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

func writeJobJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// encodeSearchRequest and decodeSearchRequest carry a search over the
// job routes.
func encodeSearchRequest(req querier.SearchRequest, p url.Values) {
	if req.Query != "" {
		p.Set("q", req.Query)
	}
	if len(req.Tags) > 0 {
		var parts []string
		for k, v := range req.Tags {
			parts = append(parts, k+"="+strconv.Quote(v))
		}
		p.Set("tags", strings.Join(parts, " "))
	}
	if req.MinDuration > 0 {
		p.Set("minDuration", req.MinDuration.String())
	}
	if req.MaxDuration > 0 {
		p.Set("maxDuration", req.MaxDuration.String())
	}
	p.Set("limit", strconv.Itoa(req.Limit))
	p.Set("spss", strconv.Itoa(req.SpansPerSpanSet))
	setTimes(p, req.Start, req.End)
}

func decodeSearchRequest(qp url.Values) (querier.SearchRequest, error) {
	req := querier.SearchRequest{Query: qp.Get("q")}
	if tags := qp.Get("tags"); tags != "" {
		req.Tags = map[string]string{}
		dec := logfmt.NewDecoder(strings.NewReader(tags))
		for dec.ScanRecord() {
			for dec.ScanKeyval() {
				req.Tags[string(dec.Key())] = string(dec.Value())
			}
		}
		if err := dec.Err(); err != nil {
			return req, fmt.Errorf("invalid tags: %w", err)
		}
	}
	var err error
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{"minDuration", &req.MinDuration}, {"maxDuration", &req.MaxDuration}} {
		if v := qp.Get(d.name); v != "" {
			if *d.dst, err = time.ParseDuration(v); err != nil {
				return req, fmt.Errorf("invalid %s: %w", d.name, err)
			}
		}
	}
	if req.Limit, err = intParam(qp, "limit"); err != nil {
		return req, err
	}
	if req.SpansPerSpanSet, err = intParam(qp, "spss"); err != nil {
		return req, err
	}
	req.Start, req.End, err = timeParams(qp)
	return req, err
}

func setTimes(p url.Values, start, end time.Time) {
	if !start.IsZero() {
		p.Set("start", strconv.FormatInt(start.UnixNano(), 10))
	}
	if !end.IsZero() {
		p.Set("end", strconv.FormatInt(end.UnixNano(), 10))
	}
}

func timeParams(qp url.Values) (start, end time.Time, err error) {
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"start", &start}, {"end", &end}} {
		if v := qp.Get(t.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return start, end, fmt.Errorf("invalid %s: %w", t.name, err)
			}
			*t.dst = time.Unix(0, n)
		}
	}
	return start, end, nil
}

func blockRange(qp url.Values) (start, end uuid.UUID, err error) {
	if v := qp.Get("blockStart"); v != "" {
		if start, err = uuid.Parse(v); err != nil {
			return start, end, fmt.Errorf("invalid blockStart: %w", err)
		}
	}
	if v := qp.Get("blockEnd"); v != "" {
		if end, err = uuid.Parse(v); err != nil {
			return start, end, fmt.Errorf("invalid blockEnd: %w", err)
		}
	}
	return start, end, nil
}

// tagParams are the window and limits both tag jobs take.
func tagParams(qp url.Values) (start, end time.Time, limit, maxStale int, err error) {
	if start, end, err = timeParams(qp); err != nil {
		return
	}
	if limit, err = intParam(qp, "limit"); err != nil {
		return
	}
	maxStale, err = intParam(qp, "maxStaleValues")
	return
}

func intParam(qp url.Values, name string) (int, error) {
	v := qp.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid %s: %q", name, v)
	}
	return n, nil
}

// parseIdentifier reads a TraceQL attribute or intrinsic (as written by
// traceql.Attribute.String) by parsing `{ name != nil }`.
func parseIdentifier(name string) (traceql.Attribute, error) {
	root, err := traceql.Parse("{ " + name + " != nil }")
	if err == nil && root.Pipeline != nil && len(root.Pipeline.Stages) == 1 {
		if f, ok := root.Pipeline.Stages[0].(*traceql.SpansetFilter); ok {
			if b, ok := f.Expr.(*traceql.BinaryOp); ok {
				if a, ok := b.LHS.(*traceql.AttrRef); ok {
					return a.Attribute, nil
				}
			}
		}
	}
	return traceql.Attribute{}, fmt.Errorf("invalid tag name %q", name)
}
