package api

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/traceql"
)

// metadataMetrics is tempopb.MetadataMetrics as the tag endpoints fill it.
type metadataMetrics struct {
	InspectedBytes uint64 `json:"inspectedBytes,string,omitempty"`
}

// parseTags reads the shared parameters of the tag endpoints.
func (h *handlers) parseTags(w http.ResponseWriter, r *http.Request) ([]string, querier.TagsRequest, bool) {
	var req querier.TagsRequest
	tenants, ok := h.tenantsOr401(w, r)
	if !ok {
		return nil, req, false
	}
	qp := r.URL.Query()
	req.Scope = qp.Get("scope")
	if !querier.ValidScope(req.Scope) {
		textError(w, "invalid scope: "+req.Scope, http.StatusBadRequest)
		return nil, req, false
	}
	req.Query = qp.Get("q")
	var err error
	if req.Start, req.End, err = h.searchRange(r); err != nil {
		textError(w, err.Error(), http.StatusBadRequest)
		return nil, req, false
	}
	if req.Limit, _, err = uintParam(r, "limit"); err != nil {
		textError(w, err.Error(), http.StatusBadRequest)
		return nil, req, false
	}
	if req.MaxStaleValues, _, err = uintParam(r, "maxStaleValues"); err != nil {
		textError(w, err.Error(), http.StatusBadRequest)
		return nil, req, false
	}
	return tenants, req, true
}

// tagNames runs the request for every tenant and unions the scopes.
func (h *handlers) tagNames(w http.ResponseWriter, r *http.Request, tenants []string, req querier.TagsRequest) (map[string][]string, uint64, bool) {
	scopes := map[string][]string{}
	var bytes uint64
	for _, t := range tenants {
		req.Tenant = t
		res, err := h.q.TagNames(r.Context(), req)
		if err != nil {
			queryError(w, r, err, "")
			return nil, 0, false
		}
		for s, names := range res.Scopes {
			scopes[s] = union(scopes[s], names)
		}
		bytes += res.InspectedBytes
	}
	return scopes, bytes, true
}

