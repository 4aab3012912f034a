package tracegen

import (
	"fmt"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// treeStats checks td is one tree (one root, every parent present) and
// returns its depth (spans on the longest root-to-leaf path) and the most
// children any span has.
func treeStats(t *testing.T, td ptrace.Traces) (depth, width int) {
	t.Helper()
	parent := map[pcommon.SpanID]pcommon.SpanID{}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			for k := 0; k < sss.At(j).Spans().Len(); k++ {
				s := sss.At(j).Spans().At(k)
				parent[s.SpanID()] = s.ParentSpanID()
			}
		}
	}
	roots := 0
	children := map[pcommon.SpanID]int{}
	for id, p := range parent {
		if p.IsEmpty() {
			roots++
			continue
		}
		if _, ok := parent[p]; !ok {
			t.Fatalf("span %s: parent %s not in the trace", id, p)
		}
		children[p]++
		width = max(width, children[p])
	}
	if roots != 1 {
		t.Fatalf("%d roots", roots)
	}
	for id := range parent {
		d := 1
		for p := parent[id]; !p.IsEmpty(); p = parent[p] {
			d++
		}
		depth = max(depth, d)
	}
	return depth, width
}

// TestShapesAndDatabaseSpans: with Shapes, traces of n spans come as chains
// (n deep) and fan-outs (n-1 wide) as well as random trees; with DB,
// database spans carry db.* attributes, not HTTP ones, and are clients.
func TestShapesAndDatabaseSpans(t *testing.T) {
	for _, tc := range []struct {
		name               string
		cfg                Config
		wantDeep, wantWide bool // some trace of ≥ 8 spans is a chain / a fan-out
		wantDB             bool
	}{
		{"default", Config{MinSpans: 3, MaxSpans: 30}, false, false, false},
		{"shapes", Config{MinSpans: 3, MaxSpans: 30, Shapes: true}, true, true, false},
		{"db", Config{MinSpans: 3, MaxSpans: 30, DB: true}, false, false, true},
		{"load tool", Config{MinSpans: 3, MaxSpans: 30, Shapes: true, DB: true}, true, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := New(1, tc.cfg)
			sawDeep, sawWide, sawDB := false, false, false
			for range 300 {
				_, td := g.Trace()
				n := td.SpanCount()
				if n < 3 || n > 30 {
					t.Fatalf("%d spans, want 3..30", n)
				}
				depth, width := treeStats(t, td)
				// At 8 spans and more a random tree is a chain or a fan-out
				// once in 5 040 at most.
				sawDeep = sawDeep || (n >= 8 && depth == n)
				sawWide = sawWide || (n >= 8 && width == n-1)
				rss := td.ResourceSpans()
				for i := 0; i < rss.Len(); i++ {
					spans := rss.At(i).ScopeSpans().At(0).Spans()
					for k := 0; k < spans.Len(); k++ {
						s := spans.At(k)
						_, isDB := s.Attributes().Get("db.system.name")
						_, isHTTP := s.Attributes().Get("http.request.method")
						if isDB {
							sawDB = true
							if isHTTP || s.Kind() != ptrace.SpanKindClient || s.Name() != dbOp {
								t.Fatalf("database span %q kind %v with HTTP attributes %v", s.Name(), s.Kind(), isHTTP)
							}
							if q, _ := s.Attributes().Get("db.query.text"); q.Str() == "" {
								t.Fatal("database span without db.query.text")
							}
						} else if !isHTTP {
							t.Fatalf("span %q has neither HTTP nor database attributes", s.Name())
						}
					}
				}
			}
			if sawDeep != tc.wantDeep || sawWide != tc.wantWide || sawDB != tc.wantDB {
				t.Fatalf("chains %v, fan-outs %v, database spans %v; want %v %v %v", sawDeep, sawWide, sawDB, tc.wantDeep, tc.wantWide, tc.wantDB)
			}
		})
	}
}

// TestDefaultSequenceUnchanged: the options are off by default and then
// draw nothing from the random source, so seeded fixtures elsewhere stay
// the same traces (the figures below are what the generator made before
// the options existed).
func TestDefaultSequenceUnchanged(t *testing.T) {
	want := []string{
		"f75a06475c23c318cab5069daab43cfa 28 21562ef4ecb9ed49 SELECT orders",
		"aa4de8757b2c736223c708c55a862539 14 a95c4bb5cdda2cb9 publish order.created",
		"1d20cc958d6bd6f82910316132b5d0cc 15 c9def3c9e749d895 cache.get",
	}
	g := New(9, Config{MinSpans: 3, MaxSpans: 30})
	for _, w := range want {
		id, td := g.Trace()
		s := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
		if got := fmt.Sprintf("%s %d %s %s", id, td.SpanCount(), s.SpanID(), s.Name()); got != w {
			t.Fatalf("got %q, want %q", got, w)
		}
	}
}
