package jaeger

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tempoctl/tempoctl/model"
)

// v3API is /api/v3: OTLP JSON, RFC3339 times, nanoseconds kept.
type v3API struct{ c *Client }

func (a *v3API) Version() string { return "v3" }
func (a *v3API) FetchBatch() int { return 1 }

func (a *v3API) Services(ctx context.Context) ([]string, error) {
	var body struct {
		Services []string `json:"services"`
	}
	if err := a.getJSON(ctx, "/api/v3/services", nil, &body); err != nil {
		return nil, err
	}
	return body.Services, nil
}

func (a *v3API) Operations(ctx context.Context, service string) ([]string, error) {
	var body struct {
		Operations []struct {
			Name string `json:"name"`
		} `json:"operations"`
	}
	if err := a.getJSON(ctx, "/api/v3/operations", url.Values{"service": {service}}, &body); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(body.Operations))
	for _, o := range body.Operations {
		out = append(out, o.Name)
	}
	return out, nil
}

func (a *v3API) getJSON(ctx context.Context, path string, q url.Values, v any) error {
	status, body, err := a.c.get(ctx, path, q)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return &StatusError{URL: a.c.URL() + path, Status: status, Body: string(body)}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Search uses the snake_case parameter names: every api/v3 release accepts
// them (newer ones also take camelCase). Badger truncates both bounds to µs
// and compares inclusively; the upper bound is the last nanosecond of the
// window's last µs so backends that compare in ns agree, and min < max
// always holds (api/v3 refuses min = max).
func (a *v3API) Search(ctx context.Context, q Query) (SearchResult, error) {
	v := url.Values{
		"query.start_time_min": {time.UnixMicro(q.Window.Start).UTC().Format(time.RFC3339Nano)},
		"query.start_time_max": {time.UnixMicro(q.Window.End).Add(999 * time.Nanosecond).UTC().Format(time.RFC3339Nano)},
		"query.num_traces":     {strconv.Itoa(q.Limit)},
		"query.raw_traces":     {"true"},
	}
	if q.Service != "" {
		v.Set("query.service_name", q.Service)
	}
	if q.Operation != "" {
		v.Set("query.operation_name", q.Operation)
	}
	status, body, err := a.c.get(ctx, "/api/v3/traces", v)
	if err != nil {
		return SearchResult{}, err
	}
	switch status {
	case http.StatusOK:
	case http.StatusNotFound:
		// "No traces found" is how api/v3 says empty.
		return SearchResult{}, nil
	default:
		return SearchResult{}, &StatusError{URL: a.c.URL() + "/api/v3/traces?" + v.Encode(), Status: status, Body: string(body)}
	}
	trs, err := ParseV3Result(body)
	if err != nil {
		return SearchResult{}, err
	}
	return SearchResult{Count: len(trs), Traces: trs}, nil
}

func (a *v3API) Fetch(ctx context.Context, ids []model.TraceID) (FetchResult, error) {
	var res FetchResult
	for _, id := range ids {
		status, body, err := a.c.get(ctx, "/api/v3/traces/"+id.String(), url.Values{"raw_traces": {"true"}})
		if err != nil {
			return res, err
		}
		switch status {
		case http.StatusOK:
		case http.StatusNotFound:
			res.Missing = append(res.Missing, id)
			continue
		default:
			return res, &StatusError{URL: a.c.URL() + "/api/v3/traces/" + id.String(), Status: status, Body: string(body)}
		}
		trs, err := ParseV3Result(body)
		if err != nil {
			res.Bad = append(res.Bad, BadTrace{ID: id.String(), Err: err})
			continue
		}
		found := false
		for _, tr := range trs {
			if tr.ID == id {
				res.Traces = append(res.Traces, tr)
				found = true
			}
		}
		if !found {
			res.Bad = append(res.Bad, BadTrace{ID: id.String(), Err: fmt.Errorf("response holds %d other trace(s), not this one", len(trs))})
		}
	}
	return res, nil
}

func (a *v3API) client() *Client { return a.c }
