// Package tracetree arranges a trace's spans as a tree (parents before
// children, siblings by start time) for terminal output and the TUI.
package tracetree

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Node is one span with its children.
type Node struct {
	Span     ptrace.Span
	Service  string
	Resource pcommon.Resource
	Scope    pcommon.InstrumentationScope
	Children []*Node
	Depth    int
}

// Start and End as times.
func (n *Node) Start() time.Time { return n.Span.StartTimestamp().AsTime() }

// Duration of the span.
func (n *Node) Duration() time.Duration {
	return time.Duration(int64(n.Span.EndTimestamp()) - int64(n.Span.StartTimestamp()))
}

// Build returns the root spans; spans whose parent is missing become roots
// too, so nothing is hidden.
func Build(td ptrace.Traces) []*Node {
	var all []*Node
	byID := map[pcommon.SpanID]*Node{}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		svc := ""
		if v, ok := rs.Resource().Attributes().Get("service.name"); ok {
			svc = v.AsString()
		}
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			ss := rs.ScopeSpans().At(j)
			for k := 0; k < ss.Spans().Len(); k++ {
				n := &Node{Span: ss.Spans().At(k), Service: svc, Resource: rs.Resource(), Scope: ss.Scope()}
				all = append(all, n)
				if _, dup := byID[n.Span.SpanID()]; !dup {
					byID[n.Span.SpanID()] = n
				}
			}
		}
	}
	var roots []*Node
	for _, n := range all {
		p, ok := byID[n.Span.ParentSpanID()]
		if n.Span.ParentSpanID().IsEmpty() || !ok || p == n {
			roots = append(roots, n)
			continue
		}
		p.Children = append(p.Children, n)
	}
	var sortRec func(ns []*Node, depth int)
	sortRec = func(ns []*Node, depth int) {
		slices.SortStableFunc(ns, func(a, b *Node) int { return cmp.Compare(a.Span.StartTimestamp(), b.Span.StartTimestamp()) })
		for _, n := range ns {
			n.Depth = depth
			sortRec(n.Children, depth+1)
		}
	}
	sortRec(roots, 0)
	return roots
}

// Walk visits nodes depth-first, parents first.
func Walk(roots []*Node, fn func(n *Node, last []bool)) {
	var rec func(ns []*Node, last []bool)
	rec = func(ns []*Node, last []bool) {
		for i, n := range ns {
			l := append(last[:len(last):len(last)], i == len(ns)-1)
			fn(n, l)
			rec(n.Children, l)
		}
	}
	rec(roots, nil)
}

// Prefix draws the tree guide for a node given which ancestors were last.
func Prefix(last []bool) string {
	if len(last) <= 1 {
		return ""
	}
	var b strings.Builder
	for _, l := range last[1 : len(last)-1] {
		if l {
			b.WriteString("   ")
		} else {
			b.WriteString("│  ")
		}
	}
	if last[len(last)-1] {
		b.WriteString("└─ ")
	} else {
		b.WriteString("├─ ")
	}
	return b.String()
}

// FormatDuration prints durations compactly with three significant digits.
func FormatDuration(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%.3gµs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.3gms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.3gs", d.Seconds())
	}
}

// Render writes the tree: one line per span with service, name, offset from
// the trace start, duration and error status.
func Render(w io.Writer, td ptrace.Traces) error {
	roots := Build(td)
	if len(roots) == 0 {
		return nil
	}
	var start pcommon.Timestamp
	Walk(roots, func(n *Node, _ []bool) {
		if s := n.Span.StartTimestamp(); start == 0 || s < start {
			start = s
		}
	})
	var err error
	Walk(roots, func(n *Node, last []bool) {
		if err != nil {
			return
		}
		status := ""
		if n.Span.Status().Code() == ptrace.StatusCodeError {
			status = "  ERROR"
			if m := n.Span.Status().Message(); m != "" {
				status += ": " + m
			}
		}
		offset := time.Duration(n.Span.StartTimestamp() - start)
		_, err = fmt.Fprintf(w, "%s%s: %s  %s  +%s  [%s]%s\n", Prefix(last), n.Service, n.Span.Name(),
			FormatDuration(n.Duration()), FormatDuration(offset), n.Span.SpanID(), status)
	})
	return err
}
