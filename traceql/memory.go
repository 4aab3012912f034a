package traceql

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"runtime"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
)

// MemoryFetcher serves in-memory traces (live data, WAL, tests). Parts of the
// same trace across the inputs are combined. It returns every span of every
// trace in the time range (a superset of what FetchRequest requires).
type MemoryFetcher struct {
	traces []*memTrace
	// n and load, when set, serve traces decoded one at a time as the
	// engine asks for them (NewLazyMemoryFetcher).
	n    int
	load func(i int, req FetchRequest) (model.TraceID, ptrace.Traces, bool)
}

// NewLazyMemoryFetcher serves n traces that load decodes on demand, so a
// search that stops at its limit decodes little more than it reads. load
// may return false to skip a trace it can tell does not match req. Each
// trace must be whole (its parts combined). load is called from several
// goroutines at once (traces are loaded ahead, one goroutine per core).
func NewLazyMemoryFetcher(n int, load func(i int, req FetchRequest) (model.TraceID, ptrace.Traces, bool)) *MemoryFetcher {
	return &MemoryFetcher{n: n, load: load}
}

type memTrace struct {
	id    model.TraceID
	spans []*memSpan
	ss    Spanset
	start uint64
	end   uint64
}

type memSpan struct {
	s        ptrace.Span
	res      pcommon.Resource
	scope    pcommon.InstrumentationScope
	tr       *memTrace
	left     int32
	right    int32
	parent   int32
	children int
}

// NewMemoryFetcher indexes the given traces.
func NewMemoryFetcher(traces ...ptrace.Traces) *MemoryFetcher {
	byID := map[model.TraceID][]ptrace.Traces{}
	var order []model.TraceID
	for _, td := range traces {
		ids, parts := model.SplitByTraceID(td)
		for _, id := range ids {
			if _, ok := byID[id]; !ok {
				order = append(order, id)
			}
			byID[id] = append(byID[id], parts[id])
		}
	}
	f := &MemoryFetcher{}
	for _, id := range order {
		parts := byID[id]
		td := parts[0]
		if len(parts) > 1 {
			td = model.Combine(parts...)
		}
		f.traces = append(f.traces, newMemTrace(id, td))
	}
	return f
}

func newMemTrace(id model.TraceID, td ptrace.Traces) *memTrace {
	t := &memTrace{id: id}
	t.ss.TraceID = append([]byte(nil), id[:]...)
	t.ss.ServiceStats = map[string]ServiceStats{}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		svc := ""
		if v, ok := rs.Resource().Attributes().Get("service.name"); ok {
			svc = v.AsString()
		}
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				ms := &memSpan{s: sp, res: rs.Resource(), scope: sss.At(j).Scope(), tr: t}
				t.spans = append(t.spans, ms)
				st := t.ss.ServiceStats[svc]
				st.SpanCount++
				if sp.Status().Code() == ptrace.StatusCodeError {
					st.ErrorCount++
				}
				t.ss.ServiceStats[svc] = st
				start, end := uint64(sp.StartTimestamp()), uint64(sp.EndTimestamp())
				if t.start == 0 || start < t.start {
					t.start = start
				}
				if end > t.end {
					t.end = end
				}
				if sp.ParentSpanID().IsEmpty() && !t.ss.HasRoot {
					t.ss.HasRoot = true
					t.ss.RootSpanName = sp.Name()
					t.ss.RootServiceName = svc
				}
			}
		}
	}
	t.ss.StartTimeUnixNanos = t.start
	if t.end > t.start {
		t.ss.DurationNanos = t.end - t.start
	}
	assignNestedSets(t.spans)
	return t
}

func spanKey(id pcommon.SpanID) uint64 { return binary.BigEndian.Uint64(id[:]) }

// assignNestedSets numbers spans as the block format's §9 describes.
func assignNestedSets(spans []*memSpan) {
	byID := map[uint64][]*memSpan{}
	hasRoot := false
	for _, s := range spans {
		k := spanKey(s.s.SpanID())
		byID[k] = append(byID[k], s)
		if s.s.ParentSpanID().IsEmpty() {
			hasRoot = true
		}
	}
	if !hasRoot {
		return
	}
	for _, v := range byID {
		if len(v) > 2 {
			return
		}
	}
	children := map[*memSpan][]*memSpan{}
	var roots []*memSpan
	for _, s := range spans {
		if s.s.ParentSpanID().IsEmpty() {
			roots = append(roots, s)
			continue
		}
		cands := byID[spanKey(s.s.ParentSpanID())]
		var parent *memSpan
		switch len(cands) {
		case 1:
			parent = cands[0]
		case 2:
			want := ptrace.SpanKindServer
			if s.s.Kind() == ptrace.SpanKindServer {
				want = ptrace.SpanKindClient
			}
			for _, c := range cands {
				if c.s.Kind() == want {
					parent = c
				}
			}
		}
		if parent != nil && parent != s {
			children[parent] = append(children[parent], s)
			parent.children++
		}
	}
	counter := int32(1)
	type frame struct {
		s    *memSpan
		next int
	}
	for _, r := range roots {
		r.parent = -1
		r.left = counter
		counter++
		stack := []frame{{s: r}}
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			kids := children[top.s]
			if top.next < len(kids) {
				c := kids[top.next]
				top.next++
				if c.left != 0 { // cycle guard
					continue
				}
				c.parent = top.s.left
				c.left = counter
				counter++
				stack = append(stack, frame{s: c})
				continue
			}
			top.s.right = counter
			counter++
			stack = stack[:len(stack)-1]
		}
	}
}

