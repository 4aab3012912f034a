package tui

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/traceql"
)

// MemorySource serves traces held in memory (a file, tests) with the same
// TraceQL engine the server uses.
type MemorySource struct {
	name    string
	fetcher *traceql.MemoryFetcher
	byID    map[model.TraceID]ptrace.Traces
	order   []model.TraceID
	bytes   uint64

	once sync.Once
	tags *tagIndex
}

// NewMemorySource indexes traces (parts of one trace are combined).
func NewMemorySource(name string, traces ...ptrace.Traces) *MemorySource {
	s := &MemorySource{name: name, byID: map[model.TraceID]ptrace.Traces{}}
	for _, td := range splitTraces(traces) {
		ids, _ := model.SplitByTraceID(td)
		if len(ids) == 0 {
			continue
		}
		s.byID[ids[0]] = td
		s.order = append(s.order, ids[0])
	}
	all := make([]ptrace.Traces, 0, len(s.order))
	for _, id := range s.order {
		all = append(all, s.byID[id])
	}
	s.fetcher = traceql.NewMemoryFetcher(all...)
	return s
}

// Name implements Source.
func (s *MemorySource) Name() string { return s.name }

// TraceIDs lists the traces in input order.
func (s *MemorySource) TraceIDs() []model.TraceID { return s.order }

// Search implements Source.
func (s *MemorySource) Search(ctx context.Context, query string, start, end time.Time, limit int) (*traceql.SearchResponse, error) {
	resp, err := traceql.NewEngine().ExecuteSearch(ctx, query, s.fetcher, traceql.SearchOptions{
		Limit: limit, SpansPerSpanSet: defaultSpss, Start: start, End: end,
	})
	if err != nil {
		return nil, err
	}
	resp.Metrics.InspectedBytes = s.bytes
	return resp, nil
}

// Trace implements Source.
func (s *MemorySource) Trace(_ context.Context, id model.TraceID) (ptrace.Traces, error) {
	td, ok := s.byID[id]
	if !ok {
		return ptrace.Traces{}, ErrTraceNotFound
	}
	return td, nil
}

func (s *MemorySource) index() *tagIndex {
	s.once.Do(func() {
		s.tags = newTagIndex()
		for _, id := range s.order {
			s.tags.addTrace(s.byID[id])
		}
	})
	return s.tags
}

// Tags implements Source; the time range is ignored (the file is small).
func (s *MemorySource) Tags(context.Context, time.Time, time.Time) ([]string, error) {
	return s.index().names(), nil
}

// TagValues implements Source.
func (s *MemorySource) TagValues(_ context.Context, tag string, _, _ time.Time) ([]string, error) {
	return s.index().valuesOf(tag), nil
}
