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
	var spans []*Span
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
	byID := make(map[uint64][]int, len(spans))
	var roots []int
	for i, s := range spans {
		k := spanKey(s.SpanID)
		byID[k] = append(byID[k], i)
		if len(byID[k]) > 2 {
			return
		}
		if len(s.ParentSpanID) == 0 {
			roots = append(roots, i)
		}
	}
	if len(roots) == 0 {
		return
	}
	children := make([][]int, len(spans))
	for i, s := range spans {
		if len(s.ParentSpanID) == 0 {
			continue
		}
		if p := parentOf(spans, byID[spanKey(s.ParentSpanID)], s, i); p >= 0 {
			children[p] = append(children[p], i)
		}
	}
	for i, c := range children {
		spans[i].ChildCount = int32(len(c))
	}

	// Iterative DFS; visited guards against cycles in malformed input.
	visited := make([]bool, len(spans))
	counter := int32(1)
	type frame struct{ span, next int }
	var stack []frame
	for _, r := range roots {
		if visited[r] {
			continue
		}
		visited[r] = true
		spans[r].ParentID = -1
		spans[r].NestedSetLeft = counter
		counter++
		stack = append(stack[:0], frame{span: r})
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			cs := children[top.span]
			if top.next < len(cs) {
				c := cs[top.next]
				top.next++
				if visited[c] {
					continue
				}
				visited[c] = true
				spans[c].ParentID = spans[top.span].NestedSetLeft
				spans[c].NestedSetLeft = counter
				counter++
				stack = append(stack, frame{span: c})
				continue
			}
			spans[top.span].NestedSetRight = counter
			counter++
			stack = stack[:len(stack)-1]
		}
	}
}

// parentOf picks the parent among the spans carrying the parent ID: with a
// shared Zipkin ID, a server span's parent is the client half, anything
// else's the server half.
func parentOf(spans []*Span, cands []int, child *Span, self int) int {
	switch len(cands) {
	case 0:
		return -1
	case 1:
		if cands[0] == self {
			return -1
		}
		return cands[0]
	}
	want := int64(ptrace.SpanKindServer)
	if child.Kind == int64(ptrace.SpanKindServer) {
		want = int64(ptrace.SpanKindClient)
	}
	for _, c := range cands {
		if c != self && spans[c].Kind == want {
			return c
		}
	}
	return -1
}