// Fetch implements Fetcher.
func (f *MemoryFetcher) Fetch(_ context.Context, req FetchRequest) (SpansetIterator, error) {
	return &memIter{f: f, req: req}, nil
}

type memIter struct {
	f   *MemoryFetcher
	req FetchRequest
	i   int

	// Lazy traces are loaded ahead in rounds, one goroutine per core:
	// ahead[k] is trace i+k (nil: skipped by the loader). Rounds start
	// small, so a search stopping at its limit loads little more than it
	// reads, and double up to maxRound.
	ahead []*memTrace
	round int
}

const maxRound = 256

// loadAhead loads the next round of lazy traces concurrently. The loader
// must be safe for concurrent use.
func (it *memIter) loadAhead() {
	it.round = min(max(2*it.round, 4), maxRound)
	n := min(it.round, it.f.n-it.i)
	it.ahead = it.ahead[:0]
	for range n {
		it.ahead = append(it.ahead, nil)
	}
	from := it.i
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < n; k += workers {
				if id, td, ok := it.f.load(from+k, it.req); ok {
					it.ahead[k] = newMemTrace(id, td)
				}
			}
		}()
	}
	wg.Wait()
}

func (it *memIter) Next(ctx context.Context) (*Spanset, error) {
	n := len(it.f.traces)
	if it.f.load != nil {
		n = it.f.n
	}
	for it.i < n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var t *memTrace
		if it.f.load != nil {
			if len(it.ahead) == 0 {
				it.loadAhead()
			}
			t, it.ahead = it.ahead[0], it.ahead[1:]
			it.i++
			if t == nil {
				continue
			}
		} else {
			t = it.f.traces[it.i]
			it.i++
		}
		if it.req.EndTimeUnixNanos != 0 && t.start > it.req.EndTimeUnixNanos {
			continue
		}
		if it.req.StartTimeUnixNanos != 0 && t.end < it.req.StartTimeUnixNanos {
			continue
		}
		ss := t.ss
		ss.Spans = make([]Span, 0, len(t.spans))
		for _, s := range t.spans {
			if it.keep(s) {
				ss.Spans = append(ss.Spans, s)
			}
		}
		if len(ss.Spans) == 0 {
			continue
		}
		return &ss, nil
	}
	return nil, nil
}

func (it *memIter) Close() {}

// keep applies the pushed-down conditions as the FetchRequest contract allows,
// so the engine's tests also check that what it pushes down is safe.
func (it *memIter) keep(s *memSpan) bool {
	conds := it.req.Conditions
	if len(conds) == 0 {
		return true
	}
	if it.req.AllConditions {
		for i := range conds {
			if !conds[i].MatchValue(s.AttributeFor(conds[i].Attribute)) {
				return false
			}
		}
		return true
	}
	for i := range conds {
		if conds[i].Op == OpNone || conds[i].MatchValue(s.AttributeFor(conds[i].Attribute)) {
			return true
		}
	}
	return false
}

// ---- Span implementation ----

func (s *memSpan) ID() []byte {
	id := s.s.SpanID()
	return id[:]
}
func (s *memSpan) StartTimeUnixNanos() uint64 { return uint64(s.s.StartTimestamp()) }
func (s *memSpan) DurationNanos() uint64 {
	st, en := uint64(s.s.StartTimestamp()), uint64(s.s.EndTimestamp())
	if en < st {
		return 0
	}
	return en - st
}
func (s *memSpan) NestedSet() (int32, int32, int32) { return s.left, s.right, s.parent }

