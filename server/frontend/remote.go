package frontend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/traceql"
)

// Remote runs jobs on queriers in other processes, over their
// querier-internal HTTP routes. Queriers register themselves (see
// RegisterQuerierService) and are forgotten when they stop renewing or
// fail to answer; jobs go round-robin. With no querier registered, jobs
// run on the fallback (a Worker over this process's querier).
type Remote struct {
	fallback     Executor
	tenantHeader string
	ttl          time.Duration
	hc           *http.Client
	now          func() time.Time

	mu       sync.Mutex
	queriers map[string]time.Time // base URL → registration expiry
	next     int
}

// NewRemote returns a Remote; a registration lasts ttl.
func NewRemote(fallback Executor, tenantHeader string, ttl time.Duration) *Remote {
	if tenantHeader == "" {
		tenantHeader = "X-Scope-OrgID"
	}
	return &Remote{fallback: fallback, tenantHeader: tenantHeader, ttl: ttl, now: time.Now,
		hc: &http.Client{Timeout: 5 * time.Minute}, queriers: map[string]time.Time{}}
}

// Register adds or renews the querier at addr (host:port of its HTTP).
func (r *Remote) Register(addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queriers["http://"+addr] = r.now().Add(r.ttl)
}

// Queriers lists the registered queriers' base URLs.
func (r *Remote) Queriers() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	var out []string
	for u, exp := range r.queriers {
		if exp.After(now) {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return out
}

// pick returns the next querier ("" for none).
func (r *Remote) pick() string {
	qs := r.Queriers()
	if len(qs) == 0 {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	return qs[r.next%len(qs)]
}

// drop forgets a querier that did not answer (it registers again when back).
func (r *Remote) drop(base string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.queriers, base)
}

// unreachable is a querier that could not be reached; the job can be
// tried again on another.
type unreachable struct{ err error }

func (e *unreachable) Error() string { return e.err.Error() }
func (e *unreachable) Unwrap() error { return e.err }

// get sends one job and decodes the JSON answer into v.
func (r *Remote) get(ctx context.Context, base, path, tenant string, p url.Values, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path+"?"+p.Encode(), nil)
	if err != nil {
		return err
	}
	req.Header.Set(r.tenantHeader, tenant)
	resp, err := r.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.drop(base)
		return &unreachable{fmt.Errorf("querier %s: %w", base, err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<30))
	if err != nil {
		return fmt.Errorf("querier %s: %w", base, err)
	}
	msg := strings.TrimSpace(string(body))
	switch resp.StatusCode {
	case http.StatusOK:
		return json.Unmarshal(body, v)
	case http.StatusBadRequest:
		return &querier.InvalidRequestError{Err: errors.New(msg)}
	case http.StatusUnprocessableEntity:
		max, _ := strconv.Atoi(msg)
		return &querier.TooLargeError{Max: max}
	case http.StatusGatewayTimeout:
		return fmt.Errorf("querier %s: %s: %w", base, msg, context.DeadlineExceeded)
	}
	return fmt.Errorf("querier %s: %d %s", base, resp.StatusCode, msg)
}

