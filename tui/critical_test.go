package tui

import (
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/tracetree"
)

// span is a test span: id, parent (0 = root), start and end in ms.
type span struct {
	id, parent byte
	start, end uint64
}

func buildTrace(spans ...span) []*tracetree.Node {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	for _, s := range spans {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(pcommon.TraceID{1})
		sp.SetSpanID(pcommon.SpanID{s.id})
		if s.parent != 0 {
			sp.SetParentSpanID(pcommon.SpanID{s.parent})
		}
		sp.SetName(string('A' + s.id - 1))
		sp.SetStartTimestamp(pcommon.Timestamp(s.start * 1e6))
		sp.SetEndTimestamp(pcommon.Timestamp(s.end * 1e6))
	}
	return tracetree.Build(td)
}

// render prints segments as "A0-10" (span name, ms).
func render(segs []segment) string {
	var parts []string
	for _, s := range segs {
		parts = append(parts, fmt.Sprintf("%s%d-%d", s.node.Span.Name(), s.start/1e6, s.end/1e6))
	}
	return strings.Join(parts, " ")
}

func TestCriticalPath(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spans []span
		want  string
	}{
		{"leaf root", []span{{1, 0, 0, 10}}, "A0-10"},
		{"sequential children", []span{{1, 0, 0, 100}, {2, 1, 10, 40}, {3, 1, 50, 90}},
			"A0-10 B10-40 A40-50 C50-90 A90-100"},
		{"parallel children: the last to finish wins, the overlapped one is skipped",
			[]span{{1, 0, 0, 100}, {2, 1, 10, 80}, {3, 1, 20, 90}},
			"A0-20 C20-90 A90-100"},
		{"child outliving its parent is clamped", []span{{1, 0, 0, 50}, {2, 1, 10, 200}},
			"A0-10 B10-50"},
		{"nested", []span{{1, 0, 0, 100}, {2, 1, 0, 100}, {3, 2, 30, 60}},
			"B0-30 C30-60 B60-100"},
		{"child before the parent starts is clamped", []span{{1, 0, 100, 200}, {2, 1, 50, 150}},
			"B100-150 A150-200"},
		{"instant child is not on the path", []span{{1, 0, 0, 10}, {2, 1, 5, 5}}, "A0-10"},
		{"two roots", []span{{1, 0, 0, 10}, {2, 0, 20, 30}}, "A0-10 B20-30"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := render(criticalPath(buildTrace(tc.spans...))); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestCriticalPathOnFixtures: for every fixture trace the path tiles each
// root's time exactly (no gap, no overlap) and every segment lies inside
// its span and its root.
func TestCriticalPathOnFixtures(t *testing.T) {
	for _, tenant := range []string{"single-tenant", "acme"} {
		for _, td := range expectedTraces(t, tenant) {
			roots := tracetree.Build(td)
			segs := criticalPath(roots)
			for _, r := range roots {
				rs, re := spanTimes(r)
				var mine []segment
				for _, s := range segs {
					if s.start >= rs && s.end <= re && descendsFrom(s.node, r) {
						mine = append(mine, s)
					}
				}
				cursor := rs
				for _, s := range mine {
					ns, ne := spanTimes(s.node)
					if s.start < ns || s.end > ne || s.start >= s.end {
						t.Fatalf("segment %d-%d outside span %s %d-%d", s.start, s.end, s.node.Span.Name(), ns, ne)
					}
					if s.start != cursor {
						t.Fatalf("root %s: gap or overlap at %d (segment starts %d)", r.Span.SpanID(), cursor, s.start)
					}
					cursor = s.end
				}
				if re > rs && cursor != re {
					t.Fatalf("root %s: path ends at %d, root at %d", r.Span.SpanID(), cursor, re)
				}
			}
		}
	}
}

func descendsFrom(n, root *tracetree.Node) bool {
	if n == root {
		return true
	}
	for _, c := range root.Children {
		if descendsFrom(n, c) {
			return true
		}
	}
	return false
}
