package tui

import (
	"slices"

	"github.com/tempoctl/tempoctl/tracetree"
)

// segment is a stretch of time during which span node was on the critical
// path: the work the trace's end was waiting for.
type segment struct {
	node       *tracetree.Node
	start, end uint64
}

// criticalPath walks back from the end of each root: a span is critical
// until the last of its children to finish (before the current point)
// takes over; that child is followed recursively, then the point moves to
// the child's start and the search continues among children that finished
// before it. Children are clamped to their parent's time, so async work
// that outlives its parent never extends the path. Segments come back in
// time order and never overlap within one root.
func criticalPath(roots []*tracetree.Node) []segment {
	var out []segment
	for _, r := range roots {
		s, e := spanTimes(r)
		out = append(out, criticalOf(r, s, e)...)
	}
	slices.SortStableFunc(out, func(a, b segment) int {
		switch {
		case a.start < b.start:
			return -1
		case a.start > b.start:
			return 1
		}
		return 0
	})
	return out
}

func spanTimes(n *tracetree.Node) (uint64, uint64) {
	s, e := uint64(n.Span.StartTimestamp()), uint64(n.Span.EndTimestamp())
	return s, max(e, s)
}

// criticalOf returns the segments of n's window [lo, hi] (n's times, clamped
// by its ancestors).
func criticalOf(n *tracetree.Node, lo, hi uint64) []segment {
	type kid struct {
		n      *tracetree.Node
		lo, hi uint64
	}
	var kids []kid
	for _, c := range n.Children {
		s, e := spanTimes(c)
		s, e = max(s, lo), min(e, hi)
		if e > s {
			kids = append(kids, kid{c, s, e})
		}
	}
	// Latest finisher first; ties go to the earlier starter, the longer wait.
	slices.SortStableFunc(kids, func(a, b kid) int {
		switch {
		case a.hi != b.hi:
			if a.hi > b.hi {
				return -1
			}
			return 1
		case a.lo < b.lo:
			return -1
		case a.lo > b.lo:
			return 1
		}
		return 0
	})
	var out []segment
	cursor := hi
	for _, k := range kids {
		if cursor <= lo {
			break
		}
		if k.hi > cursor {
			continue // ran alongside the child already on the path
		}
		if k.hi < cursor {
			out = append(out, segment{n, k.hi, cursor})
		}
		out = append(out, criticalOf(k.n, k.lo, k.hi)...)
		cursor = k.lo
	}
	if cursor > lo {
		out = append(out, segment{n, lo, cursor})
	}
	return out
}

// criticalBySpan groups segments per span for drawing.
func criticalBySpan(segs []segment) map[*tracetree.Node][]segment {
	m := map[*tracetree.Node][]segment{}
	for _, s := range segs {
		m[s.node] = append(m[s.node], s)
	}
	return m
}
