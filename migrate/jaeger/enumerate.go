package jaeger

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/tempoctl/tempoctl/model"
)

// maxStrikes aborts a run when searches keep failing: halving a window
// around one bad trace leaves one half working, while a Jaeger that is down
// fails both halves again and again.
const maxStrikes = 3

// Skip is something left out of a migration, and why.
type Skip struct {
	What   string `json:"what"`
	Reason string `json:"reason"`
}

// enumerator lists the trace IDs of a window. Jaeger's searches have no
// pagination and return at most limit traces, newest first, so a search
// that comes back full is repeated on both halves of its window until every
// piece returns fewer than the limit; a single microsecond that is still
// full is searched operation by operation.
type enumerator struct {
	api      API
	limit    int
	services []string
	ops      map[string][]string

	searches, splits int
	strikes          int // consecutive splits whose halves both failed
}

// found is one search hit. Data is the trace as the search returned it.
type found struct {
	ID      model.TraceID
	Service string
	Trace   *Trace
}

func newEnumerator(api API, limit int, services []string) *enumerator {
	return &enumerator{api: api, limit: limit, services: services, ops: map[string][]string{}}
}

// window calls emit for every trace with a span of one of the services
// starting in w (a trace found by several services is emitted for each).
func (e *enumerator) window(ctx context.Context, w Window, emit func(found), skip func(Skip)) error {
	for _, svc := range e.services {
		if err := e.service(ctx, svc, w, emit, skip); err != nil {
			return err
		}
	}
	return nil
}

func (e *enumerator) service(ctx context.Context, svc string, w Window, emit func(found), skip func(Skip)) error {
	stack := []Window{w}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		res, err := e.search(ctx, Query{Service: svc, Window: cur, Limit: e.limit})
		if err != nil {
			if err := e.isolate(ctx, svc, cur, err, &stack, emit, skip); err != nil {
				return err
			}
			continue
		}
		if err := e.handle(ctx, svc, cur, res, &stack, emit, skip); err != nil {
			return err
		}
	}
	return nil
}

// handle takes a successful search: complete below the limit, else split.
func (e *enumerator) handle(ctx context.Context, svc string, w Window, res SearchResult, stack *[]Window, emit func(found), skip func(Skip)) error {
	if res.Count < e.limit {
		e.emitAll(svc, res, emit, skip)
		return nil
	}
	if a, b, ok := w.Split(); ok {
		e.splits++
		*stack = append(*stack, b, a) // older half first
		return nil
	}
	return e.byOperation(ctx, svc, w, emit, skip)
}

// isolate narrows a failed search down. Big windows can time out or make
// bodies Jaeger cannot send, and one bad trace spoils a whole api/v3 body,
// so the window is halved and both halves searched: the working half is
// kept, the failing one halved again, down to one microsecond, which is
// skipped and reported. When both halves fail maxStrikes times in a row
// the failure is not local (Jaeger is down or refuses the query) and the
// run stops; the checkpoint lets it resume.
func (e *enumerator) isolate(ctx context.Context, svc string, w Window, werr error, stack *[]Window, emit func(found), skip func(Skip)) error {
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if isConnRefused(werr) {
			return fmt.Errorf("search %s %v: %w", svc, w, werr)
		}
		a, b, ok := w.Split()
		if !ok {
			skip(Skip{What: fmt.Sprintf("service %s window %v", svc, w), Reason: werr.Error()})
			return nil
		}
		e.splits++
		ra, ea := e.search(ctx, Query{Service: svc, Window: a, Limit: e.limit})
		rb, eb := e.search(ctx, Query{Service: svc, Window: b, Limit: e.limit})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		for _, h := range []struct {
			w   Window
			res SearchResult
			err error
		}{{a, ra, ea}, {b, rb, eb}} {
			if h.err == nil {
				if err := e.handle(ctx, svc, h.w, h.res, stack, emit, skip); err != nil {
					return err
				}
			}
		}
		switch {
		case ea != nil && eb != nil:
			e.strikes++
			if e.strikes >= maxStrikes {
				return fmt.Errorf("search %s %v: %w", svc, w, eb)
			}
			if err := e.isolate(ctx, svc, a, ea, stack, emit, skip); err != nil {
				return err
			}
			w, werr = b, eb
		case ea != nil:
			w, werr = a, ea
		case eb != nil:
			w, werr = b, eb
		default:
			return nil
		}
	}
}

// byOperation covers one microsecond that holds limit or more traces.
func (e *enumerator) byOperation(ctx context.Context, svc string, w Window, emit func(found), skip func(Skip)) error {
	ops, ok := e.ops[svc]
	if !ok {
		var err error
		if ops, err = e.api.Operations(ctx, svc); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			skip(Skip{What: fmt.Sprintf("service %s window %v", svc, w), Reason: fmt.Sprintf("%d or more traces in one microsecond and the operations could not be listed: %v", e.limit, err)})
			return nil
		}
		e.ops[svc] = ops
	}
	for _, op := range ops {
		res, err := e.search(ctx, Query{Service: svc, Operation: op, Window: w, Limit: e.limit})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			skip(Skip{What: fmt.Sprintf("service %s operation %q window %v", svc, op, w), Reason: err.Error()})
			continue
		}
		if res.Count >= e.limit {
			skip(Skip{What: fmt.Sprintf("service %s operation %q window %v", svc, op, w), Reason: fmt.Sprintf("%d or more traces in one microsecond: raise --search-limit", e.limit)})
		}
		e.emitAll(svc, res, emit, skip)
	}
	return nil
}

func (e *enumerator) search(ctx context.Context, q Query) (SearchResult, error) {
	e.searches++
	res, err := e.api.Search(ctx, q)
	if err == nil {
		e.strikes = 0
	}
	return res, err
}

func (e *enumerator) emitAll(svc string, res SearchResult, emit func(found), skip func(Skip)) {
	for i := range res.Traces {
		emit(found{ID: res.Traces[i].ID, Service: svc, Trace: &res.Traces[i]})
	}
	// A trace the search could not decode may still come whole by ID.
	for _, b := range res.Bad {
		jid, err := parseJaegerTraceID(b.ID)
		if err != nil {
			skip(Skip{What: "trace " + b.ID, Reason: "undecodable in a search result and no usable ID: " + b.Err.Error()})
			continue
		}
		emit(found{ID: widenTraceID(jid), Service: svc})
	}
}

func isConnRefused(err error) bool {
	var oe *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &oe) && oe.Op == "dial"
}