// RunSearchJob implements Executor.
func (r *Remote) RunSearchJob(ctx context.Context, req querier.SearchRequest, job querier.SearchJob) (*traceql.SearchResponse, error) {
	base := r.pick()
	if base == "" {
		return r.fallback.RunSearchJob(ctx, req, job)
	}
	p := url.Values{}
	encodeSearchRequest(req, p)
	var parts []url.Values
	if job.Live {
		lp := cloneValues(p)
		lp.Set("mode", querier.ModeIngesters)
		parts = append(parts, lp)
	}
	for _, m := range job.Blocks {
		bp := cloneValues(p)
		bp.Set("blockID", m.BlockID.String())
		if len(job.Blocks) == 1 && (job.StartRowGroup > 0 || job.RowGroups > 0) {
			bp.Set("startPage", strconv.Itoa(job.StartRowGroup))
			bp.Set("pagesToSearch", strconv.Itoa(job.RowGroups))
		}
		parts = append(parts, bp)
	}
	out := &traceql.SearchResponse{Metrics: &traceql.SearchMetrics{}}
	merged := querier.NewMerger()
	for _, part := range parts {
		var resp traceql.SearchResponse
		if err := r.get(ctx, base, routeJobSearch, req.Tenant, part, &resp); err != nil {
			return nil, err
		}
		merged.Add(resp.Traces)
		if m := resp.Metrics; m != nil {
			out.Metrics.InspectedTraces += m.InspectedTraces
			out.Metrics.InspectedBytes += m.InspectedBytes
			out.Metrics.InspectedSpans += m.InspectedSpans
		}
	}
	out.Traces = merged.Traces(req.Limit)
	return out, nil
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// FindTraceByIDShard implements Executor.
func (r *Remote) FindTraceByIDShard(ctx context.Context, req querier.TraceByIDRequest) (*querier.TraceByIDResult, error) {
	base := r.pick()
	if base == "" {
		return r.fallback.FindTraceByIDShard(ctx, req)
	}
	p := url.Values{}
	if req.Mode != "" {
		p.Set("mode", req.Mode)
	}
	if req.AllowPartial {
		p.Set("allowPartial", "true")
	}
	setTimes(p, req.Start, req.End)
	if req.BlockEnd != [16]byte{} {
		p.Set("blockStart", req.BlockStart.String())
		p.Set("blockEnd", req.BlockEnd.String())
	}
	var jt jobTrace
	if err := r.get(ctx, base, "/querier/api/traces/"+req.ID.String(), req.Tenant, p, &jt); err != nil {
		return nil, err
	}
	res := &querier.TraceByIDResult{Found: jt.Found, Partial: jt.Partial, MaxBytes: jt.MaxBytes, InspectedBytes: jt.InspectedBytes,
		BlocksSearched: jt.BlocksSearched, FailedBlocks: jt.FailedBlocks}
	if jt.Found {
		var um ptrace.ProtoUnmarshaler
		td, err := um.UnmarshalTraces(jt.Trace)
		if err != nil {
			return nil, fmt.Errorf("querier %s: trace: %w", base, err)
		}
		res.Trace = td
	}
	return res, nil
}

// TagNames implements Executor.
func (r *Remote) TagNames(ctx context.Context, req querier.TagsRequest) (*querier.TagsResult, error) {
	base := r.pick()
	if base == "" {
		return r.fallback.TagNames(ctx, req)
	}
	p := url.Values{}
	p.Set("scope", req.Scope)
	p.Set("q", req.Query)
	p.Set("limit", strconv.Itoa(req.Limit))
	p.Set("maxStaleValues", strconv.Itoa(req.MaxStaleValues))
	setTimes(p, req.Start, req.End)
	var jt jobTags
	if err := r.get(ctx, base, routeJobTags, req.Tenant, p, &jt); err != nil {
		return nil, err
	}
	if jt.Scopes == nil {
		jt.Scopes = map[string][]string{}
	}
	return &querier.TagsResult{Scopes: jt.Scopes, InspectedBytes: jt.InspectedBytes}, nil
}

// TagValues implements Executor.
func (r *Remote) TagValues(ctx context.Context, req querier.TagValuesRequest) (*querier.TagValuesResult, error) {
	base := r.pick()
	if base == "" {
		return r.fallback.TagValues(ctx, req)
	}
	p := url.Values{}
	name := req.Tag.String()
	if req.V1 {
		name = req.Name
		p.Set("v1", "true")
	}
	p.Set("q", req.Query)
	p.Set("limit", strconv.Itoa(req.Limit))
	p.Set("maxStaleValues", strconv.Itoa(req.MaxStaleValues))
	setTimes(p, req.Start, req.End)
	var jt jobTagValues
	if err := r.get(ctx, base, "/querier/api/v2/search/tag/"+url.PathEscape(name)+"/values", req.Tenant, p, &jt); err != nil {
		return nil, err
	}
	return &querier.TagValuesResult{Values: jt.Values, InspectedBytes: jt.InspectedBytes}, nil
}
