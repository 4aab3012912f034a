package querier

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/vparquet"
	"github.com/tempoctl/tempoctl/storage/vparquet/search"
	"github.com/tempoctl/tempoctl/traceql"
)

// TagsRequest asks for attribute names.
type TagsRequest struct {
	Tenant string
	// Scope is one of the attribute scopes, "intrinsic", or "" / "none"
	// for every attribute scope plus the intrinsics.
	Scope string
	// Query (q) restricts names to spans matching a TraceQL filter; an
	// incomplete filter is reduced to its valid matchers, or ignored.
	Query string
	// Start and End bound the trace time range (zero = open).
	Start, End time.Time
	// Limit is the most names per scope (0 = unlimited); MaxStaleValues
	// stops the scan after that many already-seen names in a row.
	Limit, MaxStaleValues int
}

// TagsResult maps a scope to its sorted names; scopes without names are
// absent.
type TagsResult struct {
	Scopes         map[string][]string
	InspectedBytes uint64
}

// ValidScope reports whether s is a scope the tag endpoints accept.
func ValidScope(s string) bool {
	switch s {
	case "", "none", ScopeIntrinsic, ScopeResource, ScopeSpan, ScopeEvent, ScopeLink, ScopeInstrumentation:
		return true
	}
	return false
}

// TagNames lists the attribute names in live data and the blocks of the
// time range. Attributes held in dedicated columns are included.
func (q *Querier) TagNames(ctx context.Context, req TagsRequest) (*TagsResult, error) {
	if !ValidScope(req.Scope) {
		return nil, &InvalidRequestError{fmt.Errorf("invalid scope: %s", req.Scope)}
	}
	want := map[string]bool{}
	intrinsics := false
	switch req.Scope {
	case "", "none":
		for _, s := range AttributeScopes {
			want[s] = true
		}
		intrinsics = true
	case ScopeIntrinsic:
		intrinsics = true
	default:
		want[req.Scope] = true
	}
	res := &TagsResult{Scopes: map[string][]string{}}
	if len(want) > 0 {
		c := newCollector(q.cfg.MaxBytesPerTagValues, req.Limit, req.MaxStaleValues)
		src := tagSource{Tenant: req.Tenant, Query: req.Query, Start: req.Start, End: req.End}
		n, err := q.scanTags(ctx, src, c, func(td ptrace.Traces, keep spanFilter) { namesOf(td, keep, want, c) })
		if err != nil {
			return nil, err
		}
		res.Scopes, res.InspectedBytes = c.sortedNames(), n
	}
	if intrinsics {
		res.Scopes[ScopeIntrinsic] = append([]string(nil), Intrinsics...)
	}
	return res, nil
}

// TagValuesRequest asks for the values of one attribute or intrinsic.
type TagValuesRequest struct {
	Tenant string
	// Tag is the TraceQL identifier (v2). For v1 set Name instead: the raw
	// attribute name, looked up in every scope, string values only.
	Tag  traceql.Attribute
	Name string
	V1   bool

	Query                 string
	Start, End            time.Time
	Limit, MaxStaleValues int
}

// TagValuesResult holds distinct typed values, sorted by value.
type TagValuesResult struct {
	Values         []TagValue
	InspectedBytes uint64
}

var (
	statusKeywords = []string{"ok", "error", "unset"}
	kindKeywords   = []string{"unspecified", "client", "server", "producer", "consumer", "internal"}
)

