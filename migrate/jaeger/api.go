package jaeger

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/tempoctl/tempoctl/model"
)

// API is one flavour of Jaeger's HTTP query API.
type API interface {
	// Version is "v3" or "v1".
	Version() string
	Services(ctx context.Context) ([]string, error)
	Operations(ctx context.Context, service string) ([]string, error)
	// Search returns the traces with a span of q.Service starting in
	// q.Window, newest first, at most q.Limit (Jaeger has no pagination).
	Search(ctx context.Context, q Query) (SearchResult, error)
	// Fetch reads whole traces by ID, raw (no adjusters). At most
	// FetchBatch IDs per call.
	Fetch(ctx context.Context, ids []model.TraceID) (FetchResult, error)
	FetchBatch() int
}

// Query is one search.
type Query struct {
	Service   string
	Operation string
	Window    Window
	Limit     int
}

// SearchResult is what one search returned.
type SearchResult struct {
	// Count is how many traces the response held, good or bad: compared
	// with the limit it tells whether the window was cut short.
	Count  int
	Traces []Trace
	Bad    []BadTrace
}

// FetchResult is what one fetch by ID returned.
type FetchResult struct {
	Traces  []Trace
	Missing []model.TraceID
	Bad     []BadTrace
}

// BadTrace is a trace Jaeger returned that could not be decoded.
type BadTrace struct {
	ID  string
	Err error
}

// APIVersion picks the API: "" or "auto" probes, "v3" and "v1" force one.
type APIVersion string

// Probe picks the API: api/v3 when the server has it (newer Jaegers removed
// the old search), else the v1 JSON API. A forced version is still checked
// so a wrong URL fails here with one clear message.
func Probe(ctx context.Context, c *Client, want APIVersion) (API, error) {
	v3, v1 := &v3API{c: c}, &v1API{c: c}
	switch want {
	case "v3":
		if _, err := v3.Services(ctx); err != nil {
			return nil, fmt.Errorf("jaeger api/v3 at %s: %w", c.URL(), err)
		}
		return v3, nil
	case "v1":
		if _, err := v1.Services(ctx); err != nil {
			return nil, fmt.Errorf("jaeger v1 API at %s: %w", c.URL(), err)
		}
		return v1, nil
	case "", "auto":
	default:
		return nil, fmt.Errorf("--api %q: use v3, v1 or auto", want)
	}
	_, err3 := v3.Services(ctx)
	if err3 == nil {
		return v3, nil
	}
	if isContextErr(err3) {
		return nil, err3
	}
	_, err1 := v1.Services(ctx)
	if err1 == nil {
		return v1, nil
	}
	var se *StatusError
	if errors.As(err3, &se) && se.Status != http.StatusNotFound {
		return nil, fmt.Errorf("no Jaeger query API at %s: %w", c.URL(), err3)
	}
	return nil, fmt.Errorf("no Jaeger query API at %s: api/v3: %v; v1: %w", c.URL(), err3, err1)
}
