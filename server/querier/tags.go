package querier

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/model/otlpwire"
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
	// Progress, when set, reports the names found while the query runs.
	Progress *TagProgress
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
		req.Progress.attach(c)
		src := tagSource{Tenant: req.Tenant, Query: req.Query, Start: req.Start, End: req.End}
		add := func(sc traceql.Scope, name string) {
			if want[sc.String()] {
				c.addName(sc.String(), name)
			}
		}
		scope := traceql.ScopeNone
		if len(want) == 1 {
			scope = scopeOf(req.Scope)
		}
		n, err := q.scanTags(ctx, src, c, tagScan{
			live: func(td ptrace.Traces, keep spanFilter) { namesOf(td, keep, want, c) },
			batch: func(bt *batchTags, _ *otlpwire.Batch) func() {
				return func() {
					for scope, names := range bt.names {
						if want[scope] {
							for _, n := range names {
								c.addName(scope, n)
							}
						}
					}
				}
			},
			columns: func(ctx context.Context, r *vparquet.Reader, tr search.TagRequest) (search.TagStats, error) {
				return search.TagNames(ctx, r, tr, scope, add)
			},
			span: func(sp traceql.Span) { search.SpanTags(sp, add) },
		})
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
	// Progress, when set, reports the values found while the query runs.
	Progress *TagProgress
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
	req.Progress.attach(c)
	src := tagSource{Tenant: req.Tenant, Query: req.Query, Start: req.Start, End: req.End}
	lookups := []traceql.Attribute{t.attr}
	if t.anyScope {
		for _, sc := range []traceql.Scope{traceql.ScopeEvent, traceql.ScopeLink, traceql.ScopeInstrumentation} {
			lookups = append(lookups, traceql.NewScopedAttribute(sc, t.attr.Name))
		}
	}
	var batch func(bt *batchTags, b *otlpwire.Batch) func()
	if !traceLevel(t.attr) { // root values are per trace: not from whole batches
		batch = func(bt *batchTags, b *otlpwire.Batch) func() {
			vs := bt.valuesFor(q, b, t)
			return func() {
				for _, v := range vs {
					c.addValue(v)
				}
			}
		}
	}
	n, err := q.scanTags(ctx, src, c, tagScan{
		live:  func(td ptrace.Traces, keep spanFilter) { valuesOf(td, keep, t, c) },
		batch: batch,
		columns: func(ctx context.Context, r *vparquet.Reader, tr search.TagRequest) (search.TagStats, error) {
			return search.TagValues(ctx, r, tr, t.attr, t.anyScope, func(v traceql.Static) bool {
				addStatic(v, t.stringOnly, c)
				return !c.done()
			})
		},
		span: func(sp traceql.Span) {
			for _, a := range lookups {
				addStatic(sp.AttributeFor(a), t.stringOnly, c)
			}
		},
		reads: lookups,
	})
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

// tagScan is how one tag query reads each kind of source.
type tagScan struct {
	// live visits a live trace (keep = the filter's matching spans, nil = all).
	live func(td ptrace.Traces, keep spanFilter)
	// batch, when set, serves live data without a filter from the batches'
	// cached tag data (livetags.go) instead of live: it reads what batch b
	// holds (batches are read concurrently) and returns what adds that to
	// the collector (called in batch order).
	batch func(bt *batchTags, b *otlpwire.Batch) (apply func())
	// columns reads a block's names or values from its columns (no filter).
	columns func(ctx context.Context, r *vparquet.Reader, tr search.TagRequest) (search.TagStats, error)
	// span visits a block span that matched the filter.
	span func(sp traceql.Span)
	// reads are the attributes span reads (nil: any), which the block
	// fetcher then reads with the filter's.
	reads []traceql.Attribute
}

