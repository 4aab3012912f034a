package jaeger

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tempoctl/tempoctl/migrate/jaeger/jaegertest"
	"github.com/tempoctl/tempoctl/model"
)

// Against the fake with a small limit the window is split until every piece
// is below it, and every trace of the fixtures is found exactly as often as
// services have spans in it.
func TestEnumerateSplitsToTheLimit(t *testing.T) {
	fake := startFake(t, jaegertest.Options{})
	c := newTestClient(t, fake.URL)
	for _, api := range []API{&v3API{c: c}, &v1API{c: c}} {
		for _, limit := range []int{20, 1000} {
			t.Run(fmt.Sprintf("%s/limit%d", api.Version(), limit), func(t *testing.T) {
				svcs, _ := api.Services(context.Background())
				e := newEnumerator(api, limit, svcs)
				ids := map[model.TraceID]int{}
				pairs := map[string]bool{}
				var skips []Skip
				err := e.window(context.Background(), fixtureWindow, func(f found) {
					ids[f.ID]++
					pairs[f.ID.String()+f.Service] = true
				}, func(s Skip) { skips = append(skips, s) })
				if err != nil {
					t.Fatal(err)
				}
				if len(skips) > 0 {
					t.Fatalf("skipped: %v", skips)
				}
				exp := expected(t)
				if len(ids) != len(exp.ids) {
					t.Fatalf("found %d traces, want %d", len(ids), len(exp.ids))
				}
				// 300 frontend + 201 checkout + 234 cart + 67 payment + 147 db
				// (a trace whose spans of one service fall in two pieces is
				// found twice; the migration dedupes).
				if len(pairs) != 949 {
					t.Errorf("%d (trace, service) pairs, want 949", len(pairs))
				}
				if limit == 1000 && (e.searches != 5 || e.splits != 0) {
					t.Errorf("%d searches, %d splits for a limit above the data", e.searches, e.splits)
				}
				if limit < 300 && e.splits == 0 {
					t.Error("no splits below the cap")
				}
			})
		}
	}
}

// stubAPI serves traces at given µs for tests of the corner cases.
type stubAPI struct {
	traces map[model.TraceID]stubTrace
	fail   func(q Query) error
	calls  int
}

type stubTrace struct {
	at int64
	op string
}

func (s *stubAPI) Version() string                            { return "stub" }
func (s *stubAPI) FetchBatch() int                            { return 1 }
func (s *stubAPI) Services(context.Context) ([]string, error) { return []string{"svc"}, nil }
func (s *stubAPI) Operations(context.Context, string) ([]string, error) {
	return []string{"a", "b"}, nil
}
func (s *stubAPI) Fetch(context.Context, []model.TraceID) (FetchResult, error) {
	return FetchResult{}, errors.New("not used")
}
func (s *stubAPI) Search(_ context.Context, q Query) (SearchResult, error) {
	s.calls++
	if s.fail != nil {
		if err := s.fail(q); err != nil {
			return SearchResult{}, err
		}
	}
	var res SearchResult
	for id, tr := range s.traces {
		if tr.at >= q.Window.Start && tr.at <= q.Window.End && (q.Operation == "" || q.Operation == tr.op) {
			res.Count++
			if res.Count <= q.Limit {
				res.Traces = append(res.Traces, Trace{ID: id})
			}
		}
	}
	res.Count = min(res.Count, q.Limit)
	return res, nil
}

func stubTraces(n int, at func(i int) (int64, string)) map[model.TraceID]stubTrace {
	out := map[model.TraceID]stubTrace{}
	for i := 0; i < n; i++ {
		var id model.TraceID
		id[15], id[14] = byte(i), byte(i>>8)
		id[0] = 1
		ts, op := at(i)
		out[id] = stubTrace{ts, op}
	}
	return out
}

func TestEnumerateCornerCases(t *testing.T) {
	w := Window{0, 1 << 20}
	tests := []struct {
		name     string
		api      *stubAPI
		limit    int
		found    int
		skips    []string
		err      string
		maxCalls int
	}{
		{
			name:  "one microsecond over the limit, split by operation",
			api:   &stubAPI{traces: stubTraces(6, func(i int) (int64, string) { return 500, []string{"a", "b"}[i%2] })},
			limit: 4, found: 6,
		},
		{
			name:  "one operation still over the limit is reported",
			api:   &stubAPI{traces: stubTraces(6, func(i int) (int64, string) { return 500, "a" })},
			limit: 4, found: 4, skips: []string{`operation "a"`},
		},
		{
			name: "a bad trace is isolated by halving, the rest is found",
			api: &stubAPI{
				traces: stubTraces(50, func(i int) (int64, string) { return int64(i * 1000), "a" }),
				fail: func(q Query) error {
					if q.Window.Start <= 7000 && q.Window.End >= 7000 {
						return errors.New("api/v3 JSON: broken")
					}
					return nil
				},
			},
			limit: 100, found: 49, skips: []string{"broken"}, maxCalls: 100,
		},
		{
			name:  "a Jaeger that fails everything stops the run",
			api:   &stubAPI{fail: func(Query) error { return errors.New("HTTP 500") }},
			limit: 100, err: "HTTP 500", maxCalls: 1 + 2*maxStrikes,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnumerator(tc.api, tc.limit, []string{"svc"})
			ids := map[model.TraceID]bool{}
			var skips []Skip
			err := e.window(context.Background(), w, func(f found) { ids[f.ID] = true }, func(s Skip) { skips = append(skips, s) })
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if len(ids) != tc.found {
				t.Errorf("found %d, want %d", len(ids), tc.found)
			}
			if len(skips) != len(tc.skips) {
				t.Fatalf("skips %v, want %v", skips, tc.skips)
			}
			for i, s := range skips {
				if !strings.Contains(s.What+" "+s.Reason, tc.skips[i]) {
					t.Errorf("skip %v, want %q", s, tc.skips[i])
				}
			}
			if tc.maxCalls > 0 && tc.api.calls > tc.maxCalls {
				t.Errorf("%d searches, want at most %d", tc.api.calls, tc.maxCalls)
			}
		})
	}
}