func (s *memSpan) AttributeFor(a Attribute) Static {
	if a.Intrinsic != IntrinsicNone {
		return s.intrinsic(a.Intrinsic)
	}
	switch a.Scope {
	case ScopeSpan:
		return mapValue(s.s.Attributes(), a.Name)
	case ScopeResource:
		return mapValue(s.res.Attributes(), a.Name)
	case ScopeInstrumentation:
		return mapValue(s.scope.Attributes(), a.Name)
	case ScopeNone:
		if v := mapValue(s.s.Attributes(), a.Name); !v.IsNil() {
			return v
		}
		return mapValue(s.res.Attributes(), a.Name)
	case ScopeEvent:
		evs := s.s.Events()
		var vals []Static
		for i := 0; i < evs.Len(); i++ {
			if v := mapValue(evs.At(i).Attributes(), a.Name); !v.IsNil() {
				vals = append(vals, v)
			}
		}
		return NewMulti(vals)
	case ScopeLink:
		ls := s.s.Links()
		var vals []Static
		for i := 0; i < ls.Len(); i++ {
			if v := mapValue(ls.At(i).Attributes(), a.Name); !v.IsNil() {
				vals = append(vals, v)
			}
		}
		return NewMulti(vals)
	}
	return Nil
}

func (s *memSpan) intrinsic(in Intrinsic) Static {
	sp := s.s
	switch in {
	case IntrinsicName:
		return NewString(sp.Name())
	case IntrinsicStatus:
		return NewStatus(int64(sp.Status().Code()))
	case IntrinsicStatusMessage:
		return NewString(sp.Status().Message())
	case IntrinsicKind:
		return NewKind(int64(sp.Kind()))
	case IntrinsicDuration:
		return Static{Type: TypeDuration, N: int64(s.DurationNanos())}
	case IntrinsicSpanID:
		id := sp.SpanID()
		return NewString(hex.EncodeToString(id[:]))
	case IntrinsicParentID:
		if sp.ParentSpanID().IsEmpty() {
			return Nil
		}
		id := sp.ParentSpanID()
		return NewString(hex.EncodeToString(id[:]))
	case IntrinsicChildCount:
		return NewInt(int64(s.children))
	case IntrinsicTraceDuration:
		return Static{Type: TypeDuration, N: int64(s.tr.ss.DurationNanos)}
	case IntrinsicTraceRootSpan:
		if !s.tr.ss.HasRoot {
			return Nil
		}
		return NewString(s.tr.ss.RootSpanName)
	case IntrinsicTraceRootService:
		if !s.tr.ss.HasRoot {
			return Nil
		}
		return NewString(s.tr.ss.RootServiceName)
	case IntrinsicTraceID:
		return NewString(s.tr.id.String())
	case IntrinsicEventName, IntrinsicEventTimeSinceStart:
		evs := sp.Events()
		vals := make([]Static, 0, evs.Len())
		for i := 0; i < evs.Len(); i++ {
			if in == IntrinsicEventName {
				vals = append(vals, NewString(evs.At(i).Name()))
			} else {
				vals = append(vals, Static{Type: TypeDuration, N: int64(uint64(evs.At(i).Timestamp()) - uint64(sp.StartTimestamp()))})
			}
		}
		return NewMulti(vals)
	case IntrinsicLinkTraceID, IntrinsicLinkSpanID:
		ls := sp.Links()
		vals := make([]Static, 0, ls.Len())
		for i := 0; i < ls.Len(); i++ {
			if in == IntrinsicLinkTraceID {
				id := ls.At(i).TraceID()
				vals = append(vals, NewString(hex.EncodeToString(id[:])))
			} else {
				id := ls.At(i).SpanID()
				vals = append(vals, NewString(hex.EncodeToString(id[:])))
			}
		}
		return NewMulti(vals)
	case IntrinsicInstrumentationName:
		return NewString(s.scope.Name())
	case IntrinsicInstrumentationVersion:
		return NewString(s.scope.Version())
	case IntrinsicNestedSetLeft:
		return NewInt(int64(s.left))
	case IntrinsicNestedSetRight:
		return NewInt(int64(s.right))
	case IntrinsicNestedSetParent:
		return NewInt(int64(s.parent))
	}
	return Nil
}

func mapValue(m pcommon.Map, key string) Static {
	v, ok := m.Get(key)
	if !ok {
		return Nil
	}
	return fromValue(v)
}

func fromValue(v pcommon.Value) Static {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return NewString(v.Str())
	case pcommon.ValueTypeInt:
		return NewInt(v.Int())
	case pcommon.ValueTypeDouble:
		return NewFloat(v.Double())
	case pcommon.ValueTypeBool:
		return NewBool(v.Bool())
	case pcommon.ValueTypeSlice:
		sl := v.Slice()
		out := make([]Static, 0, sl.Len())
		for i := 0; i < sl.Len(); i++ {
			if e := fromValue(sl.At(i)); !e.IsNil() && e.Type != TypeArray {
				out = append(out, e)
			}
		}
		return NewArray(out)
	}
	return Nil
}
