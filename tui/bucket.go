package tui

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/blocktools"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/traceql"
)

// BucketSource reads one tenant's blocks straight from object storage with
// blocktools' search, trace lookup and tag listing.
type BucketSource struct {
	be     *backend.Backend
	tenant string
	name   string
}

// NewBucketSource browses tenant in be; name describes the bucket.
func NewBucketSource(be *backend.Backend, tenant, name string) *BucketSource {
	return &BucketSource{be: be, tenant: tenant, name: name}
}

// Name implements Source.
func (s *BucketSource) Name() string { return s.name }

// Search implements Source.
func (s *BucketSource) Search(ctx context.Context, query string, start, end time.Time, limit int) (*traceql.SearchResponse, error) {
	var mu sync.Mutex
	var bad []error
	resp, err := blocktools.Search(ctx, s.be, s.tenant, query, blocktools.SearchOptions{
		Start: start, End: end, Limit: limit, SpansPerSpanSet: defaultSpss,
		OnBlockError: func(m *backend.BlockMeta, err error) {
			mu.Lock()
			bad = append(bad, fmt.Errorf("block %s: %w", m.BlockID, err))
			mu.Unlock()
		},
	})
	if err != nil {
		if errors.Is(err, blocktools.ErrAllBlocksFailed) && len(bad) > 0 {
			return nil, fmt.Errorf("%w: %v", err, bad[0])
		}
		return nil, err
	}
	if len(bad) > 0 {
		// Results from the readable blocks are still worth showing.
		return resp, &PartialError{Skipped: len(bad), First: bad[0]}
	}
	return resp, nil
}

// PartialError is returned with results when some blocks were skipped.
type PartialError struct {
	Skipped int
	First   error
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("%d unreadable blocks skipped (first: %v)", e.Skipped, e.First)
}

// Trace implements Source.
func (s *BucketSource) Trace(ctx context.Context, id model.TraceID) (ptrace.Traces, error) {
	res, err := blocktools.FindTrace(ctx, s.be, s.tenant, id)
	if err != nil {
		return ptrace.Traces{}, err
	}
	if !res.Found {
		if len(res.Errors) > 0 {
			return ptrace.Traces{}, fmt.Errorf("%w (%d unreadable blocks: %v)", ErrTraceNotFound, len(res.Errors), res.Errors[0])
		}
		return ptrace.Traces{}, ErrTraceNotFound
	}
	return res.Trace, nil
}

// Tags implements Source: the attribute names of the window's blocks
// (dedicated columns included) and the intrinsics.
func (s *BucketSource) Tags(ctx context.Context, start, end time.Time) ([]string, error) {
	resp, err := blocktools.Tags(ctx, s.be, s.tenant, blocktools.TagsOptions{Start: start, End: end})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, sc := range resp.Scopes {
		out = append(out, scopedNames(sc.Name, sc.Tags)...)
	}
	sort.Strings(out)
	return out, nil
}

// TagValues implements Source.
func (s *BucketSource) TagValues(ctx context.Context, tag string, start, end time.Time) ([]string, error) {
	name, err := blocktools.ParseTagName(tag)
	if err != nil {
		return nil, err
	}
	resp, err := blocktools.TagValues(ctx, s.be, s.tenant, name, blocktools.TagValuesOptions{Start: start, End: end, Limit: maxValuesPerTag})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(resp.TagValues))
	for _, v := range resp.TagValues {
		out = append(out, literal(v.Type, v.Value))
	}
	sort.Strings(out)
	return out, nil
}
