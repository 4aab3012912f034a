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
	// ingesters hold the live data (ingesters in their own processes);
	// live parts of jobs go to every one of them.
	ingesters map[string]time.Time
}

// NewRemote returns a Remote; a registration lasts ttl.
func NewRemote(fallback Executor, tenantHeader string, ttl time.Duration) *Remote {
	if tenantHeader == "" {
		tenantHeader = "X-Scope-OrgID"
	}
	return &Remote{fallback: fallback, tenantHeader: tenantHeader, ttl: ttl, now: time.Now,
		hc: &http.Client{Timeout: 5 * time.Minute}, queriers: map[string]time.Time{}, ingesters: map[string]time.Time{}}
}

// RegisterIngester adds or renews the ingester at addr (host:port of its
// HTTP), which answers jobs over its live data.
func (r *Remote) RegisterIngester(addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ingesters["http://"+addr] = r.now().Add(r.ttl)
}

// Ingesters lists the registered ingesters' base URLs.
func (r *Remote) Ingesters() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	var out []string
	for u, exp := range r.ingesters {
		if exp.After(now) {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return out
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

// drop forgets a querier or ingester that did not answer (it registers
// again when back).
func (r *Remote) drop(base string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.queriers, base)
	delete(r.ingesters, base)
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
	if ings := r.Ingesters(); job.Live && len(ings) > 0 {
		// The live part from the ingesters, the blocks from a querier.
		p := url.Values{}
		encodeSearchRequest(req, p)
		p.Set("mode", querier.ModeIngesters)
		out := &traceql.SearchResponse{Metrics: &traceql.SearchMetrics{}}
		merged := querier.NewMerger()
		add := func(resp *traceql.SearchResponse) {
			merged.Add(resp.Traces)
			if m := resp.Metrics; m != nil {
				out.Metrics.InspectedTraces += m.InspectedTraces
				out.Metrics.InspectedBytes += m.InspectedBytes
				out.Metrics.InspectedSpans += m.InspectedSpans
			}
		}
		for _, base := range ings {
			var resp traceql.SearchResponse
			if err := r.get(ctx, base, routeJobSearch, req.Tenant, p, &resp); err != nil {
				return nil, err
			}
			add(&resp)
		}
		if len(job.Blocks) > 0 {
			job.Live, job.LiveTraces = false, nil
			resp, err := r.RunSearchJob(ctx, req, job)
			if err != nil {
				return nil, err
			}
			add(resp)
		}
		out.Traces = merged.Traces(req.Limit)
		return out, nil
	}
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
	if ings := r.Ingesters(); len(ings) > 0 && req.Mode != querier.ModeBlocks {
		// The live parts from the ingesters, the blocks' from a querier.
		var results []*querier.TraceByIDResult
		live := req
		live.Mode, live.BlockStart, live.BlockEnd = querier.ModeIngesters, [16]byte{}, [16]byte{}
		for _, base := range ings {
			res, err := r.traceByIDOn(ctx, base, live)
			if err != nil {
				return nil, err
			}
			results = append(results, res)
		}
		if req.Mode != querier.ModeIngesters {
			blocks := req
			blocks.Mode = querier.ModeBlocks
			res, err := r.FindTraceByIDShard(ctx, blocks)
			if err != nil {
				return nil, err
			}
			results = append(results, res)
		}
		return combineShards(results), nil
	}
	base := r.pick()
	if base == "" {
		return r.fallback.FindTraceByIDShard(ctx, req)
	}
	return r.traceByIDOn(ctx, base, req)
}

// traceByIDOn runs a trace-by-ID job on the querier or ingester at base.
func (r *Remote) traceByIDOn(ctx context.Context, base string, req querier.TraceByIDRequest) (*querier.TraceByIDResult, error) {
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
	res, err := r.tagNamesOn(ctx, r.pick(), req)
	if err != nil {
		return nil, err
	}
	for _, base := range r.Ingesters() {
		live, err := r.tagNamesOn(ctx, base, req)
		if err != nil {
			return nil, err
		}
		res = mergeTagNames(req.Limit, res, live)
	}
	return res, nil
}

// tagNamesOn asks the querier or ingester at base ("": the fallback).
func (r *Remote) tagNamesOn(ctx context.Context, base string, req querier.TagsRequest) (*querier.TagsResult, error) {
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
	res, err := r.tagValuesOn(ctx, r.pick(), req)
	if err != nil {
		return nil, err
	}
	for _, base := range r.Ingesters() {
		live, err := r.tagValuesOn(ctx, base, req)
		if err != nil {
			return nil, err
		}
		res = mergeTagValues(req.Limit, res, live)
	}
	return res, nil
}

// tagValuesOn asks the querier or ingester at base ("": the fallback).
func (r *Remote) tagValuesOn(ctx context.Context, base string, req querier.TagValuesRequest) (*querier.TagValuesResult, error) {
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
