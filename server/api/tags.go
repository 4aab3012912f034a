package api

import (
	"context"
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
func (h *handlers) tagNames(ctx context.Context, tenants []string, req querier.TagsRequest) (map[string][]string, uint64, error) {
	scopes := map[string][]string{}
	var bytes uint64
	for _, t := range tenants {
		req.Tenant = t
		res, err := h.q.TagNames(ctx, req)
		if err != nil {
			return nil, 0, err
		}
		for s, names := range res.Scopes {
			scopes[s] = union(scopes[s], names)
		}
		bytes += res.InspectedBytes
	}
	return scopes, bytes, nil
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
	scopes, bytes, err := h.tagNames(r.Context(), tenants, req)
	if err != nil {
		queryError(w, r, err, "")
		return
	}
	resp := tagsV1{TagNames: flatNames(scopes, req.Scope), Metrics: metadataMetrics{InspectedBytes: bytes}}
	if wantsProtobuf(r) {
		writeBody(w, contentTypeProtobuf, resp.marshalProto())
		return
	}
	writeJSON(w, resp)
}

// flatNames is the v1 list: every scope's names in one sorted list,
// intrinsics only when asked for.
func flatNames(scopes map[string][]string, scope string) []string {
	var names []string
	for s, l := range scopes {
		if s == querier.ScopeIntrinsic && scope != querier.ScopeIntrinsic {
			continue
		}
		names = union(names, l)
	}
	return names
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
	scopes, bytes, err := h.tagNames(r.Context(), tenants, req)
	if err != nil {
		queryError(w, r, err, "")
		return
	}
	resp := tagsV2{Scopes: scopesInOrder(scopes), Metrics: metadataMetrics{InspectedBytes: bytes}}
	if wantsProtobuf(r) {
		writeBody(w, contentTypeProtobuf, resp.marshalProto())
		return
	}
	writeJSON(w, resp)
}

// scopesInOrder lists the scopes having names in scopeOrder.
func scopesInOrder(scopes map[string][]string) []tagsV2Scope {
	var out []tagsV2Scope
	for _, s := range scopeOrder {
		if len(scopes[s]) > 0 {
			out = append(out, tagsV2Scope{Name: s, Tags: scopes[s]})
		}
	}
	return out
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

// tagValuesOf runs the request for every tenant and unions the values.
func (h *handlers) tagValuesOf(ctx context.Context, tenants []string, req querier.TagValuesRequest) ([]querier.TagValue, uint64, error) {
	seen := map[querier.TagValue]bool{}
	var out []querier.TagValue
	var bytes uint64
	for _, t := range tenants {
		req.Tenant = t
		res, err := h.q.TagValues(ctx, req)
		if err != nil {
			return nil, 0, err
		}
		for _, v := range res.Values {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
		bytes += res.InspectedBytes
	}
	return out, bytes, nil
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
	vals, bytes, err := h.tagValuesOf(r.Context(), tenants, req)
	if err != nil {
		queryError(w, r, err, "")
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
	attr, err := tagNameV2(mux.Vars(r)["tagName"])
	if err != nil {
		textError(w, err.Error(), http.StatusBadRequest)
		return
	}
	req.Tag = attr
	vals, bytes, err := h.tagValuesOf(r.Context(), tenants, req)
	if err != nil {
		queryError(w, r, err, "")
		return
	}
	resp := tagValuesV2{TagValues: vals, Metrics: metadataMetrics{InspectedBytes: bytes}}
	if wantsProtobuf(r) {
		writeBody(w, contentTypeProtobuf, resp.marshalProto())
		return
	}
	writeJSON(w, resp)
}

// tagNameV2 reads the tag of the v2 tag values endpoint, with Tempo's error.
func tagNameV2(name string) (traceql.Attribute, error) {
	attr, err := parseIdentifier(name)
	if err != nil {
		return attr, errors.New("please provide a valid tagName: failed to parse identifier " + name + ": " + err.Error())
	}
	return attr, nil
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