// TagValues lists the distinct values of an attribute in live data and the
// blocks of the time range. status and kind answer their keywords;
// durations and IDs answer nothing (as Tempo).
func (q *Querier) TagValues(ctx context.Context, req TagValuesRequest) (*TagValuesResult, error) {
	t := valueTarget{attr: req.Tag}
	if req.V1 {
		t = valueTarget{attr: traceql.NewAttribute(req.Name), anyScope: true, stringOnly: true}
	}
	keywords := func(ks []string) *TagValuesResult {
		out := &TagValuesResult{}
		for _, k := range ks {
			out.Values = append(out.Values, TagValue{Type: "keyword", Value: k})
		}
		return out
	}
	switch t.attr.Intrinsic {
	case traceql.IntrinsicNone, traceql.IntrinsicName, traceql.IntrinsicStatusMessage, traceql.IntrinsicEventName,
		traceql.IntrinsicInstrumentationName, traceql.IntrinsicInstrumentationVersion,
		traceql.IntrinsicTraceRootSpan, traceql.IntrinsicTraceRootService:
	case traceql.IntrinsicStatus:
		return keywords(statusKeywords), nil
	case traceql.IntrinsicKind:
		return keywords(kindKeywords), nil
	default:
		return &TagValuesResult{}, nil
	}
	if t.attr.Intrinsic == traceql.IntrinsicNone && (t.attr.Scope == traceql.ScopeParent || t.attr.Scope == traceql.ScopeTrace) {
		return &TagValuesResult{}, nil
	}
	c := newCollector(q.cfg.MaxBytesPerTagValues, req.Limit, req.MaxStaleValues)
	src := tagSource{Tenant: req.Tenant, Query: req.Query, Start: req.Start, End: req.End}
	n, err := q.scanTags(ctx, src, c, func(td ptrace.Traces, keep spanFilter) { valuesOf(td, keep, t, c) })
	if err != nil {
		return nil, err
	}
	return &TagValuesResult{Values: c.sortedValues(), InspectedBytes: n}, nil
}

type tagSource struct {
	Tenant     string
	Query      string
	Start, End time.Time
}

// matches is the spans a filter selected, by trace.
type matches map[pcommon.TraceID]spanFilter

