package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-logfmt/logfmt"

	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/traceql"
)

// searchParams are /api/search's own parameters; anything else is a legacy
// tag when the request has no q, tags, start or end.
var searchParams = map[string]bool{
	"q": true, "tags": true, "minDuration": true, "maxDuration": true, "limit": true, "spss": true,
	"start": true, "end": true, "since": true,
}

// parseSearch reads /api/search's parameters (spec/http-api.md §3).
func (h *handlers) parseSearch(r *http.Request) (querier.SearchRequest, error) {
	var req querier.SearchRequest
	qp := r.URL.Query()
	req.Query = strings.TrimSpace(qp.Get("q"))
	tags := qp.Get("tags")
	if req.Query != "" && tags != "" {
		return req, errTagsAndQuery
	}
	if tags != "" {
		m, err := parseLogfmtTags(tags)
		if err != nil {
			return req, err
		}
		req.Tags = m
	} else if req.Query == "" && qp.Get("start") == "" && qp.Get("end") == "" {
		for k, vs := range qp {
			if searchParams[k] || len(vs) == 0 {
				continue
			}
			if req.Tags == nil {
				req.Tags = map[string]string{}
			}
			req.Tags[k] = vs[0]
		}
	}
	var err error
	if req.MinDuration, err = durationParam(r, "minDuration"); err != nil {
		return req, err
	}
	if req.MaxDuration, err = durationParam(r, "maxDuration"); err != nil {
		return req, err
	}
	limit, limitSet, err := uintParam(r, "limit")
	if err != nil {
		return req, err
	}
	spss, spssSet, err := uintParam(r, "spss")
	if err != nil {
		return req, err
	}
	if err := h.checkSearch(&req, limit, limitSet, spss, spssSet); err != nil {
		return req, err
	}
	req.Start, req.End, err = h.searchRange(r)
	return req, err
}

var errTagsAndQuery = errors.New("invalid request: can't specify tags and q in the same query")

// checkSearch applies the rules shared by /api/search and the gRPC Search:
// duration bounds, limit (unset = default) and spans per spanset (unset =
// 3, 0 = unlimited).
func (h *handlers) checkSearch(req *querier.SearchRequest, limit int, limitSet bool, spss int, spssSet bool) error {
	if req.MinDuration > 0 && req.MaxDuration > 0 && req.MinDuration > req.MaxDuration {
		return errors.New("invalid maxDuration: must be greater than minDuration")
	}
	switch {
	case !limitSet:
		limit = h.opts.DefaultResultLimit
	case limit == 0:
		return errors.New("invalid limit: must be a positive number")
	case limit > h.opts.MaxResultLimit:
		return fmt.Errorf("limit %d exceeds max limit of %d", limit, h.opts.MaxResultLimit)
	}
	req.Limit = limit
	switch {
	case !spssSet:
		spss = 3
	case spss > h.opts.MaxSpansPerSpanSet:
		return fmt.Errorf("spans per span set exceeds %d. received %d", h.opts.MaxSpansPerSpanSet, spss)
	}
	req.SpansPerSpanSet = spss
	return nil
}

func durationParam(r *http.Request, name string) (time.Duration, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid %s: %s", name, v)
	}
	return d.Truncate(time.Millisecond), nil
}

// parseLogfmtTags reads `k=v k2="v 2"`; a key given twice is an error.
func parseLogfmtTags(s string) (map[string]string, error) {
	out := map[string]string{}
	dec := logfmt.NewDecoder(strings.NewReader(s))
	for dec.ScanRecord() {
		for dec.ScanKeyval() {
			k := string(dec.Key())
			if _, dup := out[k]; dup {
				return nil, fmt.Errorf("invalid tags: duplicate key %q", k)
			}
			out[k] = string(dec.Value())
		}
	}
	if err := dec.Err(); err != nil {
		return nil, fmt.Errorf("invalid tags: %w", err)
	}
	return out, nil
}

// search is GET /api/search.
func (h *handlers) search(w http.ResponseWriter, r *http.Request) {
	tenants, ok := h.tenantsOr401(w, r)
	if !ok {
		return
	}
	req, err := h.parseSearch(r)
	if err != nil {
		textError(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp, err := h.searchTenants(r.Context(), tenants, req)
	if err != nil {
		queryError(w, r, err, searchErrorPrefix(req))
		return
	}
	if wantsProtobuf(r) {
		writeBody(w, contentTypeProtobuf, marshalSearchProto(resp))
		return
	}
	writeJSON(w, searchJSON{Traces: resp.Traces, Metrics: resp.Metrics})
}

// searchTenants runs req for every tenant and merges the answers.
func (h *handlers) searchTenants(ctx context.Context, tenants []string, req querier.SearchRequest) (*traceql.SearchResponse, error) {
	resps := make([]*traceql.SearchResponse, 0, len(tenants))
	for _, t := range tenants {
		req.Tenant = t
		resp, err := h.q.Search(ctx, req)
		if err != nil {
			return nil, err
		}
		resps = append(resps, resp)
	}
	if len(resps) == 1 {
		return resps[0], nil
	}
	return querier.MergeSearchResponses(req.Limit, resps...), nil
}

// searchErrorPrefix goes before the message of a bad search.
func searchErrorPrefix(req querier.SearchRequest) string {
	if req.Query == "" {
		return "invalid request: "
	}
	return "invalid TraceQL query: "
}

// searchJSON is tempopb.SearchResponse as jsonpb writes it: an empty trace
// list is left out, metrics always present.
type searchJSON struct {
	Traces  []*traceql.TraceSearchMetadata `json:"traces,omitempty"`
	Metrics *traceql.SearchMetrics         `json:"metrics"`
}
