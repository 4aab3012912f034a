package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tempoctl/tempoctl/blocktools"
	"github.com/tempoctl/tempoctl/client"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/traceql"
	"github.com/tempoctl/tempoctl/tracetree"
)

// serverFlags are the `query` flags for reading through a server's HTTP API
// instead of a bucket.
type serverFlags struct {
	Server  string
	Headers []string
}

func (f *serverFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.Server, "server", "", "query the server at this URL (default "+client.DefaultURL+" when no bucket flags are given)")
	fl.StringArrayVar(&f.Headers, "header", nil, "extra HTTP header K=V for --server (repeatable), e.g. Authorization=\"Bearer …\"")
}

// useServer decides between the server and the bucket: --server wins; with
// no storage flag at all the default server is used.
func (f *serverFlags) useServer(st *storageFlags) bool {
	return f.Server != "" || (st.Backend == "" && st.ConfigFile == "")
}

// client builds the API client; tenant is sent only when given (with
// multitenancy off the server ignores it anyway).
func (f *serverFlags) client(tenant string) (*client.Client, error) {
	opts := []client.Option{}
	if tenant != "" {
		opts = append(opts, client.WithTenant(tenant))
	}
	for _, h := range f.Headers {
		k, v, ok := strings.Cut(h, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, usageErrorf("--header %q: want KEY=VALUE", h)
		}
		opts = append(opts, client.WithHeader(strings.TrimSpace(k), v))
	}
	c, err := client.New(f.Server, opts...)
	if err != nil {
		return nil, usageErrorf("--server: %v", err)
	}
	return c, nil
}

// serverError maps what went wrong talking to the server: an unreachable
// server or a refused request (400/401/403) is a usage error (exit 2), like
// an unusable bucket; anything else is a plain failure.
func serverError(c *client.Client, err error) error {
	var he *client.HTTPError
	if errors.As(err, &he) {
		switch he.Status {
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
			return usageErrorf("%s: %s", c.URL(), he.Msg)
		}
		return fmt.Errorf("%s: %w", c.URL(), err)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || errors.As(err, &ne) {
		return usageErrorf("cannot reach %s: %v (start `tempoctl serve`, pass --server URL, or read a bucket with --backend/--bucket or --config.file)", c.URL(), err)
	}
	return err
}

// runQueryTraceServer is `query trace` through GET /api/traces/{id}.
func runQueryTraceServer(ctx context.Context, opts *queryTraceOptions, tenant string, id model.TraceID, out, errOut io.Writer) error {
	c, err := opts.Remote.client(tenant)
	if err != nil {
		return err
	}
	td, err := c.TraceByID(ctx, id, client.TraceOptions{})
	if errors.Is(err, client.ErrNotFound) {
		who := ""
		if tenant != "" {
			who = fmt.Sprintf(" (tenant %q)", tenant)
		}
		fmt.Fprintf(errOut, "trace %s not found on %s%s\n", id, c.URL(), who)
		return silentError{code: exitFailure}
	}
	if err != nil {
		return serverError(c, err)
	}
	if opts.Output.Format == "json" {
		b, err := model.MarshalOTLPJSON(td)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s\n", b)
		return err
	}
	return tracetree.Render(out, td)
}

// serverWindow completes a window for the API, which takes both ends or
// neither: a lone --start runs to now; a lone --end is refused.
func serverWindow(start, end time.Time) (time.Time, time.Time, error) {
	switch {
	case !start.IsZero() && end.IsZero():
		return start, time.Now(), nil
	case start.IsZero() && !end.IsZero():
		return start, end, usageErrorf("--end needs --start (or --since) with --server")
	}
	return start, end, nil
}

// searchServer is `query search` through GET /api/search.
func searchServer(ctx context.Context, opts *querySearchOptions, query string, start, end time.Time) (*traceql.SearchResponse, error) {
	c, err := opts.Target.client()
	if err != nil {
		return nil, err
	}
	if start, end, err = serverWindow(start, end); err != nil {
		return nil, err
	}
	resp, err := c.Search(ctx, client.SearchRequest{Query: query, Start: start, End: end, Limit: opts.Limit, SpansPerSpanSet: opts.SPSS})
	if err != nil {
		return nil, serverError(c, err)
	}
	return resp, nil
}

// tagsServer is `query tags` through GET /api/v2/search/tags.
func tagsServer(ctx context.Context, opts *queryTagsOptions, start, end time.Time) (*blocktools.TagsResponse, error) {
	c, err := opts.Target.client()
	if err != nil {
		return nil, err
	}
	if start, end, err = serverWindow(start, end); err != nil {
		return nil, err
	}
	resp, err := c.Tags(ctx, client.TagsRequest{Scope: opts.Scope, Query: opts.Query, Start: start, End: end, Limit: opts.Limit})
	if err != nil {
		return nil, serverError(c, err)
	}
	out := &blocktools.TagsResponse{Scopes: []blocktools.TagScope{}, Metrics: blocktools.TagMetrics{InspectedBytes: resp.Metrics.InspectedBytes}}
	// The API's scope order is not significant; print the bucket read's.
	order := map[string]int{"resource": 0, "span": 1, "event": 2, "link": 3, "instrumentation": 4, "intrinsic": 5}
	slices.SortStableFunc(resp.Scopes, func(a, b client.TagScope) int { return order[a.Name] - order[b.Name] })
	for _, s := range resp.Scopes {
		out.Scopes = append(out.Scopes, blocktools.TagScope{Name: s.Name, Tags: s.Tags})
	}
	return out, nil
}

// tagValuesServer is `query tag-values` through the v2 route for TraceQL
// identifiers, the v1 route for plain names.
func tagValuesServer(ctx context.Context, opts *queryTagValuesOptions, name string, tag blocktools.TagName, start, end time.Time) (*blocktools.TagValuesResponse, error) {
	c, err := opts.Target.client()
	if err != nil {
		return nil, err
	}
	if start, end, err = serverWindow(start, end); err != nil {
		return nil, err
	}
	req := client.TagValuesRequest{Query: opts.Query, Start: start, End: end, Limit: opts.Limit}
	out := &blocktools.TagValuesResponse{TagValues: []blocktools.TagValue{}}
	if tag.AllScopes {
		vals, m, err := c.TagValuesV1(ctx, name, req)
		if err != nil {
			return nil, serverError(c, err)
		}
		for _, v := range vals {
			out.TagValues = append(out.TagValues, blocktools.TagValue{Type: "string", Value: v})
		}
		out.Metrics.InspectedBytes = m.InspectedBytes
		return out, nil
	}
	resp, err := c.TagValues(ctx, name, req)
	if err != nil {
		return nil, serverError(c, err)
	}
	for _, v := range resp.TagValues {
		out.TagValues = append(out.TagValues, blocktools.TagValue{Type: v.Type, Value: v.Value})
	}
	out.Metrics.InspectedBytes = resp.Metrics.InspectedBytes
	return out, nil
}
