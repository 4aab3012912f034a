// Package client is a Go client for tempoctl's (and Tempo's) HTTP query API
// (spec/http-api.md): trace by ID, search, tag names and tag values, with
// the tenant header and any extra headers (auth for a proxy in front).
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/traceql"
)

// DefaultURL is where `tempoctl serve` (and Tempo) listen by default.
const DefaultURL = "http://localhost:3200"

// TenantHeader carries the tenant on queries.
const TenantHeader = "X-Scope-OrgID"

// ErrNotFound is a trace the server does not have.
var ErrNotFound = errors.New("trace not found")

// HTTPError is a non-2xx answer: the status and the server's message.
type HTTPError struct {
	Status int
	Msg    string
}

func (e *HTTPError) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Msg)
}

// Client talks to one server.
type Client struct {
	base    *url.URL
	tenant  string
	headers http.Header
	hc      *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithTenant sets X-Scope-OrgID on every request ("" sends none; "a|b"
// reads several tenants).
func WithTenant(t string) Option { return func(c *Client) { c.tenant = t } }

// WithHeader adds a header to every request.
func WithHeader(key, value string) Option { return func(c *Client) { c.headers.Add(key, value) } }

// WithHTTPClient replaces the default http.Client (2 minute timeout).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// New returns a client for the server at rawURL ("" = DefaultURL); a path
// in the URL is kept as the API prefix (http_api_prefix).
func New(rawURL string, opts ...Option) (*Client, error) {
	if rawURL == "" {
		rawURL = DefaultURL
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("server URL %q: %w", rawURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http://host:port or https://host:port", rawURL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	c := &Client{base: u, headers: http.Header{}, hc: &http.Client{Timeout: 2 * time.Minute}}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// URL is the server's base URL.
func (c *Client) URL() string { return c.base.String() }

// Get sends a GET to path (e.g. "/api/search") with the query parameters
// and returns the body of a 2xx answer; other answers are *HTTPError.
func (c *Client) Get(ctx context.Context, path string, params url.Values, accept string) ([]byte, error) {
	u := *c.base
	u.Path += path
	u.RawPath = ""
	if strings.Contains(path, "%") {
		// Keep escaped segments (tag names with '/') as the caller wrote them.
		u.RawPath = c.base.EscapedPath() + path
		if p, err := url.PathUnescape(u.RawPath); err == nil {
			u.Path = p
		}
	}
	u.RawQuery = params.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range c.headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if c.tenant != "" {
		req.Header.Set(TenantHeader, c.tenant)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<30))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, &HTTPError{Status: resp.StatusCode, Msg: strings.TrimSpace(string(body))}
	}
	return body, nil
}

func setRange(p url.Values, start, end time.Time) {
	if !start.IsZero() {
		p.Set("start", strconv.FormatInt(start.Unix(), 10))
	}
	if !end.IsZero() {
		p.Set("end", strconv.FormatInt(end.Unix(), 10))
	}
}

// TraceOptions restrict a trace lookup to blocks of a time range.
type TraceOptions struct {
	Start, End time.Time
}

// TraceByID fetches a trace (GET /api/traces/{id}, protobuf, so nothing is
// lost to JSON). A missing trace is ErrNotFound.
func (c *Client) TraceByID(ctx context.Context, id model.TraceID, opts TraceOptions) (ptrace.Traces, error) {
	p := url.Values{}
	setRange(p, opts.Start, opts.End)
	body, err := c.Get(ctx, "/api/traces/"+id.String(), p, "application/protobuf")
	var he *HTTPError
	if errors.As(err, &he) && he.Status == http.StatusNotFound {
		return ptrace.Traces{}, ErrNotFound
	}
	if err != nil {
		return ptrace.Traces{}, err
	}
	var um ptrace.ProtoUnmarshaler
	td, err := um.UnmarshalTraces(body)
	if err != nil {
		return ptrace.Traces{}, fmt.Errorf("decoding trace %s: %w", id, err)
	}
	return td, nil
}

// SearchRequest is GET /api/search. Query is TraceQL; without it Tags and
// the durations make a legacy tag search.
type SearchRequest struct {
	Query                    string
	Tags                     map[string]string
	MinDuration, MaxDuration time.Duration
	// Start and End (both or neither) or Since bound the window; none of
	// them is the server's recent window.
	Start, End time.Time
	Since      time.Duration
	// Limit 0 is the server's default (20); SpansPerSpanSet < 0 is the
	// server's default (3), 0 all spans.
	Limit           int
	SpansPerSpanSet int
}

// Search runs a search and decodes the answer.
func (c *Client) Search(ctx context.Context, r SearchRequest) (*traceql.SearchResponse, error) {
	p := url.Values{}
	if r.Query != "" {
		p.Set("q", r.Query)
	}
	if len(r.Tags) > 0 {
		var parts []string
		for k, v := range r.Tags {
			parts = append(parts, k+"="+strconv.Quote(v))
		}
		p.Set("tags", strings.Join(parts, " "))
	}
	if r.MinDuration > 0 {
		p.Set("minDuration", r.MinDuration.String())
	}
	if r.MaxDuration > 0 {
		p.Set("maxDuration", r.MaxDuration.String())
	}
	setWindow(p, r.Start, r.End, r.Since)
	if r.Limit > 0 {
		p.Set("limit", strconv.Itoa(r.Limit))
	}
	if r.SpansPerSpanSet >= 0 {
		p.Set("spss", strconv.Itoa(r.SpansPerSpanSet))
	}
	body, err := c.Get(ctx, "/api/search", p, "")
	if err != nil {
		return nil, err
	}
	resp := &traceql.SearchResponse{}
	if err := json.Unmarshal(body, resp); err != nil {
		return nil, fmt.Errorf("decoding search response: %w", err)
	}
	if resp.Traces == nil {
		resp.Traces = []*traceql.TraceSearchMetadata{}
	}
	if resp.Metrics == nil {
		resp.Metrics = &traceql.SearchMetrics{}
	}
	return resp, nil
}

// setWindow sends start/end (whole seconds, end rounded up so the last
// second is in) or since.
func setWindow(p url.Values, start, end time.Time, since time.Duration) {
	switch {
	case !start.IsZero() && !end.IsZero():
		p.Set("start", strconv.FormatInt(start.Unix(), 10))
		e := end.Unix()
		if end.After(time.Unix(e, 0)) || e <= start.Unix() {
			e++
		}
		p.Set("end", strconv.FormatInt(e, 10))
	case since > 0:
		// Prometheus duration syntax (no fractions): whole seconds, rounded up.
		p.Set("since", strconv.FormatInt(int64((since+time.Second-1)/time.Second), 10)+"s")
	}
}

// Metrics is the metrics block of tag answers.
type Metrics struct {
	InspectedBytes uint64 `json:"inspectedBytes,string,omitempty"`
}

// TagScope is one scope's names.
type TagScope struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

// TagsResponse is the body of /api/v2/search/tags.
type TagsResponse struct {
	Scopes  []TagScope `json:"scopes"`
	Metrics Metrics    `json:"metrics"`
}

// TagsRequest is GET /api/v2/search/tags.
type TagsRequest struct {
	Scope      string // span, resource, event, link, instrumentation, intrinsic or "" (all)
	Query      string // TraceQL filter
	Start, End time.Time
	Since      time.Duration
	Limit      int
}

// Tags lists attribute names by scope.
func (c *Client) Tags(ctx context.Context, r TagsRequest) (*TagsResponse, error) {
	p := url.Values{}
	if r.Scope != "" {
		p.Set("scope", r.Scope)
	}
	if r.Query != "" {
		p.Set("q", r.Query)
	}
	setWindow(p, r.Start, r.End, r.Since)
	if r.Limit > 0 {
		p.Set("limit", strconv.Itoa(r.Limit))
	}
	body, err := c.Get(ctx, "/api/v2/search/tags", p, "")
	if err != nil {
		return nil, err
	}
	resp := &TagsResponse{}
	if err := json.Unmarshal(body, resp); err != nil {
		return nil, fmt.Errorf("decoding tags response: %w", err)
	}
	if resp.Scopes == nil {
		resp.Scopes = []TagScope{}
	}
	return resp, nil
}

// TagValue is one typed value.
type TagValue struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// TagValuesResponse is the body of /api/v2/search/tag/{name}/values.
type TagValuesResponse struct {
	TagValues []TagValue `json:"tagValues"`
	Metrics   Metrics    `json:"metrics"`
}

// TagValuesRequest is GET /api/v2/search/tag/{name}/values.
type TagValuesRequest struct {
	Query      string
	Start, End time.Time
	Since      time.Duration
	Limit      int
}

// TagValues lists the values of a TraceQL identifier (resource.service.name,
// span.http.status_code, name, status …).
func (c *Client) TagValues(ctx context.Context, name string, r TagValuesRequest) (*TagValuesResponse, error) {
	p := url.Values{}
	if r.Query != "" {
		p.Set("q", r.Query)
	}
	setWindow(p, r.Start, r.End, r.Since)
	if r.Limit > 0 {
		p.Set("limit", strconv.Itoa(r.Limit))
	}
	body, err := c.Get(ctx, "/api/v2/search/tag/"+url.PathEscape(name)+"/values", p, "")
	if err != nil {
		return nil, err
	}
	resp := &TagValuesResponse{}
	if err := json.Unmarshal(body, resp); err != nil {
		return nil, fmt.Errorf("decoding tag values response: %w", err)
	}
	if resp.TagValues == nil {
		resp.TagValues = []TagValue{}
	}
	return resp, nil
}

// TagValuesV1 lists the string values of a raw attribute name in any scope
// (GET /api/search/tag/{name}/values), for names that are not TraceQL
// identifiers (service.name).
func (c *Client) TagValuesV1(ctx context.Context, name string, r TagValuesRequest) ([]string, Metrics, error) {
	p := url.Values{}
	if r.Query != "" {
		p.Set("q", r.Query)
	}
	setWindow(p, r.Start, r.End, r.Since)
	if r.Limit > 0 {
		p.Set("limit", strconv.Itoa(r.Limit))
	}
	body, err := c.Get(ctx, "/api/search/tag/"+url.PathEscape(name)+"/values", p, "")
	if err != nil {
		return nil, Metrics{}, err
	}
	var resp struct {
		TagValues []string `json:"tagValues"`
		Metrics   Metrics  `json:"metrics"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, Metrics{}, fmt.Errorf("decoding tag values response: %w", err)
	}
	return resp.TagValues, resp.Metrics, nil
}
