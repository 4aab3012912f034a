package blocktools

import (
	"context"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/vparquet"
	"github.com/tempoctl/tempoctl/storage/vparquet/search"
	"github.com/tempoctl/tempoctl/traceql"
)

// TagsOptions bound a tag-name lookup (spec/http-api.md §4.1–4.2).
type TagsOptions struct {
	Start, End time.Time
	// Scope is span, resource, event, link, instrumentation, intrinsic, or
	// "" / "none" for every attribute scope plus the intrinsics.
	Scope string
	// Query, if set, restricts the lookup to spans matching this TraceQL
	// filter. An incomplete query is reduced to the matchers that parse; if
	// none does the filter is ignored (as Tempo does).
	Query string
	// Limit caps the number of names per scope (0 = no cap).
	Limit        int
	OnBlockError func(meta *backend.BlockMeta, err error)
}

// TagMetrics is the metrics block of tag answers.
type TagMetrics struct {
	InspectedBytes  uint64 `json:"inspectedBytes,string,omitempty"`
	TotalBlocks     uint32 `json:"totalBlocks,omitempty"`
	TotalBlockBytes uint64 `json:"totalBlockBytes,string,omitempty"`
}

// TagScope is one scope's tag names.
type TagScope struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

// TagsResponse is the body of /api/v2/search/tags.
type TagsResponse struct {
	Scopes  []TagScope `json:"scopes"`
	Metrics TagMetrics `json:"metrics"`
}

// Names flattens the attribute scopes (not the intrinsics), sorted and
// de-duplicated: the body of /api/search/tags.
func (r *TagsResponse) Names() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range r.Scopes {
		if s.Name == "intrinsic" {
			continue
		}
		for _, t := range s.Tags {
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	sort.Strings(out)
	return out
}

// IntrinsicTags is the static intrinsic list of /api/v2/search/tags.
var IntrinsicTags = []string{"duration", "event:name", "event:timeSinceStart", "instrumentation:name",
	"instrumentation:version", "kind", "link:spanID", "link:traceID", "name", "rootName", "rootServiceName",
	"span:duration", "span:id", "span:kind", "span:name", "span:parentID", "span:status", "span:statusMessage",
	"status", "statusMessage", "trace:duration", "trace:id", "trace:rootName", "trace:rootService", "traceDuration"}

var attrScopes = []traceql.Scope{traceql.ScopeResource, traceql.ScopeSpan, traceql.ScopeEvent, traceql.ScopeLink, traceql.ScopeInstrumentation}

// ParseTagScope checks a scope parameter; the error reads like Tempo's 400.
func ParseTagScope(s string) (traceql.Scope, bool, error) {
	switch s {
	case "", "none":
		return traceql.ScopeNone, false, nil
	case "intrinsic":
		return traceql.ScopeNone, true, nil
	}
	for _, sc := range attrScopes {
		if sc.String() == s {
			return sc, false, nil
		}
	}
	return 0, false, fmt.Errorf("invalid scope: %s", s)
}

// Tags lists the tag names of a tenant's blocks by scope, including
// attributes kept in dedicated columns.
func Tags(ctx context.Context, be *backend.Backend, tenant string, opts TagsOptions) (*TagsResponse, error) {
	scope, intrinsicOnly, err := ParseTagScope(opts.Scope)
	if err != nil {
		return nil, err
	}
	out := &TagsResponse{Scopes: []TagScope{}}
	if !intrinsicOnly {
		metas, err := blocksInRange(ctx, be, tenant, opts.Start, opts.End)
		if err != nil {
			return nil, err
		}
		names := map[traceql.Scope]map[string]bool{}
		add := func(sc traceql.Scope, name string) {
			if scope != traceql.ScopeNone && sc != scope {
				return
			}
			if names[sc] == nil {
				names[sc] = map[string]bool{}
			}
			names[sc][name] = true
		}
		if err := forBlocks(ctx, be, metas, opts.OnBlockError, &out.Metrics, func(r *vparquet.Reader) (uint64, error) {
			return tagsOfBlock(ctx, r, opts, scope, add)
		}); err != nil {
			return nil, err
		}
		for _, sc := range attrScopes {
			if len(names[sc]) == 0 {
				continue
			}
			tags := make([]string, 0, len(names[sc]))
			for n := range names[sc] {
				tags = append(tags, n)
			}
			sort.Strings(tags)
			if opts.Limit > 0 && len(tags) > opts.Limit {
				tags = tags[:opts.Limit]
			}
			out.Scopes = append(out.Scopes, TagScope{Name: sc.String(), Tags: tags})
		}
	}
	if intrinsicOnly || opts.Scope == "" || opts.Scope == "none" {
		out.Scopes = append(out.Scopes, TagScope{Name: "intrinsic", Tags: append([]string(nil), IntrinsicTags...)})
	}
	return out, nil
}

func tagsOfBlock(ctx context.Context, r *vparquet.Reader, opts TagsOptions, scope traceql.Scope, add func(traceql.Scope, string)) (uint64, error) {
	q := lenientFilter(opts.Query)
	if q == nil {
		st, err := search.TagNames(ctx, r, tagRequest(opts.Start, opts.End), scope, add)
		return st.InspectedBytes, err
	}
	return matchingSpans(ctx, r, q, opts.Start, opts.End, func(s traceql.Span) {
		search.SpanTags(s, add)
	})
}

// forBlocks opens each block and runs fn on it, summing inspected bytes;
// unreadable blocks are reported and skipped, unless all are.
func forBlocks(ctx context.Context, be *backend.Backend, metas []*backend.BlockMeta, onErr func(*backend.BlockMeta, error), m *TagMetrics, fn func(r *vparquet.Reader) (uint64, error)) error {
	m.TotalBlocks = uint32(len(metas))
	failed := 0
	report := func(meta *backend.BlockMeta, err error) {
		failed++
		if onErr != nil {
			onErr(meta, err)
		}
	}
	for _, meta := range metas {
		m.TotalBlockBytes += meta.Size
		rs := openReaders(ctx, be, []*backend.BlockMeta{meta}, report)
		if len(rs) == 0 {
			continue
		}
		n, err := fn(rs[0])
		rs[0].Close()
		m.InspectedBytes += n
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			report(meta, err)
		}
	}
	if failed > 0 && failed == len(metas) {
		return fmt.Errorf("%w: %d blocks", ErrAllBlocksFailed, failed)
	}
	return nil
}

