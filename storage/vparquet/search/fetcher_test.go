package search

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
	"github.com/tempoctl/tempoctl/traceql"
)

// Queries over tracegen data (see internal/tracegen): dedicated slots,
// vParquet4 well-known columns, arrays (also in dedicated slots), mixed
// arrays, empty arrays, kvlists, type mismatches, every scope.
var generatedQueries = []string{
	`{ }`,
	// Naming nothing to fetch: partial rows read themselves whole.
	`{ } | select(span.load, resource.host.cpus)`,
	`{ } | by(resource.service.name) | count() > 1`,
	`{ } >> { }`,
	`{ span.http.request.method = "GET" }`,
	`{ span.http.request.method != "GET" }`,
	`{ span.http.request.method =~ "P.*" }`,
	`{ span.http.request.method !~ "P.*" }`,
	`{ .http.request.method = "GET" && span.http.response.status_code >= 404 }`,
	`{ span.http.response.status_code = 500 }`,
	`{ span.http.response.status_code != 500 }`,
	`{ span.http.response.status_code = "500" }`,
	`{ span.http.status_code = 200 }`,
	`{ span.http.method = "PUT" }`,
	`{ span.http.method != "PUT" && kind = server }`,
	`{ span.load > 0.5 }`,
	`{ span.load < 0.5 && span.cache.hit = true }`,
	`{ span.cache.hit = false }`,
	`{ span.cache.hit != false }`,
	`{ span.tags = "a" }`,
	`{ span.tags != "a" }`,
	`{ span.tags != "z" }`,
	`{ span.tags =~ "b" }`,
	`{ span.tags !~ "b" }`,
	`{ span.tags != 3 }`,
	`{ span.ints = 2 }`,
	`{ span.ints != 2 }`,
	`{ span.ints > 1 }`,
	`{ span.floats < 0 }`,
	`{ span.bools = true }`,
	`{ span.empty != "x" }`,
	`{ span.empty = "x" }`,
	`{ span.mixed = "a" }`,
	`{ span.mixed = 1 }`,
	`{ span.mixed != "a" }`,
	`{ span.unset = nil }`,
	`{ span.unset != nil }`,
	`{ span.kv != nil }`,
	`{ span.raw = nil }`,
	`{ span.unicode =~ ".*q.*" }`,
	`{ span.url.route = "/a" }`,
	`{ span.url.route != "/a" }`,
	`{ span.url.route != "/z" }`,
	`{ span.url.route !~ "/a" }`,
	`{ span.server.port = 443 }`,
	`{ span.server.port != 80 }`,
	`{ span.server.address = 1.5 }`,
	`{ span.server.address != 1.5 }`,
	`{ span.url.path =~ "/api/items/1.*" }`,
	`{ span.url.path > "/api/items/5" }`,
	`{ resource.service.name = "svc-1" }`,
	`{ resource.service.name != "svc-1" }`,
	`{ .service.name = "svc-2" }`,
	`{ .service.name =~ "svc-[01]" && .cache.hit = true }`,
	`{ resource.k8s.namespace.name = "shop" }`,
	`{ resource.k8s.pod.name =~ "svc-3-.*" }`,
	`{ resource.cluster = "eu-1" }`,
	`{ resource.host.cpus >= 4 }`,
	`{ resource.process.command_args = "-v" }`,
	`{ instrumentation.sampled = true }`,
	`{ instrumentation:name = "tracegen" && instrumentation:version != "1.0" }`,
	`{ event:name = "event" }`,
	`{ event.exception.message = "x" }`,
	`{ event.n > 0 }`,
	`{ event:timeSinceStart > 500ns }`,
	`{ link.opentracing.ref_type = "follows_from" }`,
	`{ link:traceID != "00" }`,
	`{ status = error }`,
	`{ status != error && kind = server }`,
	`{ kind = client && duration > 100ms }`,
	`{ name = "charge" || name = "render" }`,
	`{ name = "charge" } && { resource.service.name = "svc-0" }`,
	`{ name = "charge" } >> { name = "render" }`,
	`{ name = "charge" } !< { }`,
	`{ span:childCount > 2 }`,
	`{ span:childCount = 0 && status = error }`,
	`{ nestedSetParent = -1 }`,
	`{ trace:duration > 150ms }`,
	`{ rootServiceName = "svc-0" }`,
	`{ rootName = "charge" && span.cache.hit = true }`,
	`{ span:parentID != nil }`,
	`{ statusMessage = "boom" }`,
	`{ } | count() > 10`,
	`{ status = error } | by(resource.service.name) | count() > 1`,
	`{ span.http.request.method = "GET" } | select(span.load, resource.host.cpus, span.url.route)`,
	`{ .http.method = "GET" && resource.service.name = "svc-1" && status = error }`,
	`{ name = "no such span" }`,
	`{ span.no.such.attr = 1 || resource.service.name = "svc-5" }`,
}