// scanTags runs a tag query over live data and the blocks in range until
// the collector is full. It returns the bytes inspected.
func (q *Querier) scanTags(ctx context.Context, src tagSource, c *collector, scan tagScan) (uint64, error) {
	filter := parseFilter(src.Query)
	var (
		srcs  sourceErrors
		bytes uint64
		mu    sync.Mutex
	)
	addBytes := func(n uint64) { mu.Lock(); bytes += n; mu.Unlock(); c.addInspected(n) }

	if q.hasLive() {
		n, err := q.liveTags(ctx, src, filter, c, scan)
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
			n, err := q.blockTags(ctx, m, src, filter, scan)
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

func (q *Querier) liveTags(ctx context.Context, src tagSource, filter *traceql.RootExpr, c *collector, scan tagScan) (uint64, error) {
	traces := q.live.Traces(src.Tenant)
	if filter == nil && scan.batch != nil {
		return q.batchTagsOf(ctx, src, traces, c, scan.batch), ctx.Err()
	}
	var bytes uint64
	var m matches
	if filter != nil {
		// Only the traces that can match are decoded (see liveFetcher).
		var err error
		if m, err = q.matchSpans(ctx, filter, q.liveFetcher(traces, nil), src); err != nil {
			return 0, err
		}
	}
	for _, t := range traces {
		if c.done() || ctx.Err() != nil {
			break
		}
		var keep spanFilter
		if m != nil {
			var ok bool
			if keep, ok = m[pcommon.TraceID(t.ID)]; !ok {
				continue
			}
		}
		if s, e := t.Bounds(); !overlapsRange(s, e, src) {
			continue
		}
		td, ok := q.decodeLive(t)
		if !ok {
			continue
		}
		bytes += uint64(t.Size())
		scan.live(td, keep)
	}
	return bytes, ctx.Err()
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

func (q *Querier) blockTags(ctx context.Context, meta *backend.BlockMeta, src tagSource, filter *traceql.RootExpr, scan tagScan) (n uint64, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &blockError{fmt.Errorf("block %s/%s: corrupt data: %v", meta.TenantID, meta.BlockID, p)}
		}
	}()
	r, err := q.handle(meta).open(q.dataBackend(meta))
	if err != nil {
		return 0, &blockError{err}
	}
	if filter == nil {
		var tr search.TagRequest
		if !src.Start.IsZero() {
			tr.StartTimeUnixNanos = uint64(src.Start.UnixNano())
		}
		if !src.End.IsZero() {
			tr.EndTimeUnixNanos = uint64(src.End.UnixNano())
		}
		st, err := scan.columns(ctx, r, tr)
		if err != nil && !canceled(ctx, err) {
			err = &blockError{err}
		}
		return st.InspectedBytes, err
	}
	// The filter's matching spans, as the block fetcher decoded them: their
	// attributes answer without reading the rows again.
	f := search.NewFetcher(r)
	rec := &recordingFetcher{f: blockFetcher{f}, spans: map[string]traceql.Span{}, reads: scan.reads}
	resp, err := q.engine().ExecuteSearchExpr(ctx, filter, rec, traceql.SearchOptions{
		Limit: math.MaxInt32, Start: src.Start, End: src.End,
	})
	n = f.Stats().InspectedBytes
	if err != nil {
		var be *blockError
		if errors.As(err, &be) || canceled(ctx, err) {
			return n, err
		}
		return n, &InvalidRequestError{err}
	}
	for _, t := range resp.Traces {
		for _, ss := range t.SpanSets {
			for _, sp := range ss.Spans {
				if s, ok := rec.spans[t.TraceID+"/"+sp.SpanID]; ok {
					scan.span(s)
				}
			}
		}
	}
	return n, nil
}

// recordingFetcher keeps the spans it hands to the engine so results (trace
// and span IDs) map back to spans.
// The spans are read with the attributes asked of them afterwards (else
// each would read its row again, alone, when asked).
type recordingFetcher struct {
	f     traceql.Fetcher
	spans map[string]traceql.Span
	reads []traceql.Attribute // nil: whole spans
}

func (r *recordingFetcher) Fetch(ctx context.Context, req traceql.FetchRequest) (traceql.SpansetIterator, error) {
	if r.reads != nil && req.AllConditions {
		conds := append([]traceql.Condition(nil), req.Conditions...)
		for _, a := range r.reads {
			conds = append(conds, traceql.Condition{Attribute: a})
		}
		req.Conditions = conds
	} else {
		req.SecondPassSelectAll = true
	}
	it, err := r.f.Fetch(ctx, req)
	if err != nil {
		return nil, err
	}
	return &recordingIter{it: it, r: r}, nil
}

type recordingIter struct {
	it traceql.SpansetIterator
	r  *recordingFetcher
}

func (i *recordingIter) Next(ctx context.Context) (*traceql.Spanset, error) {
	ss, err := i.it.Next(ctx)
	if ss != nil {
		id := model.TraceIDFromBytes(ss.TraceID).Text()
		if id == "" {
			id = "0"
		}
		for _, sp := range ss.Spans {
			i.r.spans[id+"/"+hex.EncodeToString(sp.ID())] = sp
		}
	}
	return ss, err
}

func (i *recordingIter) Close() { i.it.Close() }

// scopeOf maps an API scope name to the TraceQL scope.
func scopeOf(s string) traceql.Scope {
	switch s {
	case ScopeResource:
		return traceql.ScopeResource
	case ScopeSpan:
		return traceql.ScopeSpan
	case ScopeEvent:
		return traceql.ScopeEvent
	case ScopeLink:
		return traceql.ScopeLink
	case ScopeInstrumentation:
		return traceql.ScopeInstrumentation
	}
	return traceql.ScopeNone
}

// addStatic adds a value read from a block with its TraceQL type; arrays and
// event/link multi-values add each element.
func addStatic(v traceql.Static, stringOnly bool, c *collector) {
	switch v.Type {
	case traceql.TypeString:
		c.addValue(TagValue{Type: "string", Value: v.S})
	case traceql.TypeInt:
		if !stringOnly {
			c.addValue(TagValue{Type: "int", Value: strconv.FormatInt(v.N, 10)})
		}
	case traceql.TypeFloat:
		if !stringOnly {
			c.addValue(TagValue{Type: "float", Value: strconv.FormatFloat(v.F, 'g', -1, 64)})
		}
	case traceql.TypeBoolean:
		if !stringOnly {
			c.addValue(TagValue{Type: "bool", Value: strconv.FormatBool(v.B)})
		}
	case traceql.TypeArray, traceql.TypeMulti:
		for _, e := range v.Arr {
			addStatic(e, stringOnly, c)
		}
	}
}