func tagRequest(start, end time.Time) search.TagRequest {
	var req search.TagRequest
	if !start.IsZero() {
		req.StartTimeUnixNanos = uint64(start.UnixNano())
	}
	if !end.IsZero() {
		req.EndTimeUnixNanos = uint64(end.UnixNano())
	}
	return req
}

// lenientFilter parses a tag filter query. Tempo accepts incomplete filters
// (what an editor sends while the user types): the && parts of the filter
// that parse on their own are kept. nil means no filter.
func lenientFilter(q string) *traceql.RootExpr {
	q = strings.TrimSpace(q)
	if q == "" || q == "{}" {
		return nil
	}
	if root, err := traceql.Parse(q); err == nil {
		return root
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(q, "{"), "}")
	var ok []string
	for _, part := range strings.Split(inner, "&&") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if _, err := traceql.Parse("{ " + part + " }"); err == nil {
			ok = append(ok, part)
		}
	}
	if len(ok) == 0 {
		return nil
	}
	root, err := traceql.Parse("{ " + strings.Join(ok, " && ") + " }")
	if err != nil {
		return nil
	}
	return root
}

// matchingSpans runs filter over one block and calls fn with each span of
// the result (every span of every matching spanset).
func matchingSpans(ctx context.Context, r *vparquet.Reader, filter *traceql.RootExpr, start, end time.Time, fn func(traceql.Span)) (uint64, error) {
	rec := &recordingFetcher{f: search.NewFetcher(r), spans: map[string]traceql.Span{}}
	resp, err := traceql.NewEngine().ExecuteSearchExpr(ctx, filter, rec, traceql.SearchOptions{Limit: 1 << 30, Start: start, End: end})
	bytes := rec.f.Stats().InspectedBytes
	if err != nil {
		return bytes, err
	}
	for _, t := range resp.Traces {
		for _, ss := range t.SpanSets {
			for _, s := range ss.Spans {
				if sp, ok := rec.spans[t.TraceID+"/"+s.SpanID]; ok {
					fn(sp)
				}
			}
		}
	}
	return bytes, nil
}