func respJSON(t *testing.T, r *traceql.SearchResponse) string {
	t.Helper()
	r.Metrics = nil
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestMatchesMemoryFetcher is differential: the engine must answer every
// query identically over the block fetcher and over the memory fetcher
// holding the same traces read back from the block.
func TestMatchesMemoryFetcher(t *testing.T) {
	for _, version := range []string{backend.VersionVParquet5, backend.VersionVParquet4} {
		t.Run(version, func(t *testing.T) {
			_, r := writeGenerated(t, version, 7, 100, true)
			if r.RowGroups() < 3 {
				t.Fatalf("want several row groups, got %d", r.RowGroups())
			}
			mem := traceql.NewMemoryFetcher(readBack(t, r)...)
			meta := r.Meta()
			mid := meta.StartTime.Add(meta.EndTime.Sub(meta.StartTime) / 2)
			windows := []traceql.SearchOptions{
				{Limit: 1 << 20},
				{Limit: 1 << 20, Start: mid.Add(-20 * time.Second), End: mid.Add(20 * time.Second)},
			}
			for _, q := range generatedQueries {
				for wi, opts := range windows {
					t.Run(fmt.Sprintf("%s#%d", q, wi), func(t *testing.T) {
						// First chunks of a few rows in the window: a chunk
						// boundary falls inside every row group.
						if wi == 1 {
							defer setFirstChunk(setFirstChunk(3))
						}
						ctx := context.Background()
						want, err := traceql.NewEngine().ExecuteSearch(ctx, q, mem, opts)
						if err != nil {
							t.Fatal(err)
						}
						got, err := traceql.NewEngine().ExecuteSearch(ctx, q, NewFetcher(r), opts)
						if err != nil {
							t.Fatal(err)
						}
						if w, g := respJSON(t, want), respJSON(t, got); w != g {
							t.Errorf("block fetcher differs from memory fetcher\nwant %d traces: %.600s\ngot  %d traces: %.600s", len(want.Traces), w, len(got.Traces), g)
						}
					})
				}
			}
		})
	}
}

// decodedRows decodes every row of a block once.
func decodedRows(t *testing.T, r *vparquet.Reader) map[[2]int]*traceql.Spanset {
	t.Helper()
	b, err := newBlockSearch(NewFetcher(), r, traceql.FetchRequest{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	out := map[[2]int]*traceql.Spanset{}
	for g := 0; g < r.RowGroups(); g++ {
		b.rg = g + 1
		b.endRowGroup()
		n := r.File().RowGroups()[g].NumRows()
		b.cands = nil
		for row := int32(0); row < int32(n); row++ {
			b.cands = append(b.cands, row)
		}
		for i := range b.cands {
			ss, err := b.decode(i)
			if err != nil || ss == nil {
				t.Fatalf("row %d/%d: %v", g, i, err)
			}
			out[[2]int{g, i}] = ss
		}
	}
	return out
}

// exactRows are the rows with a span passing the request: the ground truth
// the first pass must over-approximate.
func exactRows(rows map[[2]int]*traceql.Spanset, req traceql.FetchRequest) map[[2]int]bool {
	out := map[[2]int]bool{}
	for k, ss := range rows {
		for _, s := range ss.Spans {
			if keep(req, s) {
				out[k] = true
				break
			}
		}
	}
	return out
}

func firstPass(t *testing.T, r *vparquet.Reader, req traceql.FetchRequest) map[[2]int]bool {
	t.Helper()
	return firstPassInto(t, NewFetcher(), r, req)
}

// firstPassInto runs the column pass of every row group of r under f (whose
// Stats then count what it read) and returns the candidate rows.
func firstPassInto(t *testing.T, f *Fetcher, r *vparquet.Reader, req traceql.FetchRequest) map[[2]int]bool {
	t.Helper()
	b, err := newBlockSearch(f, r, req)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	out := map[[2]int]bool{}
	for g := 0; g < r.RowGroups(); g++ {
		st, err := b.startRowGroup(g)
		if err != nil {
			t.Fatal(err)
		}
		for st != nil && st.next < st.nrows {
			rows, err := b.candidates(st)
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range rows {
				out[[2]int{g, int(row)}] = true
			}
		}
		if st != nil {
			st.cr.close()
		}
	}
	return out
}

// TestFirstPass checks the column pass alone: it never drops a row that has
// a span passing the pushed-down conditions, and for conditions it can
// decide exactly (span-level conjunctions included) it keeps nothing else.
func TestFirstPass(t *testing.T) {
	type blk struct {
		name string
		r    *vparquet.Reader
	}
	var blocks []blk
	for _, v := range []string{backend.VersionVParquet5, backend.VersionVParquet4} {
		_, r := writeGenerated(t, v, 11, 200, true)
		blocks = append(blocks, blk{v, r})
	}
	fb := fixtureBucket(t)
	for _, tenant := range []string{"single-tenant", "v4-tenant", "rowgroups"} {
		for _, r := range openTenant(t, fb, tenant) {
			blocks = append(blocks, blk{tenant, r})
		}
	}
	// exact: the first pass answers these without over-approximation.
	exact := map[string]bool{
		`{ span.http.request.method = "GET" && span.http.response.status_code >= 404 }`: true,
		`{ span.http.request.method != "GET" }`:                                         true,
		`{ span.tags != "a" }`:                                                          true,
		`{ span.url.route != "/z" }`:                                                    true,
		`{ status = error && kind = server && resource.service.name = "svc-1" }`:        true,
		`{ event:name = "event" && name = "charge" }`:                                   true,
		`{ name = "HTTP GET" && resource.service.name = "shop-backend" }`:               true,
		`{ instrumentation:name = "tracegen" && status = error }`:                       true,
		`{ rootServiceName = "svc-0" && status = error }`:                               true,
		`{ duration > 100ms && kind = client }`:                                         true,
		`{ span.http.status_code = 200 && name =~ "HTTP.*" }`:                           true,
		`{ resource.k8s.namespace.name = "shop" && span.cache.hit = true }`:             true,
		`{ name = "x" || status = error }`:                                              true,
	}
	queries := append([]string{}, generatedQueries...)
	for q := range exact {
		queries = append(queries, q)
	}
	for _, b := range blocks {
		rows := decodedRows(t, b.r)
		for _, chunk := range []int32{firstChunk, 3} {
			old := setFirstChunk(chunk)
			checkFirstPass(t, b.name, b.r, rows, queries, exact)
			setFirstChunk(old)
		}
	}
}

// setFirstChunk sets firstChunk and returns its old value.
func setFirstChunk(n int32) int32 {
	old := firstChunk
	firstChunk = n
	return old
}

func checkFirstPass(t *testing.T, name string, r *vparquet.Reader, rows map[[2]int]*traceql.Spanset, queries []string, exact map[string]bool) {
	for _, q := range queries {
		root, err := traceql.Parse(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		req := traceql.BuildFetchRequest(root)
		if len(req.Conditions) == 0 {
			continue
		}
		want := exactRows(rows, req)
		got := firstPass(t, r, req)
		for k := range want {
			if !got[k] {
				t.Errorf("%s %s (first chunk %d): first pass dropped row %v that matches", name, q, firstChunk, k)
			}
		}
		if exact[q] && len(got) != len(want) {
			t.Errorf("%s %s (first chunk %d): first pass kept %d rows, %d match", name, q, firstChunk, len(got), len(want))
		}
	}
}

// TestPruning checks what the statistics, dictionaries and meta ranges
// save: the counters must show the work skipped.
func TestPruning(t *testing.T) {
	fb := fixtureBucket(t)
	ctx := context.Background()
	run := func(t *testing.T, tenant, q string, opts traceql.SearchOptions) (*traceql.SearchResponse, Stats) {
		t.Helper()
		f := NewFetcher(openTenant(t, fb, tenant)...)
		opts.Limit = 1 << 20
		resp, err := traceql.NewEngine().ExecuteSearch(ctx, q, f, opts)
		if err != nil {
			t.Fatal(err)
		}
		return resp, f.Stats()
	}
	dataSize := func(tenant string) uint64 {
		var n uint64
		for _, r := range openTenant(t, fb, tenant) {
			n += r.Meta().Size
		}
		return n
	}

	t.Run("dictionary rules out a span name", func(t *testing.T) {
		resp, st := run(t, "rowgroups", `{ name = "no such span" }`, traceql.SearchOptions{})
		if len(resp.Traces) != 0 || st.RowGroups != 5 || st.RowGroupsPruned != 5 || st.DecodedTraces != 0 || st.InspectedTraces != 0 {
			t.Fatalf("got %d traces, stats %+v", len(resp.Traces), st)
		}
		if st.InspectedBytes == 0 || st.InspectedBytes > dataSize("rowgroups")/20 {
			t.Fatalf("read %d bytes of %d for dictionaries only", st.InspectedBytes, dataSize("rowgroups"))
		}
	})
	t.Run("key dictionary rules out an attribute", func(t *testing.T) {
		_, st := run(t, "single-tenant", `{ span.no.such.attribute = "x" }`, traceql.SearchOptions{})
		if st.RowGroupsPruned != 1 || st.DecodedTraces != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
	t.Run("statistics rule out a duration", func(t *testing.T) {
		_, st := run(t, "single-tenant", `{ duration > 1000h }`, traceql.SearchOptions{})
		if st.RowGroupsPruned != 1 || st.InspectedBytes != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
	t.Run("condition columns only when no row matches", func(t *testing.T) {
		// payment spans never fail: both columns are read, no row decoded.
		resp, st := run(t, "single-tenant", `{ status = error && resource.service.name = "payment" }`, traceql.SearchOptions{})
		if len(resp.Traces) != 0 || st.InspectedTraces != 200 || st.RowGroupsPruned != 0 || st.DecodedTraces != 0 {
			t.Fatalf("%d traces, stats %+v", len(resp.Traces), st)
		}
		if st.InspectedBytes == 0 || st.InspectedBytes > dataSize("single-tenant")/20 {
			t.Fatalf("read %d of %d bytes", st.InspectedBytes, dataSize("single-tenant"))
		}
	})
	t.Run("selective condition decodes only matching rows", func(t *testing.T) {
		resp, st := run(t, "single-tenant", `{ status = error && resource.service.name = "db" }`, traceql.SearchOptions{})
		if len(resp.Traces) == 0 || st.DecodedTraces != uint64(len(resp.Traces)) {
			t.Fatalf("%d traces, stats %+v", len(resp.Traces), st)
		}
	})
	t.Run("meta time range prunes blocks", func(t *testing.T) {
		// multi's four blocks cover 20:48:40–20:48:54; ask for 20:48:40–42.
		start := time.Date(2026, 11, 23, 20, 48, 40, 0, time.UTC)
		resp, st := run(t, "multi", `{ }`, traceql.SearchOptions{Start: start, End: start.Add(2 * time.Second)})
		if st.Blocks != 4 || st.BlocksPruned == 0 {
			t.Fatalf("stats %+v", st)
		}
		for _, tr := range resp.Traces {
			if tr.StartTimeUnixNano > uint64(start.Add(2*time.Second).UnixNano()) {
				t.Fatalf("trace %s starts after the window", tr.TraceID)
			}
		}
		if len(resp.Traces) == 0 {
			t.Fatal("no traces in the window")
		}
	})
}

// TestSecondPassesAgree: assembling candidate rows from the columns the
// query needs gives the same answers as decoding them whole.
func TestSecondPassesAgree(t *testing.T) {
	fb := fixtureBucket(t)
	queries := append([]string{
		`{ span.http.method = "GET" && resource.service.name = "cart" } | select(span.http.url, span.http.status_code)`,
		`{ event:name = "exception" } | select(event.exception.message, event:timeSinceStart)`,
		`{ link:spanID != "" } | select(link.link.reason)`,
		`{ .deployment.environment = "prod" && kind = server } | by(resource.k8s.pod.name)`,
		`{ span:childCount > 1 } >> { status = error }`,
	}, generatedQueries...)
	for _, tenant := range []string{"single-tenant", "v4-tenant", "rowgroups"} {
		readers := openTenant(t, fb, tenant)
		for _, q := range queries {
			ctx := context.Background()
			opts := traceql.SearchOptions{Limit: 1 << 20}
			part, err := traceql.NewEngine().ExecuteSearch(ctx, q, NewFetcher(readers...), opts)
			if err != nil {
				t.Fatal(err)
			}
			full := NewFetcher(readers...)
			full.fullRows = true
			whole, err := traceql.NewEngine().ExecuteSearch(ctx, q, full, opts)
			if err != nil {
				t.Fatal(err)
			}
			if p, w := respJSON(t, part), respJSON(t, whole); p != w {
				t.Errorf("%s %s: second passes differ\nwhole: %.500s\npart:  %.500s", tenant, q, w, p)
			}
		}
	}
}

// collectFetcher keeps every spanset the fetcher hands out.
type collectFetcher struct {
	f   traceql.Fetcher
	got []*traceql.Spanset
}

func (c *collectFetcher) Fetch(ctx context.Context, req traceql.FetchRequest) (traceql.SpansetIterator, error) {
	it, err := c.f.Fetch(ctx, req)
	return &collectIter{it: it, c: c}, err
}

type collectIter struct {
	it traceql.SpansetIterator
	c  *collectFetcher
}

func (i *collectIter) Next(ctx context.Context) (*traceql.Spanset, error) {
	ss, err := i.it.Next(ctx)
	if ss != nil {
		i.c.got = append(i.c.got, ss)
	}
	return ss, err
}
func (i *collectIter) Close() { i.it.Close() }

// TestPartialSpansReadWholeOnDemand: spans of the second pass answer
// attributes the query did not name by reading their row whole (after the
// search is over), and list every tag.
func TestPartialSpansReadWholeOnDemand(t *testing.T) {
	for _, version := range []string{backend.VersionVParquet5, backend.VersionVParquet4} {
		_, r := writeGenerated(t, version, 51, 60, true)
		ctx := context.Background()
		run := func(full bool) []*traceql.Spanset {
			f := NewFetcher(r)
			f.fullRows = full
			c := &collectFetcher{f: f}
			if _, err := traceql.NewEngine().ExecuteSearch(ctx, `{ status = error }`, c, traceql.SearchOptions{Limit: 1 << 20}); err != nil {
				t.Fatal(err)
			}
			return c.got
		}
		part, whole := run(false), run(true)
		if len(part) == 0 || len(part) != len(whole) {
			t.Fatalf("%s: %d vs %d spansets", version, len(part), len(whole))
		}
		attrs := []traceql.Attribute{
			traceql.NewScopedAttribute(traceql.ScopeSpan, "http.request.method"),
			traceql.NewScopedAttribute(traceql.ScopeResource, "k8s.pod.name"),
			traceql.NewScopedAttribute(traceql.ScopeSpan, "tags"),
			traceql.NewIntrinsic(traceql.IntrinsicName),
			traceql.NewIntrinsic(traceql.IntrinsicEventName),
			traceql.NewScopedAttribute(traceql.ScopeLink, "opentracing.ref_type"),
		}
		for i := range part {
			for j, s := range part[i].Spans {
				w := whole[i].Spans[j]
				for _, a := range attrs {
					if g, e := s.AttributeFor(a), w.AttributeFor(a); g.String() != e.String() {
						t.Fatalf("%s %s: partial span gives %s, whole row %s", version, a, g, e)
					}
				}
				var pt, wt []string
				SpanTags(s, func(sc traceql.Scope, n string) { pt = append(pt, sc.String()+"/"+n) })
				SpanTags(w, func(sc traceql.Scope, n string) { wt = append(wt, sc.String()+"/"+n) })
				if fmt.Sprint(pt) != fmt.Sprint(wt) || len(pt) == 0 {
					t.Fatalf("%s: tags %v vs %v", version, pt, wt)
				}
			}
		}
	}
}

// TestSparseTimeWindow: when a window holds a few traces of a row group,
// the condition columns are read for those rows only, skipping the pages
// that hold none of them. Answers must not change (differential against
// the memory fetcher), and the bytes read must drop.
func TestSparseTimeWindow(t *testing.T) {
	for _, version := range []string{backend.VersionVParquet5, backend.VersionVParquet4} {
		t.Run(version, func(t *testing.T) {
			// One row group of 1000 traces in pages of 4 KiB: many pages
			// per column.
			_, r := writeGeneratedBlock(t, 5, 1000, true, block.Config{Version: version, RowGroupSizeBytes: 1 << 30, PageSizeBytes: 4 << 10})
			if r.RowGroups() != 1 {
				t.Fatalf("want one row group, got %d", r.RowGroups())
			}
			traces := readBack(t, r)
			mem := traceql.NewMemoryFetcher(traces...)
			meta := r.Meta()
			var windows []traceql.SearchOptions
			for _, at := range []time.Duration{0, 50 * time.Second, 500 * time.Second, 999 * time.Second} {
				s := meta.StartTime.Add(at)
				windows = append(windows, traceql.SearchOptions{Limit: 1 << 20, Start: s, End: s.Add(3 * time.Second)})
			}
			ctx := context.Background()
			for _, q := range generatedQueries {
				for wi, opts := range windows {
					want, err := traceql.NewEngine().ExecuteSearch(ctx, q, mem, opts)
					if err != nil {
						t.Fatal(err)
					}
					for _, chunk := range []int32{firstChunk, 7} {
						old := setFirstChunk(chunk)
						got, err := traceql.NewEngine().ExecuteSearch(ctx, q, NewFetcher(r), opts)
						setFirstChunk(old)
						if err != nil {
							t.Fatal(err)
						}
						if w, g := respJSON(t, want), respJSON(t, got); w != g {
							t.Errorf("%s window %d (first chunk %d): block fetcher differs from memory fetcher\nwant %d traces: %.600s\ngot  %d traces: %.600s", q, wi, chunk, len(want.Traces), w, len(got.Traces), g)
						}
					}
				}
			}

			// Bytes of the first pass: a narrow window reads a fraction of
			// what the whole block costs for the same condition columns.
			root, err := traceql.Parse(`{ span.load > 0.1 && duration > 1ns }`)
			if err != nil {
				t.Fatal(err)
			}
			req := traceql.BuildFetchRequest(root)
			// Both windows pay for the trace time columns.
			req.StartTimeUnixNanos, req.EndTimeUnixNanos = uint64(meta.StartTime.Add(time.Second).UnixNano()), uint64(meta.EndTime.Add(-time.Second).UnixNano())
			f := NewFetcher()
			firstPassInto(t, f, r, req)
			whole := f.Stats().InspectedBytes
			req.StartTimeUnixNanos, req.EndTimeUnixNanos = uint64(windows[2].Start.UnixNano()), uint64(windows[2].End.UnixNano())
			f = NewFetcher()
			if len(firstPassInto(t, f, r, req)) == 0 {
				t.Fatal("no candidate in the window: the check below would prove nothing")
			}
			narrow := f.Stats().InspectedBytes
			if narrow == 0 || narrow*3 > whole {
				t.Errorf("first pass over a 3 s window of a 1000 s block read %d bytes, over all but its first and last second %d: pages without wanted rows were read", narrow, whole)
			}
		})
	}
}
