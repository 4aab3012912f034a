package api

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/traceql"
)

// traceRequest is what both trace-by-ID versions share.
type traceRequest struct {
	tenants []string
	req     querier.TraceByIDRequest
}

func (h *handlers) parseTraceRequest(w http.ResponseWriter, r *http.Request) (*traceRequest, bool) {
	tenants, ok := h.tenantsOr401(w, r)
	if !ok {
		return nil, false
	}
	id, err := parseTraceID(mux.Vars(r)["traceID"])
	if err != nil {
		textError(w, err.Error(), http.StatusBadRequest)
		return nil, false
	}
	start, end, err := traceRange(r)
	if err != nil {
		textError(w, err.Error(), http.StatusBadRequest)
		return nil, false
	}
	mode := r.URL.Query().Get("mode")
	switch mode {
	case "", querier.ModeAll, querier.ModeBlocks, querier.ModeIngesters:
	case "external":
		mode = querier.ModeBlocks // no external store: blocks are the backend
	default:
		textError(w, "invalid value for mode "+mode, http.StatusBadRequest)
		return nil, false
	}
	return &traceRequest{tenants: tenants, req: querier.TraceByIDRequest{ID: id, Start: start, End: end, Mode: mode}}, true
}

// find runs the lookup for every tenant of the request and combines.
func (h *handlers) find(r *http.Request, tr *traceRequest) (*querier.TraceByIDResult, error) {
	var out *querier.TraceByIDResult
	var parts []ptrace.Traces
	for _, t := range tr.tenants {
		req := tr.req
		req.Tenant = t
		res, err := h.q.FindTraceByID(r.Context(), req)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = res
		} else {
			out.InspectedBytes += res.InspectedBytes
			out.Partial = out.Partial || res.Partial
			out.Found = out.Found || res.Found
		}
		if res.Found {
			parts = append(parts, res.Trace)
		}
	}
	switch len(parts) {
	case 0:
	case 1:
		out.Trace = parts[0]
	default:
		out.Trace = model.Combine(parts...)
	}
	return out, nil
}

// traceByIDV1 is GET /api/traces/{traceID}: the trace with "batches", or
// tempopb.Trace; 404 with an empty body when absent.
func (h *handlers) traceByIDV1(w http.ResponseWriter, r *http.Request) {
	tr, ok := h.parseTraceRequest(w, r)
	if !ok {
		return
	}
	res, err := h.find(r, tr)
	if err != nil {
		queryError(w, r, err, "")
		return
	}
	if !res.Found {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if wantsProtobuf(r) {
		b, err := MarshalTraceProto(res.Trace)
		if err != nil {
			textError(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeBody(w, contentTypeProtobuf, b)
		return
	}
	b, err := MarshalTraceV1JSON(res.Trace)
	if err != nil {
		textError(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeBody(w, contentTypeJSON, b)
}

// Messages of a partial v2 answer (Tempo's wording).
const msgFiltered = "Trace filtered, only a subset of spans matching the filter is returned"

func msgTooLarge(max int) string {
	return "Trace exceeds maximum size of " + strconv.Itoa(max) + " bytes, a partial trace is returned"
}

// traceByIDV2 is GET /api/v2/traces/{traceID}: tempopb.TraceByIDResponse;
// absent is 200 with an empty trace.
func (h *handlers) traceByIDV2(w http.ResponseWriter, r *http.Request) {
	tr, ok := h.parseTraceRequest(w, r)
	if !ok {
		return
	}
	tr.req.AllowPartial = true
	qp := r.URL.Query()
	var filter *querier.TraceFilter
	if q := strings.TrimSpace(qp.Get("q")); q != "" {
		f := querier.TraceFilter{Query: q, AncestorDepth: -1}
		var err error
		if f.KeepHierarchy, err = boolParam(qp.Get("keep_hierarchy")); err != nil {
			textError(w, "invalid keep_hierarchy: "+err.Error(), http.StatusBadRequest)
			return
		}
		if f.MatchDepth, err = depthParam(qp.Get("match_depth"), 0); err != nil {
			textError(w, "invalid match_depth: "+err.Error(), http.StatusBadRequest)
			return
		}
		if f.KeepHierarchy {
			if f.AncestorDepth, err = depthParam(qp.Get("ancestor_depth"), -1); err != nil {
				textError(w, "invalid ancestor_depth: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
		filter = &f
	}
	var expr *traceql.RootExpr
	if filter != nil {
		var err error
		if expr, err = querier.ParseTraceFilter(filter.Query); err != nil {
			textError(w, "invalid TraceQL filter: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	res, err := h.find(r, tr)
	if err != nil {
		queryError(w, r, err, "")
		return
	}
	out := v2Response{inspectedBytes: res.InspectedBytes}
	if res.Found {
		out.trace = res.Trace
		out.found = true
		if res.Partial {
			out.messages = append(out.messages, msgTooLarge(res.MaxBytes))
		}
		if expr != nil {
			td, filtered, err := querier.FilterTrace(r.Context(), res.Trace, expr, *filter)
			if err != nil {
				queryError(w, r, err, "invalid TraceQL filter: ")
				return
			}
			out.trace = td
			if filtered {
				out.messages = append(out.messages, msgFiltered)
			}
		}
	}
	if wantsProtobuf(r) {
		b, err := out.marshalProto()
		if err != nil {
			textError(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeBody(w, contentTypeProtobuf, b)
		return
	}
	b, err := out.marshalJSON()
	if err != nil {
		textError(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeBody(w, contentTypeJSON, b)
}

func boolParam(v string) (bool, error) {
	if v == "" {
		return false, nil
	}
	return strconv.ParseBool(v)
}

func depthParam(v string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err == nil && n < -1 {
		err = strconv.ErrRange
	}
	return n, err
}

// v2Response is tempopb.TraceByIDResponse.
type v2Response struct {
	found          bool
	trace          ptrace.Traces
	inspectedBytes uint64
	messages       []string
}

func (v *v2Response) hasSpans() bool { return v.found && v.trace.ResourceSpans().Len() > 0 }

func (v *v2Response) marshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"trace":`)
	if v.hasSpans() {
		if err := marshalBatches(&buf, "resourceSpans", v.trace); err != nil {
			return nil, err
		}
	} else {
		buf.WriteString("{}")
	}
	buf.WriteString(`,"metrics":{`)
	if v.found && v.inspectedBytes > 0 {
		buf.WriteString(`"inspectedBytes":"` + strconv.FormatUint(v.inspectedBytes, 10) + `"`)
	}
	buf.WriteString("}")
	if len(v.messages) > 0 {
		msg, _ := jsonString(strings.Join(v.messages, "; "))
		buf.WriteString(`,"status":"PARTIAL","message":`)
		buf.Write(msg)
	}
	buf.WriteString("}")
	return buf.Bytes(), nil
}

func (v *v2Response) marshalProto() ([]byte, error) {
	var trace []byte
	if v.hasSpans() {
		var err error
		if trace, err = MarshalTraceProto(v.trace); err != nil {
			return nil, err
		}
	}
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendBytes(b, trace)
	var metrics []byte
	if v.found && v.inspectedBytes > 0 {
		metrics = protowire.AppendTag(metrics, 1, protowire.VarintType)
		metrics = protowire.AppendVarint(metrics, v.inspectedBytes)
	}
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendBytes(b, metrics)
	if len(v.messages) > 0 {
		b = protowire.AppendTag(b, 3, protowire.VarintType)
		b = protowire.AppendVarint(b, 1) // PARTIAL
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendString(b, strings.Join(v.messages, "; "))
	}
	return b, nil
}