// recordingFetcher remembers the spans it hands to the engine, so results
// (trace and span IDs) can be mapped back to spans.
type recordingFetcher struct {
	f     *search.Fetcher
	spans map[string]traceql.Span
}

func (r *recordingFetcher) Fetch(ctx context.Context, req traceql.FetchRequest) (traceql.SpansetIterator, error) {
	// Tags are read from the matching spans afterwards: every attribute
	// must be there, not only those the filter names.
	req.SecondPassSelectAll = true
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
		id := strings.TrimLeft(hex.EncodeToString(ss.TraceID), "0")
		if id == "" {
			id = "0"
		}
		for _, s := range ss.Spans {
			i.r.spans[id+"/"+hex.EncodeToString(s.ID())] = s
		}
	}
	return ss, err
}

func (i *recordingIter) Close() { i.it.Close() }

// ---- tag values ----

// TagValuesOptions bound a tag-value lookup (spec/http-api.md §4.3–4.4).
type TagValuesOptions struct {
	Start, End time.Time
	// Query restricts values to spans matching this filter (see
	// TagsOptions.Query).
	Query string
	// Limit caps the number of values (0 = no cap).
	Limit        int
	OnBlockError func(meta *backend.BlockMeta, err error)
}

// TagValue is one typed value: type is string, int, float, bool, duration
// or keyword; value is its text.
type TagValue struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// TagValuesResponse is the body of /api/v2/search/tag/{name}/values.
type TagValuesResponse struct {
	TagValues []TagValue `json:"tagValues"`
	Metrics   TagMetrics `json:"metrics"`
}

// Strings are the values as /api/search/tag/{name}/values lists them.
func (r *TagValuesResponse) Strings() []string {
	out := make([]string, 0, len(r.TagValues))
	seen := map[string]bool{}
	for _, v := range r.TagValues {
		if !seen[v.Value] {
			seen[v.Value] = true
			out = append(out, v.Value)
		}
	}
	return out
}

// TagName is a parsed tag name: a TraceQL identifier (resource.service.name,
// .foo, name, status, event:name, …) or, for the v1 API, a raw attribute
// name looked up in every scope.
type TagName struct {
	Attribute traceql.Attribute
	AllScopes bool
}

// ParseTagName parses a TraceQL identifier; the error reads like Tempo's.
func ParseTagName(name string) (TagName, error) {
	root, err := traceql.Parse("{" + name + " != nil}")
	if err == nil && root.Pipeline != nil && len(root.Pipeline.Stages) == 1 {
		if f, ok := root.Pipeline.Stages[0].(*traceql.SpansetFilter); ok {
			if b, ok := f.Expr.(*traceql.BinaryOp); ok {
				if a, ok := b.LHS.(*traceql.AttrRef); ok && a.Attribute.String() != "" {
					return TagName{Attribute: a.Attribute}, nil
				}
			}
		}
	}
	if err == nil {
		err = fmt.Errorf("not an attribute or intrinsic")
	}
	return TagName{}, fmt.Errorf("please provide a valid tagName: failed to parse identifier %s: %w", name, err)
}

// RawTagName is the v1 form: an attribute name in any scope.
func RawTagName(name string) TagName {
	return TagName{Attribute: traceql.NewAttribute(name), AllScopes: true}
}

