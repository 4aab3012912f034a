package tui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/traceql"
)

// ServerSource talks to a Tempo-compatible HTTP API (spec/http-api.md). It
// is the minimum the TUI needs until the project's client package exists.
type ServerSource struct {
	base   *url.URL
	tenant string
	hc     *http.Client
}

// maxBody bounds what one answer may hold (a big trace is tens of MB).
const maxBody = 256 << 20

// NewServerSource checks the URL; tenant may be empty (single-tenant server).
func NewServerSource(rawURL, tenant string, hc *http.Client) (*ServerSource, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("server URL %q: %w", rawURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("server URL %q: want http:// or https://", rawURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("server URL %q has no host", rawURL)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 2 * time.Minute}
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &ServerSource{base: u, tenant: tenant, hc: hc}, nil
}

// Name implements Source.
func (s *ServerSource) Name() string {
	if s.tenant != "" {
		return "server " + s.base.String() + " tenant " + s.tenant
	}
	return "server " + s.base.String()
}

// HTTPError is a non-2xx answer; Tempo's error bodies are one line of text.
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

// get fetches path?q and returns the body of a 2xx answer.
func (s *ServerSource) get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	u := *s.base
	u.Path += path
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if s.tenant != "" {
		req.Header.Set("X-Scope-OrgID", s.tenant)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("%s: answer larger than %d bytes", path, maxBody)
	}
	if resp.StatusCode/100 != 2 {
		msg := strings.TrimSpace(string(body))
		if len(msg) > 500 {
			msg = msg[:500] + "…"
		}
		return nil, &HTTPError{Status: resp.StatusCode, Msg: msg}
	}
	return body, nil
}

func timeParams(q url.Values, start, end time.Time) {
	// Tempo wants both or neither; seconds, end exclusive of the fraction.
	if !start.IsZero() && !end.IsZero() {
		q.Set("start", strconv.FormatInt(start.Unix(), 10))
		q.Set("end", strconv.FormatInt(end.Add(time.Second-1).Unix(), 10))
	}
}

// Search implements Source with GET /api/search.
func (s *ServerSource) Search(ctx context.Context, query string, start, end time.Time, limit int) (*traceql.SearchResponse, error) {
	q := url.Values{}
	q.Set("q", query)
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	q.Set("spss", strconv.Itoa(defaultSpss))
	timeParams(q, start, end)
	body, err := s.get(ctx, "/api/search", q)
	if err != nil {
		var he *HTTPError
		if errors.As(err, &he) && he.Status == http.StatusBadRequest && strings.Contains(he.Msg, "TraceQL") {
			return nil, queryErrorFromText(he.Msg)
		}
		return nil, err
	}
	var resp traceql.SearchResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("decode search answer: %w", err)
	}
	if resp.Traces == nil {
		resp.Traces = []*traceql.TraceSearchMetadata{}
	}
	if resp.Metrics == nil {
		resp.Metrics = &traceql.SearchMetrics{}
	}
	return &resp, nil
}

// Trace implements Source with GET /api/traces/{id} (the v1 shape, whose
// top-level key is "batches").
func (s *ServerSource) Trace(ctx context.Context, id model.TraceID) (ptrace.Traces, error) {
	body, err := s.get(ctx, "/api/traces/"+id.String(), nil)
	if err != nil {
		var he *HTTPError
		if errors.As(err, &he) && he.Status == http.StatusNotFound {
			return ptrace.Traces{}, ErrTraceNotFound
		}
		return ptrace.Traces{}, err
	}
	td, err := decodeOTLPOrTempoJSON(body)
	if err != nil {
		return ptrace.Traces{}, fmt.Errorf("decode trace %s: %w", id, err)
	}
	if td.SpanCount() == 0 {
		return ptrace.Traces{}, ErrTraceNotFound
	}
	return td, nil
}

// Tags implements Source with GET /api/v2/search/tags: names come back per
// scope and are joined to "scope.name" (intrinsics stay bare).
func (s *ServerSource) Tags(ctx context.Context, start, end time.Time) ([]string, error) {
	q := url.Values{}
	timeParams(q, start, end)
	body, err := s.get(ctx, "/api/v2/search/tags", q)
	if err != nil {
		return nil, err
	}
	var resp struct {
		Scopes []struct {
			Name string   `json:"name"`
			Tags []string `json:"tags"`
		} `json:"scopes"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("decode tags answer: %w", err)
	}
	var out []string
	for _, sc := range resp.Scopes {
		for _, t := range sc.Tags {
			if sc.Name == "intrinsic" || sc.Name == "" || sc.Name == "none" {
				out = append(out, t)
			} else {
				out = append(out, sc.Name+"."+t)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// TagValues implements Source with GET /api/v2/search/tag/{tag}/values;
// values come back as TraceQL literals (strings quoted).
func (s *ServerSource) TagValues(ctx context.Context, tag string, start, end time.Time) ([]string, error) {
	q := url.Values{}
	timeParams(q, start, end)
	body, err := s.get(ctx, "/api/v2/search/tag/"+url.PathEscape(tag)+"/values", q)
	if err != nil {
		return nil, err
	}
	var resp struct {
		TagValues []struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"tagValues"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("decode tag values answer: %w", err)
	}
	out := make([]string, 0, len(resp.TagValues))
	for _, v := range resp.TagValues {
		if v.Type == "string" {
			out = append(out, strconv.Quote(v.Value))
		} else {
			out = append(out, v.Value)
		}
	}
	sort.Strings(out)
	return out, nil
}
