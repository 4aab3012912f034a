package vparquet

import (
	"fmt"
	"reflect"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/storage/backend"
)

func wireBatch(t testing.TB, td ptrace.Traces) *otlpwire.Batch {
	t.Helper()
	b, err := otlpwire.FromTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWireBuilderMatchesFromOTLP: rows built from the wire equal the rows
// FromOTLP builds from pdata, for every attribute kind, dedicated slots of
// both versions' rules, and traces arriving in several requests with
// repeated spans.
func TestWireBuilderMatchesFromOTLP(t *testing.T) {
	v5 := Limits{Strings: StringSlots, Ints: IntSlots, Scopes: []string{ScopeResource, ScopeSpan, ScopeEvent}, AllowOptions: true}
	v4 := Limits{Strings: 10, Scopes: []string{ScopeResource, ScopeSpan}}
	withArrays := append(DefaultDedicatedColumns(), backend.DedicatedColumn{Scope: ScopeEvent, Name: "exception.message"},
		backend.DedicatedColumn{Name: "tags", Options: []string{OptionArray}}, backend.DedicatedColumn{Name: "ints", Type: TypeInt, Options: []string{OptionArray}},
		backend.DedicatedColumn{Name: "empty", Options: []string{OptionArray}}, backend.DedicatedColumn{Name: "mixed", Options: []string{OptionArray}})
	assignments := map[string]*Assignment{
		"none":            Assign(nil, v5),
		"v5 default":      Assign(DefaultDedicatedColumns(), v5),
		"v5 arrays":       Assign(withArrays, v5),
		"v4 scalars only": Assign(withArrays, v4),
	}
	for name, a := range assignments {
		for seed := uint64(1); seed <= 4; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", name, seed), func(t *testing.T) {
				g := tracegen.New(seed, tracegen.Config{Exotic: true})
				// Three requests: traces 0-9 whole in the first; then each
				// trace again, half its resources, in the second and third
				// (the second repeats spans already sent).
				var reqs [3]ptrace.Traces
				for i := range reqs {
					reqs[i] = ptrace.NewTraces()
				}
				var ids []model.TraceID
				for range 10 {
					id, td := g.Trace()
					ids = append(ids, id)
					td.ResourceSpans().CopyTo(reqs[0].ResourceSpans())
					cp := ptrace.NewTraces()
					td.CopyTo(cp)
					cp.ResourceSpans().MoveAndAppendTo(reqs[0].ResourceSpans())
					rss := td.ResourceSpans()
					for i := 0; i < rss.Len(); i++ {
						rss.At(i).CopyTo(reqs[1+i%2].ResourceSpans().AppendEmpty())
					}
				}
				var batches []*otlpwire.Batch
				for _, r := range reqs {
					batches = append(batches, wireBatch(t, r))
				}
				wb := NewWireBuilder(a)
				for _, id := range ids {
					var parts []otlpwire.Part
					for _, b := range batches {
						for _, tr := range b.Traces {
							if tr.ID == id {
								parts = append(parts, otlpwire.Part{B: b, Spans: tr.Spans})
							}
						}
					}
					td, err := otlpwire.Traces(parts...)
					if err != nil {
						t.Fatal(err)
					}
					var want, got Trace
					FromOTLP(id, model.Dedupe(td), a, &want)
					if n := wb.Build(id, parts, &got); n <= 0 {
						t.Fatalf("size %d", n)
					}
					if !reflect.DeepEqual(want, got) {
						t.Fatalf("trace %s: rows differ\n%s", id, rowDiff(want, got))
					}
				}
				wb.Reset()
			})
		}
	}
}

// rowDiff names the first differing span or field group, for a readable
// failure.
func rowDiff(a, b Trace) string {
	if len(a.ResourceSpans) != len(b.ResourceSpans) {
		return fmt.Sprintf("resource spans %d vs %d", len(a.ResourceSpans), len(b.ResourceSpans))
	}
	for i := range a.ResourceSpans {
		ra, rb := a.ResourceSpans[i], b.ResourceSpans[i]
		if !reflect.DeepEqual(ra.Resource, rb.Resource) {
			return fmt.Sprintf("resource %d:\n%+v\n%+v", i, ra.Resource, rb.Resource)
		}
		for j := range ra.ScopeSpans {
			if j >= len(rb.ScopeSpans) {
				return "scope count"
			}
			sa, sb := ra.ScopeSpans[j], rb.ScopeSpans[j]
			if !reflect.DeepEqual(sa.Scope, sb.Scope) {
				return fmt.Sprintf("scope %d/%d:\n%+v\n%+v", i, j, sa.Scope, sb.Scope)
			}
			for k := range sa.Spans {
				if k >= len(sb.Spans) {
					return "span count"
				}
				if !reflect.DeepEqual(sa.Spans[k], sb.Spans[k]) {
					return fmt.Sprintf("span %d/%d/%d:\n%+v\n%+v", i, j, k, sa.Spans[k], sb.Spans[k])
				}
			}
		}
	}
	a.ResourceSpans, b.ResourceSpans = nil, nil
	return fmt.Sprintf("trace level:\n%+v\n%+v", a, b)
}

// repeated finds a repeat whether the row's spans are still a short list or
// already a map, and across rows forgets the previous row's spans.
func TestWireBuilderRepeated(t *testing.T) {
	b := NewWireBuilder(Assign(nil, Limits{}))
	for _, n := range []int{1, smallSeen - 1, smallSeen, smallSeen + 1, 3 * smallSeen} {
		for row := range 2 {
			b.Build(model.TraceID{1}, nil, &Trace{}) // starts a row: clears what was seen
			for i := range n {
				k := dedupKey{id: uint64(i), kind: int64(row)}
				if b.repeated(k) {
					t.Fatalf("n=%d row %d: span %d reported as a repeat on first sight", n, row, i)
				}
				if !b.repeated(k) {
					t.Fatalf("n=%d row %d: span %d not reported as a repeat", n, row, i)
				}
			}
			for i := range n {
				if !b.repeated(dedupKey{id: uint64(i), kind: int64(row)}) {
					t.Fatalf("n=%d row %d: span %d forgotten", n, row, i)
				}
				if b.repeated(dedupKey{id: uint64(i), kind: int64(row) + 10}) {
					t.Fatalf("n=%d: another kind of span %d taken for a repeat", n, i)
				}
			}
		}
	}
}
