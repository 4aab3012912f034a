package tui

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/client"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/traceql"
)

// ServerSource reads from a Tempo-compatible HTTP API through the
// project's client (spec/http-api.md).
type ServerSource struct {
	c      *client.Client
	tenant string
}

// NewServerSource checks the URL; tenant may be empty (single-tenant
// server); hc may be nil (the client's default).
func NewServerSource(rawURL, tenant string, hc *http.Client) (*ServerSource, error) {
	if rawURL == "" {
		return nil, errors.New("server URL is empty")
	}
	opts := []client.Option{client.WithTenant(tenant)}
	if hc != nil {
		opts = append(opts, client.WithHTTPClient(hc))
	}
	c, err := client.New(rawURL, opts...)
	if err != nil {
		return nil, err
	}
	return &ServerSource{c: c, tenant: tenant}, nil
}

// Name implements Source.
func (s *ServerSource) Name() string {
	if s.tenant != "" {
		return "server " + s.c.URL() + " tenant " + s.tenant
	}
	return "server " + s.c.URL()
}

// Search implements Source with GET /api/search. A 400 about TraceQL comes
// back as a QueryError with the position the server names.
func (s *ServerSource) Search(ctx context.Context, query string, start, end time.Time, limit int) (*traceql.SearchResponse, error) {
	resp, err := s.c.Search(ctx, client.SearchRequest{
		Query: query, Start: start, End: end, Limit: limit, SpansPerSpanSet: defaultSpss,
	})
	if err != nil {
		var he *client.HTTPError
		if errors.As(err, &he) && he.Status == http.StatusBadRequest && strings.Contains(he.Msg, "TraceQL") {
			return nil, queryErrorFromText(he.Msg)
		}
		return nil, err
	}
	return resp, nil
}

// Trace implements Source with GET /api/traces/{id}.
func (s *ServerSource) Trace(ctx context.Context, id model.TraceID) (ptrace.Traces, error) {
	td, err := s.c.TraceByID(ctx, id, client.TraceOptions{})
	if errors.Is(err, client.ErrNotFound) {
		return ptrace.Traces{}, ErrTraceNotFound
	}
	if err != nil {
		return ptrace.Traces{}, err
	}
	if td.SpanCount() == 0 {
		return ptrace.Traces{}, ErrTraceNotFound
	}
	return td, nil
}

// Tags implements Source with GET /api/v2/search/tags: names come back per
// scope and are joined to "scope.name" (intrinsics stay bare).
func (s *ServerSource) Tags(ctx context.Context, start, end time.Time) ([]string, error) {
	resp, err := s.c.Tags(ctx, client.TagsRequest{Start: start, End: end})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, sc := range resp.Scopes {
		out = append(out, scopedNames(sc.Name, sc.Tags)...)
	}
	sort.Strings(out)
	return out, nil
}

// scopedNames spells a scope's tag names as TraceQL does.
func scopedNames(scope string, tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if scope == "intrinsic" || scope == "" || scope == "none" {
			out = append(out, t)
		} else {
			out = append(out, scope+"."+t)
		}
	}
	return out
}

// TagValues implements Source with GET /api/v2/search/tag/{tag}/values;
// values come back as TraceQL literals (strings quoted).
func (s *ServerSource) TagValues(ctx context.Context, tag string, start, end time.Time) ([]string, error) {
	resp, err := s.c.TagValues(ctx, tag, client.TagValuesRequest{Start: start, End: end})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(resp.TagValues))
	for _, v := range resp.TagValues {
		out = append(out, literal(v.Type, v.Value))
	}
	sort.Strings(out)
	return out, nil
}

// literal writes a typed tag value as TraceQL: strings quoted, the rest
// (numbers, booleans, durations, keywords) bare.
func literal(typ, value string) string {
	if typ == "string" {
		return strconv.Quote(value)
	}
	return value
}
