package querier

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"testing"
	"time"
	"weak"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/traceql"
)

// TestLiveTagsFromBatches is differential: tag names and values of live
// data read from whole batches (cached per batch) equal those read trace by
// trace (the path a filter takes; `{ duration >= 0 }` keeps every span),
// for requests holding several traces, asked twice (the second time from
// the cache). A window before the data answers nothing.
func TestLiveTagsFromBatches(t *testing.T) {
	live := newFakeLive()
	g := tracegen.New(21, tracegen.Config{Exotic: true, MinSpans: 1, MaxSpans: 9})
	var first time.Time
	for range 12 {
		batch := ptrace.NewTraces()
		for range 7 {
			_, td := g.Trace()
			if first.IsZero() {
				first = time.Unix(0, int64(td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).StartTimestamp()))
			}
			td.ResourceSpans().MoveAndAppendTo(batch.ResourceSpans())
		}
		live.add("acme", batch)
	}
	q := New(nil, live, nil, nil, Config{})
	ctx := context.Background()
	const all = `{ duration >= 0 }`

	names := func(query string, start time.Time) map[string][]string {
		res, err := q.TagNames(ctx, TagsRequest{Tenant: "acme", Query: query, Start: start})
		if err != nil {
			t.Fatal(err)
		}
		return res.Scopes
	}
	want := names(all, time.Time{})
	if len(want[ScopeSpan]) < 5 || len(want[ScopeResource]) < 3 || len(want[ScopeEvent]) == 0 || len(want[ScopeLink]) == 0 {
		t.Fatalf("too few names to compare: %v", want)
	}
	for pass := range 2 {
		if got := names("", time.Time{}); !reflect.DeepEqual(got, want) {
			t.Errorf("names, pass %d:\ngot  %v\nwant %v", pass, got, want)
		}
	}
	if got := names("", first.Add(-time.Hour)); !reflect.DeepEqual(got, want) {
		t.Errorf("names from before the data: %v", got)
	}

	targets := []TagValuesRequest{
		{Tag: traceql.NewScopedAttribute(traceql.ScopeSpan, "http.request.method")},
		{Tag: traceql.NewScopedAttribute(traceql.ScopeResource, "service.name")},
		{Tag: traceql.NewScopedAttribute(traceql.ScopeSpan, "url.path")},
		{Tag: traceql.NewScopedAttribute(traceql.ScopeSpan, "tags")},
		{Tag: traceql.NewScopedAttribute(traceql.ScopeSpan, "load")},
		{Tag: traceql.NewAttribute("cluster")},
		{Tag: traceql.NewScopedAttribute(traceql.ScopeEvent, "exception.message")},
		{Tag: traceql.NewScopedAttribute(traceql.ScopeLink, "opentracing.ref_type")},
		{Tag: traceql.NewScopedAttribute(traceql.ScopeInstrumentation, "sampled")},
		{Tag: traceql.Attribute{Intrinsic: traceql.IntrinsicName}},
		{Tag: traceql.Attribute{Intrinsic: traceql.IntrinsicEventName}},
		{Tag: traceql.Attribute{Intrinsic: traceql.IntrinsicInstrumentationName}},
		{Tag: traceql.Attribute{Intrinsic: traceql.IntrinsicTraceRootService}},
		{Name: "http.method", V1: true},
	}
	for _, tr := range targets {
		t.Run(fmt.Sprintf("%s%s", tr.Tag, tr.Name), func(t *testing.T) {
			values := func(query string) []TagValue {
				r := tr
				r.Tenant, r.Query = "acme", query
				res, err := q.TagValues(ctx, r)
				if err != nil {
					t.Fatal(err)
				}
				return res.Values
			}
			want := values(all)
			if len(want) == 0 {
				t.Fatal("no values to compare")
			}
			for pass := range 2 {
				if got := values(""); !reflect.DeepEqual(got, want) {
					t.Errorf("pass %d:\ngot  %v\nwant %v", pass, got, want)
				}
			}
		})
	}

	res, err := q.TagValues(ctx, TagValuesRequest{Tenant: "acme", Tag: traceql.NewScopedAttribute(traceql.ScopeResource, "service.name"),
		Start: first.Add(-2 * time.Hour), End: first.Add(-time.Hour)})
	if err != nil || len(res.Values) != 0 {
		t.Errorf("a window before the data: %v %v", res.Values, err)
	}
}

// TestLiveTagCacheHoldsNoRequest: the per-request tag cache is reused while
// the requests are live, and neither keeps a flushed request alive nor its
// entry once a later query sees it gone.
func TestLiveTagCacheHoldsNoRequest(t *testing.T) {
	live := newFakeLive()
	g := tracegen.New(4, tracegen.Config{})
	for range 5 {
		batch := ptrace.NewTraces()
		for range 4 {
			_, td := g.Trace()
			td.ResourceSpans().MoveAndAppendTo(batch.ResourceSpans())
		}
		live.add("acme", batch)
	}
	q := New(nil, live, nil, nil, Config{})
	ctx := context.Background()
	names := func() int {
		res, err := q.TagNames(ctx, TagsRequest{Tenant: "acme", Scope: ScopeSpan})
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Scopes[ScopeSpan])
	}
	if names() == 0 {
		t.Fatal("no names")
	}
	cache := q.tagCache["acme"]
	if len(cache.m) != 5 {
		t.Fatalf("%d batches cached, want 5", len(cache.m))
	}
	first := map[*batchTags]bool{}
	for _, bt := range cache.m {
		first[bt] = true
	}
	names()
	for _, bt := range cache.m {
		if !first[bt] {
			t.Fatal("a live request was read again instead of from the cache")
		}
	}
	// Flushed: the requests can be collected, and the next query drops
	// their entries.
	var keys []weak.Pointer[otlpwire.Batch]
	for w := range cache.m {
		keys = append(keys, w)
	}
	live.flush("acme")
	runtime.GC()
	runtime.GC()
	for _, w := range keys {
		if w.Value() != nil {
			t.Error("the cache keeps a flushed request alive")
		}
	}
	if n := names(); n != 0 || len(cache.m) != 0 {
		t.Errorf("after the flush: %d names, %d cache entries", n, len(cache.m))
	}
}