// TagValues lists the values of a tag in a tenant's blocks (attributes in
// dedicated columns included), sorted by value.
func TagValues(ctx context.Context, be *backend.Backend, tenant string, tag TagName, opts TagValuesOptions) (*TagValuesResponse, error) {
	out := &TagValuesResponse{TagValues: []TagValue{}}
	if static, ok := staticTagValues(tag.Attribute); ok {
		out.TagValues = static
		return out, nil
	}
	metas, err := blocksInRange(ctx, be, tenant, opts.Start, opts.End)
	if err != nil {
		return nil, err
	}
	seen := map[TagValue]bool{}
	full := func() bool { return opts.Limit > 0 && len(seen) >= opts.Limit }
	add := func(v traceql.Static) bool {
		if full() {
			return false
		}
		if tv, ok := toTagValue(v); ok {
			seen[tv] = true
		}
		return !full()
	}
	q := lenientFilter(opts.Query)
	if err := forBlocks(ctx, be, metas, opts.OnBlockError, &out.Metrics, func(r *vparquet.Reader) (uint64, error) {
		if full() {
			return 0, nil
		}
		if q == nil {
			st, err := search.TagValues(ctx, r, tagRequest(opts.Start, opts.End), tag.Attribute, tag.AllScopes, add)
			return st.InspectedBytes, err
		}
		return matchingSpans(ctx, r, q, opts.Start, opts.End, func(s traceql.Span) {
			for _, a := range lookupAttrs(tag) {
				addValue(s.AttributeFor(a), add)
			}
		})
	}); err != nil {
		return nil, err
	}
	for tv := range seen {
		out.TagValues = append(out.TagValues, tv)
	}
	sort.Slice(out.TagValues, func(i, j int) bool {
		a, b := out.TagValues[i], out.TagValues[j]
		if a.Value != b.Value {
			return a.Value < b.Value
		}
		return a.Type < b.Type
	})
	return out, nil
}

func lookupAttrs(tag TagName) []traceql.Attribute {
	if !tag.AllScopes {
		return []traceql.Attribute{tag.Attribute}
	}
	out := []traceql.Attribute{tag.Attribute}
	for _, sc := range []traceql.Scope{traceql.ScopeEvent, traceql.ScopeLink, traceql.ScopeInstrumentation} {
		out = append(out, traceql.NewScopedAttribute(sc, tag.Attribute.Name))
	}
	return out
}

func addValue(v traceql.Static, add func(traceql.Static) bool) {
	if v.Type == traceql.TypeArray || v.Type == traceql.TypeMulti {
		for _, e := range v.Arr {
			addValue(e, add)
		}
		return
	}
	if !v.IsNil() {
		add(v)
	}
}

// staticTagValues are the fixed answers for status, kind and durations.
func staticTagValues(a traceql.Attribute) ([]TagValue, bool) {
	kw := func(vs ...string) []TagValue {
		out := make([]TagValue, len(vs))
		for i, v := range vs {
			out[i] = TagValue{Type: "keyword", Value: v}
		}
		return out
	}
	switch a.Intrinsic {
	case traceql.IntrinsicStatus:
		return kw("ok", "error", "unset"), true
	case traceql.IntrinsicKind:
		return kw("unspecified", "client", "server", "producer", "consumer", "internal"), true
	case traceql.IntrinsicDuration, traceql.IntrinsicTraceDuration, traceql.IntrinsicEventTimeSinceStart:
		return []TagValue{}, true
	}
	return nil, false
}

func toTagValue(v traceql.Static) (TagValue, bool) {
	switch v.Type {
	case traceql.TypeString:
		return TagValue{"string", v.S}, true
	case traceql.TypeInt:
		return TagValue{"int", strconv.FormatInt(v.N, 10)}, true
	case traceql.TypeFloat:
		return TagValue{"float", strconv.FormatFloat(v.F, 'g', -1, 64)}, true
	case traceql.TypeBoolean:
		return TagValue{"bool", strconv.FormatBool(v.B)}, true
	case traceql.TypeDuration:
		return TagValue{"duration", time.Duration(v.N).String()}, true
	case traceql.TypeStatus, traceql.TypeKind:
		return TagValue{"keyword", v.String()}, true
	}
	return TagValue{}, false
}
