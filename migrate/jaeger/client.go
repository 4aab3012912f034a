package jaeger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// ClientConfig configures the HTTP client for a Jaeger query service.
type ClientConfig struct {
	// URL is the query service's base URL (http://HOST:16686, plus any
	// --query.base-path).
	URL string
	// Timeout bounds one request (default 60s).
	Timeout time.Duration
	// Retries is how many times a transient failure (network error,
	// timeout, 429, 5xx) is retried (default 5; negative: none).
	Retries int
	// Backoff is the first retry delay, doubled each time up to 30s
	// (default 500ms).
	Backoff time.Duration
	// HTTPClient replaces the default client (tests).
	HTTPClient *http.Client
}

// Client does GETs against a Jaeger query service with retries.
type Client struct {
	base    *url.URL
	hc      *http.Client
	retries int
	backoff time.Duration

	requests, retried atomic.Int64
	answered          atomic.Bool // some request got an HTTP answer
}

// NewClient checks the URL and returns a client.
func NewClient(cfg ClientConfig) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("jaeger URL %q: want http://HOST:16686", cfg.URL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	hc := cfg.HTTPClient
	if hc == nil {
		timeout := cfg.Timeout
		if timeout <= 0 {
			timeout = 60 * time.Second
		}
		hc = &http.Client{Timeout: timeout}
	}
	c := &Client{base: u, hc: hc, retries: cfg.Retries, backoff: cfg.Backoff}
	if c.retries == 0 {
		c.retries = 5
	} else if c.retries < 0 {
		c.retries = 0
	}
	if c.backoff <= 0 {
		c.backoff = 500 * time.Millisecond
	}
	return c, nil
}

// URL is the base URL.
func (c *Client) URL() string { return c.base.String() }

// Requests and Retries made so far.
func (c *Client) Requests() int64 { return c.requests.Load() }
func (c *Client) Retries() int64  { return c.retried.Load() }

// StatusError is a final non-2xx answer.
type StatusError struct {
	URL    string
	Status int
	Body   string
}

func (e *StatusError) Error() string {
	body := strings.TrimSpace(e.Body)
	if len(body) > 300 {
		body = body[:300] + "…"
	}
	return fmt.Sprintf("GET %s: HTTP %d: %s", e.URL, e.Status, body)
}

// get fetches path?q. Transient failures are retried with exponential
// backoff and jitter; what remains is returned: the status and body of any
// final answer (callers decide what a 404 means), or the last error.
func (c *Client) get(ctx context.Context, path string, q url.Values) (int, []byte, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = q.Encode()
	target := u.String()
	delay := c.backoff
	var lastErr error
	for attempt := 0; ; attempt++ {
		status, body, err := c.once(ctx, target)
		retryable := err != nil || status == http.StatusTooManyRequests || status >= 500
		if err == nil && !retryable {
			return status, body, nil
		}
		if err != nil {
			lastErr = err
		} else {
			lastErr = &StatusError{URL: target, Status: status, Body: string(body)}
		}
		if ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
		// A server never reached is a wrong URL, not a hiccup: fail at once
		// instead of backing off.
		if attempt >= c.retries || err != nil && isConnRefused(err) && !c.answered.Load() {
			if err == nil {
				return status, body, lastErr
			}
			return 0, nil, lastErr
		}
		c.retried.Add(1)
		sleep := delay/2 + rand.N(delay/2+1)
		select {
		case <-ctx.Done():
			return 0, nil, ctx.Err()
		case <-time.After(sleep):
		}
		delay = min(delay*2, 30*time.Second)
	}
}

func (c *Client) once(ctx context.Context, target string) (int, []byte, error) {
	c.requests.Add(1)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	c.answered.Store(true)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("GET %s: reading body: %w", target, err)
	}
	return resp.StatusCode, body, nil
}

// isContextErr tells a cancelled run from a failed request.
func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) && !isTimeout(err)
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}
