package jaeger

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/tempoctl/tempoctl/model"
)

// v1API is the JSON API the Jaeger UI uses (/api): UI JSON, µs times.
type v1API struct{ c *Client }

// v1FetchBatch IDs per /api/traces?traceID=... request (50 worked against
// Jaeger v2.20; URLs stay well under common 8 KiB limits).
const v1FetchBatch = 50

func (a *v1API) Version() string { return "v1" }
func (a *v1API) FetchBatch() int { return v1FetchBatch }

// getEnvelope returns the envelope of a 200 answer; anything else (the body
// is still an envelope with errors) becomes an error.
func (a *v1API) getEnvelope(ctx context.Context, path string, q url.Values) (*v1Envelope, int, error) {
	status, body, err := a.c.get(ctx, path, q)
	if err != nil {
		return nil, 0, err
	}
	var env v1Envelope
	jerr := json.Unmarshal(body, &env)
	if status != http.StatusOK {
		msg := string(body)
		if jerr == nil && len(env.Errors) > 0 {
			msg = env.Errors[0].Msg
		}
		return nil, status, &StatusError{URL: a.c.URL() + path + "?" + q.Encode(), Status: status, Body: msg}
	}
	if jerr != nil {
		return nil, status, fmt.Errorf("%s: not a Jaeger JSON response: %w", path, jerr)
	}
	return &env, status, nil
}

func (a *v1API) Services(ctx context.Context) ([]string, error) {
	env, _, err := a.getEnvelope(ctx, "/api/services", nil)
	if err != nil {
		return nil, err
	}
	var out []string
	if err := json.Unmarshal(env.Data, &out); err != nil {
		return nil, fmt.Errorf("/api/services: %w", err)
	}
	return out, nil
}

// Operations uses /api/operations and falls back to the older
// /api/services/{svc}/operations.
func (a *v1API) Operations(ctx context.Context, service string) ([]string, error) {
	env, status, err := a.getEnvelope(ctx, "/api/operations", url.Values{"service": {service}})
	if status == http.StatusNotFound {
		env, _, err = a.getEnvelope(ctx, "/api/services/"+url.PathEscape(service)+"/operations", nil)
		if err != nil {
			return nil, err
		}
		var names []string
		if err := json.Unmarshal(env.Data, &names); err != nil {
			return nil, err
		}
		return names, nil
	}
	if err != nil {
		return nil, err
	}
	var ops []struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(env.Data, &ops); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ops))
	for _, o := range ops {
		out = append(out, o.Name)
	}
	return out, nil
}

func (a *v1API) Search(ctx context.Context, q Query) (SearchResult, error) {
	v := url.Values{
		"service": {q.Service},
		"start":   {strconv.FormatInt(q.Window.Start, 10)},
		"end":     {strconv.FormatInt(q.Window.End, 10)},
		"limit":   {strconv.Itoa(q.Limit)},
		"raw":     {"true"},
	}
	if q.Operation != "" {
		v.Set("operation", q.Operation)
	}
	env, _, err := a.getEnvelope(ctx, "/api/traces", v)
	if err != nil {
		return SearchResult{}, err
	}
	var data []json.RawMessage
	if err := json.Unmarshal(env.Data, &data); err != nil {
		return SearchResult{}, fmt.Errorf("/api/traces: %w", err)
	}
	res := SearchResult{Count: len(data)}
	for _, raw := range data {
		id, td, err := ParseUITrace(raw)
		if err != nil {
			res.Bad = append(res.Bad, BadTrace{ID: uiTraceID(raw), Err: err})
			continue
		}
		res.Traces = append(res.Traces, Trace{ID: id, Data: td})
	}
	return res, nil
}

// Fetch uses the multi-get form /api/traces?traceID=A&traceID=B: found
// traces in data, each missing one in errors, HTTP 200.
func (a *v1API) Fetch(ctx context.Context, ids []model.TraceID) (FetchResult, error) {
	v := url.Values{"raw": {"true"}}
	for _, id := range ids {
		v.Add("traceID", id.String())
	}
	env, _, err := a.getEnvelope(ctx, "/api/traces", v)
	if err != nil {
		return FetchResult{}, err
	}
	var data []json.RawMessage
	if len(env.Data) > 0 && string(env.Data) != "null" {
		if err := json.Unmarshal(env.Data, &data); err != nil {
			return FetchResult{}, fmt.Errorf("/api/traces: %w", err)
		}
	}
	want := make(map[model.TraceID]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	var res FetchResult
	got := map[model.TraceID]bool{}
	for _, raw := range data {
		id, td, err := ParseUITrace(raw)
		if err != nil {
			bt := BadTrace{ID: uiTraceID(raw), Err: err}
			if jid, perr := parseJaegerTraceID(bt.ID); perr == nil {
				got[widenTraceID(jid)] = true
			}
			res.Bad = append(res.Bad, bt)
			continue
		}
		if !want[id] || got[id] {
			continue
		}
		got[id] = true
		res.Traces = append(res.Traces, Trace{ID: id, Data: td})
	}
	for _, id := range ids {
		if !got[id] {
			res.Missing = append(res.Missing, id)
		}
	}
	return res, nil
}

func (a *v1API) client() *Client { return a.c }
