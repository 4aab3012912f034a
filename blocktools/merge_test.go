package blocktools

import (
	"context"
	"errors"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
)

// sliceSource serves traces (already sorted) from memory: the merge logic is
// what is under test here; real blocks are merged in compact_test.go.
func sliceSource(items ...ptrace.Traces) TraceSource {
	return func(ctx context.Context, fn func(model.TraceID, ptrace.Traces) error) error {
		for _, tr := range items {
			id := model.TraceID(tr.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).TraceID())
			if err := fn(id, tr); err != nil {
				return err
			}
		}
		return nil
	}
}

func tr(traceID byte, spanIDs ...byte) ptrace.Traces {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	for _, s := range spanIDs {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(pcommon.TraceID{15: traceID})
		sp.SetSpanID(pcommon.SpanID{7: s})
	}
	return td
}

func TestMerge(t *testing.T) {
	tests := []struct {
		name      string
		sources   []TraceSource
		wantIDs   []byte
		wantSpans []int
	}{
		{"disjoint", []TraceSource{sliceSource(tr(1, 1), tr(3, 1)), sliceSource(tr(2, 1), tr(4, 1))}, []byte{1, 2, 3, 4}, []int{1, 1, 1, 1}},
		{"split trace combined", []TraceSource{sliceSource(tr(1, 1, 2), tr(5, 1)), sliceSource(tr(1, 3), tr(6, 1))}, []byte{1, 5, 6}, []int{3, 1, 1}},
		{"duplicate spans dropped", []TraceSource{sliceSource(tr(1, 1, 2)), sliceSource(tr(1, 1, 2)), sliceSource(tr(1, 2, 3))}, []byte{1}, []int{3}},
		{"empty inputs", []TraceSource{sliceSource(), sliceSource(tr(9, 1))}, []byte{9}, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotIDs []byte
			var gotSpans []int
			_, err := Merge(context.Background(), tt.sources, func(id model.TraceID, tr ptrace.Traces) error {
				gotIDs = append(gotIDs, id[15])
				gotSpans = append(gotSpans, tr.SpanCount())
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if string(gotIDs) != string(tt.wantIDs) {
				t.Errorf("ids = %v, want %v", gotIDs, tt.wantIDs)
			}
			for i := range tt.wantSpans {
				if i >= len(gotSpans) || gotSpans[i] != tt.wantSpans[i] {
					t.Errorf("spans = %v, want %v", gotSpans, tt.wantSpans)
					break
				}
			}
		})
	}
}

func TestMergeUnsortedInputFails(t *testing.T) {
	_, err := Merge(context.Background(), []TraceSource{sliceSource(tr(2, 1), tr(1, 1))}, func(model.TraceID, ptrace.Traces) error { return nil })
	if err == nil {
		t.Fatal("unsorted input accepted")
	}
}

func TestMergeInputErrorSurfaces(t *testing.T) {
	boom := errors.New("corrupt page")
	bad := func(ctx context.Context, fn func(model.TraceID, ptrace.Traces) error) error {
		if err := fn(model.TraceID{15: 1}, tr(1, 1)); err != nil {
			return err
		}
		return boom
	}
	_, err := Merge(context.Background(), []TraceSource{bad, sliceSource(tr(5, 1))}, func(model.TraceID, ptrace.Traces) error { return nil })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
}

func TestMergeStopsOnEmitError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	_, err := Merge(context.Background(), []TraceSource{sliceSource(tr(1, 1), tr(2, 1), tr(3, 1))}, func(model.TraceID, ptrace.Traces) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err=%v n=%d", err, n)
	}
}

func TestMergeMaxBytesPerTrace(t *testing.T) {
	srcs := func() []TraceSource {
		return []TraceSource{sliceSource(tr(1, 1, 2, 3), tr(2, 1)), sliceSource(tr(1, 4, 5), tr(2, 2))}
	}
	var sizer ptrace.ProtoMarshaler
	oneSpan := sizer.TracesSize(tr(2, 1))
	got := map[byte]int{}
	st, err := MergeWith(context.Background(), srcs(), MergeOptions{MaxBytesPerTrace: 3 * oneSpan}, func(id model.TraceID, td ptrace.Traces) error {
		got[id[15]] = td.SpanCount()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Trace 1 (5 spans) is over the limit: its first part only; trace 2 (2 spans) is combined.
	if got[1] != 3 || got[2] != 2 || st.DiscardedSpans != 2 {
		t.Errorf("spans %v, discarded %d", got, st.DiscardedSpans)
	}
}