func union(a, b []string) []string {
	if len(a) == 0 {
		return b
	}
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// searchTags is GET /api/search/tags: one sorted list of names.
func (h *handlers) searchTags(w http.ResponseWriter, r *http.Request) {
	tenants, req, ok := h.parseTags(w, r)
	if !ok {
		return
	}
	scopes, bytes, ok := h.tagNames(w, r, tenants, req)
	if !ok {
		return
	}
	var names []string
	for s, l := range scopes {
		if s == querier.ScopeIntrinsic && req.Scope != querier.ScopeIntrinsic {
			continue // v1 lists attributes unless intrinsics are asked for
		}
		names = union(names, l)
	}
	resp := tagsV1{TagNames: names, Metrics: metadataMetrics{InspectedBytes: bytes}}
	if wantsProtobuf(r) {
		writeBody(w, contentTypeProtobuf, resp.marshalProto())
		return
	}
	writeJSON(w, resp)
}

type tagsV1 struct {
	TagNames []string        `json:"tagNames,omitempty"`
	Metrics  metadataMetrics `json:"metrics"`
}

type tagsV2Scope struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

type tagsV2 struct {
	Scopes  []tagsV2Scope   `json:"scopes,omitempty"`
	Metrics metadataMetrics `json:"metrics"`
}

// scopeOrder is the order scopes are listed in (not significant to clients).
var scopeOrder = append(slices.Clone(querier.AttributeScopes), querier.ScopeIntrinsic)

// searchTagsV2 is GET /api/v2/search/tags: names by scope.
func (h *handlers) searchTagsV2(w http.ResponseWriter, r *http.Request) {
	tenants, req, ok := h.parseTags(w, r)
	if !ok {
		return
	}
	scopes, bytes, ok := h.tagNames(w, r, tenants, req)
	if !ok {
		return
	}
	resp := tagsV2{Metrics: metadataMetrics{InspectedBytes: bytes}}
	for _, s := range scopeOrder {
		if len(scopes[s]) > 0 {
			resp.Scopes = append(resp.Scopes, tagsV2Scope{Name: s, Tags: scopes[s]})
		}
	}
	if wantsProtobuf(r) {
		writeBody(w, contentTypeProtobuf, resp.marshalProto())
		return
	}
	writeJSON(w, resp)
}

// tagValueParams reads the shared parameters of the tag-values endpoints.
func (h *handlers) tagValueParams(w http.ResponseWriter, r *http.Request) ([]string, querier.TagValuesRequest, bool) {
	var req querier.TagValuesRequest
	tenants, ok := h.tenantsOr401(w, r)
	if !ok {
		return nil, req, false
	}
	req.Query = r.URL.Query().Get("q")
	var err error
	if req.Start, req.End, err = h.searchRange(r); err != nil {
		textError(w, err.Error(), http.StatusBadRequest)
		return nil, req, false
	}
	if req.Limit, _, err = uintParam(r, "limit"); err != nil {
		textError(w, err.Error(), http.StatusBadRequest)
		return nil, req, false
	}
	if req.MaxStaleValues, _, err = uintParam(r, "maxStaleValues"); err != nil {
		textError(w, err.Error(), http.StatusBadRequest)
		return nil, req, false
	}
	return tenants, req, true
}

func (h *handlers) tagValuesOf(w http.ResponseWriter, r *http.Request, tenants []string, req querier.TagValuesRequest) ([]querier.TagValue, uint64, bool) {
	seen := map[querier.TagValue]bool{}
	var out []querier.TagValue
	var bytes uint64
	for _, t := range tenants {
		req.Tenant = t
		res, err := h.q.TagValues(r.Context(), req)
		if err != nil {
			queryError(w, r, err, "")
			return nil, 0, false
		}
		for _, v := range res.Values {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
		bytes += res.InspectedBytes
	}
	return out, bytes, true
}

type tagValuesV1 struct {
	TagValues []string        `json:"tagValues,omitempty"`
	Metrics   metadataMetrics `json:"metrics"`
}

// tagValues is GET /api/search/tag/{tagName}/values: string values of the
// raw attribute name in any scope.
func (h *handlers) tagValues(w http.ResponseWriter, r *http.Request) {
	tenants, req, ok := h.tagValueParams(w, r)
	if !ok {
		return
	}
	req.V1, req.Name = true, mux.Vars(r)["tagName"]
	vals, bytes, ok := h.tagValuesOf(w, r, tenants, req)
	if !ok {
		return
	}
	resp := tagValuesV1{Metrics: metadataMetrics{InspectedBytes: bytes}}
	for _, v := range vals {
		resp.TagValues = append(resp.TagValues, v.Value)
	}
	if wantsProtobuf(r) {
		writeBody(w, contentTypeProtobuf, resp.marshalProto())
		return
	}
	writeJSON(w, resp)
}

type tagValuesV2 struct {
	TagValues []querier.TagValue `json:"tagValues,omitempty"`
	Metrics   metadataMetrics    `json:"metrics"`
}

// tagValuesV2 is GET /api/v2/search/tag/{tagName}/values: typed values of a
// TraceQL identifier.
func (h *handlers) tagValuesV2(w http.ResponseWriter, r *http.Request) {
	tenants, req, ok := h.tagValueParams(w, r)
	if !ok {
		return
	}
	name := mux.Vars(r)["tagName"]
	attr, err := parseIdentifier(name)
	if err != nil {
		textError(w, "please provide a valid tagName: failed to parse identifier "+name+": "+err.Error(), http.StatusBadRequest)
		return
	}
	req.Tag = attr
	vals, bytes, ok := h.tagValuesOf(w, r, tenants, req)
	if !ok {
		return
	}
	resp := tagValuesV2{TagValues: vals, Metrics: metadataMetrics{InspectedBytes: bytes}}
	if wantsProtobuf(r) {
		writeBody(w, contentTypeProtobuf, resp.marshalProto())
		return
	}
	writeJSON(w, resp)
}

// parseIdentifier reads a TraceQL attribute or intrinsic by parsing it as
// `{ name != nil }`, the one comparison every identifier accepts.
func parseIdentifier(name string) (traceql.Attribute, error) {
	root, err := traceql.Parse("{ " + name + " != nil }")
	if err != nil {
		return traceql.Attribute{}, err
	}
	if root.Pipeline != nil && len(root.Pipeline.Stages) == 1 && len(root.Hints) == 0 {
		if f, ok := root.Pipeline.Stages[0].(*traceql.SpansetFilter); ok {
			if b, ok := f.Expr.(*traceql.BinaryOp); ok && b.Op == traceql.OpNotEqual {
				if a, ok := b.LHS.(*traceql.AttrRef); ok {
					if l, ok := b.RHS.(*traceql.Literal); ok && l.IsNil() {
						return a.Attribute, nil
					}
				}
			}
		}
	}
	return traceql.Attribute{}, errors.New("not a TraceQL identifier: " + strings.TrimSpace(name))
}
