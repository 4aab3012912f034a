package vparquet

import (
	"encoding/binary"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// spanKey is a span ID as a number from its first 8 bytes; only equality
// matters.
func spanKey(id []byte) uint64 {
	var b [8]byte
	copy(b[:], id)
	return binary.BigEndian.Uint64(b[:])
}

// AssignNestedSets numbers the spans of a trace (spec §9): NestedSetLeft/Right
// by depth-first walk, ParentID = parent's left (-1 for roots), ChildCount.
// Traces without a root, or with a span ID used more than twice, keep zeros.
func AssignNestedSets(tr *Trace) {
	var ns nestedSets
	ns.assign(tr)
}

// nestedSets is AssignNestedSets' working memory, reusable across traces.
type nestedSets struct {
	spans []*Span
	byID  map[uint64]int32 // span ID → first span with it
	dup   []int32          // per span: the next span with its ID, or -1
	roots []int32
	// children as linked lists in span order
	head, tail, next []int32
	visited          []bool
	stack            []nestedFrame
}

type nestedFrame struct{ span, child int32 }

func resize[T any](s []T, n int, v T) []T {
	if cap(s) < n {
		s = make([]T, n)
	}
	s = s[:n]
	for i := range s {
		s[i] = v
	}
	return s
}

func (ns *nestedSets) assign(tr *Trace) {
	spans := ns.spans[:0]
	for i := range tr.ResourceSpans {
		for j := range tr.ResourceSpans[i].ScopeSpans {
			ss := &tr.ResourceSpans[i].ScopeSpans[j]
			for k := range ss.Spans {
				s := &ss.Spans[k]
				s.NestedSetLeft, s.NestedSetRight, s.ParentID, s.ChildCount = 0, 0, 0, 0
				spans = append(spans, s)
			}
		}
	}
	ns.spans = spans
	if ns.byID == nil {
		ns.byID = make(map[uint64]int32, len(spans))
	} else {
		clear(ns.byID)
	}
	n := len(spans)
	ns.dup = resize(ns.dup, n, -1)
	roots := ns.roots[:0]
	for i, s := range spans {
		k := spanKey(s.SpanID)
		if f, ok := ns.byID[k]; ok {
			if ns.dup[f] >= 0 {
				return // a third use of one ID
			}
			ns.dup[f] = int32(i)
		} else {
			ns.byID[k] = int32(i)
		}
		if len(s.ParentSpanID) == 0 {
			roots = append(roots, int32(i))
		}
	}
	ns.roots = roots
	if len(roots) == 0 {
		return
	}
	ns.head, ns.tail, ns.next = resize(ns.head, n, -1), resize(ns.tail, n, -1), resize(ns.next, n, -1)
	for i, s := range spans {
		if len(s.ParentSpanID) == 0 {
			continue
		}
		first, ok := ns.byID[spanKey(s.ParentSpanID)]
		if !ok {
			continue
		}
		p := ns.parentOf(first, s, int32(i))
		if p < 0 {
			continue
		}
		if ns.tail[p] < 0 {
			ns.head[p] = int32(i)
		} else {
			ns.next[ns.tail[p]] = int32(i)
		}
		ns.tail[p] = int32(i)
		spans[p].ChildCount++
	}

	// Iterative DFS; visited guards against cycles in malformed input.
	ns.visited = resize(ns.visited, n, false)
	counter := int32(1)
	stack := ns.stack[:0]
	for _, r := range roots {
		if ns.visited[r] {
			continue
		}
		ns.visited[r] = true
		spans[r].ParentID = -1
		spans[r].NestedSetLeft = counter
		counter++
		stack = append(stack[:0], nestedFrame{span: r, child: ns.head[r]})
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if c := top.child; c >= 0 {
				top.child = ns.next[c]
				if ns.visited[c] {
					continue
				}
				ns.visited[c] = true
				spans[c].ParentID = spans[top.span].NestedSetLeft
				spans[c].NestedSetLeft = counter
				counter++
				stack = append(stack, nestedFrame{span: c, child: ns.head[c]})
				continue
			}
			spans[top.span].NestedSetRight = counter
			counter++
			stack = stack[:len(stack)-1]
		}
	}
	ns.stack = stack
}

// parentOf picks the parent among the spans carrying the parent ID (first,
// and its duplicate if any): with a shared Zipkin ID, a server span's parent
// is the client half, anything else's the server half.
func (ns *nestedSets) parentOf(first int32, child *Span, self int32) int32 {
	second := ns.dup[first]
	if second < 0 {
		if first == self {
			return -1
		}
		return first
	}
	want := int64(ptrace.SpanKindServer)
	if child.Kind == int64(ptrace.SpanKindServer) {
		want = int64(ptrace.SpanKindClient)
	}
	for _, c := range [2]int32{first, second} {
		if c != self && ns.spans[c].Kind == want {
			return c
		}
	}
	return -1
}