// scanTags calls visit for every trace of live data and of the blocks in
// range (with the filter's matching spans when q is usable) until the
// collector is full. It returns the bytes inspected.
func (q *Querier) scanTags(ctx context.Context, src tagSource, c *collector, visit func(ptrace.Traces, spanFilter)) (uint64, error) {
	filter := parseFilter(src.Query)
	var (
		srcs  sourceErrors
		bytes uint64
		mu    sync.Mutex
	)
	addBytes := func(n uint64) { mu.Lock(); bytes += n; mu.Unlock() }

	if q.hasLive() {
		n, err := q.liveTags(ctx, src, filter, c, visit)
		if err != nil {
			return 0, err
		}
		srcs.ok()
		addBytes(n)
	}
	if q.be != nil && !c.done() {
		metas, err := q.blocks(ctx, src.Tenant)
		if err != nil {
			if canceled(ctx, err) {
				return 0, err
			}
			q.log.Warn("query could not list blocks", "tenant", src.Tenant, "err", err)
			srcs.fail(err)
		}
		metas = inRange(metas, src.Start, src.End)
		newestFirst(metas)
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var fatal error
		q.forEachBlock(ctx, metas, func(ctx context.Context, m *backend.BlockMeta) {
			if c.done() {
				cancel()
				return
			}
			n, err := q.blockTags(ctx, m, src, filter, c, visit)
			var be *blockError
			switch {
			case err == nil:
				srcs.ok()
				addBytes(n)
			case canceled(ctx, err):
			case errors.As(err, &be):
				q.blockFailed(src.Tenant, m, be.err)
				srcs.fail(be.err)
			default:
				mu.Lock()
				if fatal == nil {
					fatal = err
				}
				mu.Unlock()
				cancel()
			}
		})
		if fatal != nil {
			return 0, fatal
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := srcs.err(); err != nil {
		return 0, err
	}
	q.bytesInspected.WithLabelValues(src.Tenant).Add(float64(bytes))
	return bytes, nil
}

func overlapsRange(start, end uint64, src tagSource) bool {
	if !src.End.IsZero() && start > uint64(src.End.UnixNano()) {
		return false
	}
	if !src.Start.IsZero() && end < uint64(src.Start.UnixNano()) {
		return false
	}
	return true
}

func (q *Querier) liveTags(ctx context.Context, src tagSource, filter *traceql.RootExpr, c *collector, visit func(ptrace.Traces, spanFilter)) (uint64, error) {
	all := q.live.Traces(src.Tenant)
	traces := all[:0:0]
	var sizer ptrace.ProtoMarshaler
	var bytes uint64
	for _, td := range all {
		if s, e := traceBounds(td); overlapsRange(s, e, src) {
			traces = append(traces, td)
			bytes += uint64(sizer.TracesSize(td))
		}
	}
	var m matches
	if filter != nil {
		var err error
		if m, err = q.matchSpans(ctx, filter, traceql.NewMemoryFetcher(traces...), src); err != nil {
			return 0, err
		}
	}
	for _, td := range traces {
		if c.done() {
			break
		}
		if m == nil {
			visit(td, nil)
			continue
		}
		if id, ok := traceIDOf(td); ok {
			if keep, ok := m[id]; ok {
				visit(td, keep)
			}
		}
	}
	return bytes, nil
}

// matchSpans runs the filter and returns the matching spans by trace.
func (q *Querier) matchSpans(ctx context.Context, filter *traceql.RootExpr, f traceql.Fetcher, src tagSource) (matches, error) {
	resp, err := q.engine().ExecuteSearchExpr(ctx, filter, f, traceql.SearchOptions{
		Limit: math.MaxInt32, SpansPerSpanSet: 0, Start: src.Start, End: src.End,
	})
	if err != nil {
		var be *blockError
		if errors.As(err, &be) || canceled(ctx, err) {
			return nil, err
		}
		return nil, &InvalidRequestError{err}
	}
	m := matches{}
	for _, t := range resp.Traces {
		id, err := model.ParseTraceID(t.TraceID)
		if err != nil {
			continue
		}
		keep := spanFilter{}
		for _, ss := range t.SpanSets {
			for _, sp := range ss.Spans {
				var sid pcommon.SpanID
				if b, err := hex.DecodeString(sp.SpanID); err == nil && len(b) == len(sid) {
					copy(sid[:], b)
					keep[sid] = struct{}{}
				}
			}
		}
		m[pcommon.TraceID(id)] = keep
	}
	return m, nil
}

// fewMatches is the number of matched traces below which they are looked up
// by ID rather than found by scanning the block.
const fewMatches = 64

func (q *Querier) blockTags(ctx context.Context, meta *backend.BlockMeta, src tagSource, filter *traceql.RootExpr, c *collector, visit func(ptrace.Traces, spanFilter)) (n uint64, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &blockError{fmt.Errorf("block %s/%s: corrupt data: %v", meta.TenantID, meta.BlockID, p)}
		}
	}()
	r, err := q.handle(meta).open(q.be)
	if err != nil {
		return 0, &blockError{err}
	}
	var m matches
	if filter != nil {
		f := search.NewFetcher(r)
		if m, err = q.matchSpans(ctx, filter, blockFetcher{f}, src); err != nil {
			return 0, err
		}
		n = f.Stats().InspectedBytes
		if len(m) == 0 {
			return n, nil
		}
		if len(m) <= fewMatches {
			var sizer ptrace.ProtoMarshaler
			for id, keep := range m {
				if c.done() {
					break
				}
				td, ok, err := r.FindTraceByID(ctx, model.TraceID(id))
				if err != nil {
					return n, &blockError{err}
				}
				if ok {
					n += uint64(sizer.TracesSize(td))
					visit(td, keep)
				}
			}
			return n, nil
		}
	}
	errFull := errors.New("collector full")
	a := r.Assignment()
	err = r.IterateRows(ctx, func(tr *vparquet.Trace) error {
		if c.done() {
			return errFull
		}
		if !overlapsRange(tr.StartTimeUnixNano, tr.EndTimeUnixNano, src) {
			return nil
		}
		if m == nil {
			visit(vparquet.ToOTLP(tr, a), nil)
			return nil
		}
		if keep, ok := m[pcommon.TraceID(model.TraceIDFromBytes(tr.TraceID))]; ok {
			visit(vparquet.ToOTLP(tr, a), keep)
		}
		return nil
	})
	if errors.Is(err, errFull) {
		err = nil
	}
	if err != nil && ctx.Err() == nil {
		return n, &blockError{err}
	}
	return n + meta.Size, err
}
