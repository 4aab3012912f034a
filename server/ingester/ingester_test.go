package ingester

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/internal/slab"
	"github.com/tempoctl/tempoctl/internal/tracecmp"
	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/server/pusher"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/wal"
)

func newIngester(t testing.TB, walDir string, be *backend.Backend, cfg Config) *Ingester {
	t.Helper()
	w, err := wal.Open(wal.Config{Path: walDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	in, err := New(cfg, block.Config{}, be, w, slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics(prometheus.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestPushFlushAndReplay(t *testing.T) {
	ctx := context.Background()
	be, _ := backend.Open(ctx, backend.Config{Backend: "memory"})
	walDir := t.TempDir()
	g := tracegen.New(3, tracegen.Config{Exotic: true})
	in := newIngester(t, walDir, be, DefaultConfig())
	var first model.TraceID
	for i := 0; i < 40; i++ {
		id, td := g.Trace()
		if i == 0 {
			first = id
		}
		if err := in.Push(ctx, "acme", batch(t, td)); err != nil {
			t.Fatal(err)
		}
	}
	// Live data answers before any flush.
	if _, ok := in.FindTraceByID("acme", first); !ok {
		t.Fatal("live trace not found")
	}
	if _, ok := in.FindTraceByID("globex", first); ok {
		t.Fatal("tenant isolation: found another tenant's trace")
	}

	// "Crash": a second ingester on the same WAL replays everything.
	in.wal.Close()
	in2 := newIngester(t, walDir, be, DefaultConfig())
	if got := len(in2.Traces("acme")); got != 40 {
		t.Fatalf("replayed %d traces, want 40", got)
	}
	if err := in2.CutAndFlush(ctx); err != nil {
		t.Fatal(err)
	}
	metas, _, err := be.BlockMetas(ctx, "acme")
	if err != nil || len(metas) != 1 || metas[0].TotalObjects != 40 {
		t.Fatalf("blocks after flush: %v %v", metas, err)
	}
	r, err := block.Open(ctx, be, metas[0])
	if err != nil {
		t.Fatal(err)
	}
	g2 := tracegen.New(3, tracegen.Config{Exotic: true})
	for i := 0; i < 40; i++ {
		id, td := g2.Trace()
		got, ok, err := r.FindTraceByID(ctx, id)
		if err != nil || !ok {
			t.Fatalf("%s: %v %v", id, ok, err)
		}
		if d := tracecmp.Diff(td, got, tracecmp.Options{}, 3); len(d) > 0 {
			t.Fatalf("%s: %v", id, d)
		}
	}
	// The flushed WAL segments are gone: a third start replays nothing.
	in2.wal.Close()
	in3 := newIngester(t, walDir, be, DefaultConfig())
	if n := len(in3.Traces("acme")); n != 0 {
		t.Fatalf("%d traces replayed after flush, want 0", n)
	}
}

func TestMaxTracesPerUserRefuses(t *testing.T) {
	ctx := context.Background()
	be, _ := backend.Open(ctx, backend.Config{Backend: "memory"})
	cfg := DefaultConfig()
	cfg.MaxTracesPerUser = func(string) int { return 5 }
	in := newIngester(t, t.TempDir(), be, cfg)
	g := tracegen.New(1, tracegen.Config{})
	var last error
	accepted := 0
	for i := 0; i < 8; i++ {
		_, td := g.Trace()
		if last = in.Push(ctx, "t", batch(t, td)); last == nil {
			accepted++
		}
	}
	var le *pusher.LimitError
	if accepted != 5 || !errors.As(last, &le) || le.Limit != "max_traces_per_user" {
		t.Fatalf("accepted %d, last error %v", accepted, last)
	}
	// Refused data is not held anywhere.
	if n := len(in.Traces("t")); n != 5 {
		t.Fatalf("%d traces held, want 5", n)
	}
}

func batch(t testing.TB, td ptrace.Traces) *otlpwire.Batch {
	t.Helper()
	b, err := otlpwire.FromTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFlushReleasesMemory: once a generation is in the backend its request
// bytes are collected right away, not when the heap next doubles, and the
// slabs they were received into go back to the pool for the next requests.
func TestFlushReleasesMemory(t *testing.T) {
	ctx := context.Background()
	be, _ := backend.Open(ctx, backend.Config{Backend: "memory"})
	in := newIngester(t, t.TempDir(), be, DefaultConfig())
	g := tracegen.New(5, tracegen.Config{})
	slab.Requests.Trim(0)
	made0, _ := slab.Requests.Stats()
	held := 0
	for held < 3*slab.DefaultSize {
		td := ptrace.NewTraces()
		for td.SpanCount() < 500 {
			_, tr := g.Trace()
			tr.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
		}
		// As a receiver does: the bytes in a slab, the batch holding them.
		wire := batch(t, td).Raw
		raw, ref := slab.Requests.Alloc(len(wire))
		copy(raw, wire)
		b, err := otlpwire.ParseSlab(raw, ref)
		if err != nil {
			t.Fatal(err)
		}
		held += len(b.Raw)
		if err := in.Push(ctx, "t", b); err != nil {
			t.Fatal(err)
		}
	}
	made, pooled := slab.Requests.Stats()
	if made-made0 < 3 || pooled != 0 {
		t.Fatalf("%d slabs made, %d pooled for %d bytes held: want 3 or more made, none pooled", made-made0, pooled, held)
	}
	if err := in.CutAndFlush(ctx); err != nil {
		t.Fatal(err)
	}
	// The flush collects the batches (nothing here allocates enough to
	// start a collection); their cleanups then run on their own goroutine.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, pooled = slab.Requests.Stats(); pooled >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d slabs pooled after the flush, want the 2 or more whole ones", pooled)
		}
	}
}

// The slab pool's series read the process-wide pool.
func TestSlabPoolMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	NewMetrics(reg)
	_, ref := slab.Requests.Alloc(1) // at least one slab made
	defer ref.Release()
	made, pooled := slab.Requests.Stats()
	got := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			got[mf.GetName()] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	if v := got["tempoctl_request_slab_pool_bytes"]; v != float64(pooled*slab.DefaultSize) {
		t.Errorf("pool bytes %v, want %d", v, pooled*slab.DefaultSize)
	}
	if v := got["tempoctl_request_slabs_allocated_total"]; v != float64(made) || made < 1 {
		t.Errorf("slabs allocated %v, want %d (>= 1)", v, made)
	}
}

// TestMaxBytesPerTraceCountsEveryPush: max_bytes_per_trace bounds a live
// trace over all its pushes, not each push's part alone; the push that
// would pass it is refused whole and nothing of it is held.
func TestMaxBytesPerTraceCountsEveryPush(t *testing.T) {
	ctx := context.Background()
	g := tracegen.New(7, tracegen.Config{MinSpans: 4, MaxSpans: 4})
	id, td := g.Trace()
	part := batch(t, td).Traces[0].Bytes // one push of the trace
	_, other := g.Trace()

	tests := []struct {
		name     string
		limit    int
		pushes   int // pushes of the same trace, each with new spans of the same size
		accepted int
	}{
		{"no limit", 0, 5, 5},
		{"room for three parts", 3*part + part/2, 5, 3},
		{"exactly two parts", 2 * part, 3, 2},
		{"one part too large", part - 1, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be, _ := backend.Open(ctx, backend.Config{Backend: "memory"})
			cfg := DefaultConfig()
			cfg.MaxBytesPerTrace = func(string) int { return tt.limit }
			in := newIngester(t, t.TempDir(), be, cfg)
			accepted := 0
			var last error
			for k := range tt.pushes {
				if last = in.Push(ctx, "t", batch(t, newSpanIDs(td, k))); last == nil {
					accepted++
				}
			}
			if accepted != tt.accepted {
				t.Fatalf("accepted %d pushes, want %d (last error %v)", accepted, tt.accepted, last)
			}
			if accepted < tt.pushes {
				var le *pusher.LimitError
				if !errors.As(last, &le) || le.Limit != "max_bytes_per_trace" || le.Tenant != "t" {
					t.Fatalf("error %v, want a max_bytes_per_trace LimitError for tenant t", last)
				}
			}
			// Refused pushes left nothing behind.
			got := 0
			if tr, ok := in.FindTraceByID("t", id); ok {
				got = tr.SpanCount()
			}
			if want := accepted * td.SpanCount(); got != want {
				t.Fatalf("%d spans held, want %d", got, want)
			}
			// Other traces are not affected.
			if tt.limit == 0 || tt.limit >= batch(t, other).Traces[0].Bytes {
				if err := in.Push(ctx, "t", batch(t, other)); err != nil {
					t.Fatalf("another trace refused: %v", err)
				}
			}
		})
	}
}

// TestLiveTracesGauge: tempo_ingester_live_traces counts the traces that
// received spans within trace_idle_period, and drops to 0 once they go idle
// or a cut takes them out of the head (it used to keep the value from
// before the cut until the tenant pushed again).
func TestLiveTracesGauge(t *testing.T) {
	ctx := context.Background()
	cfg := DefaultConfig()
	cfg.TraceIdlePeriod = 10 * time.Second
	for _, tc := range []struct {
		name  string
		after func(in *Ingester) time.Time // what happens after the push; when to read the gauge
		want  float64
	}{
		{"just pushed", func(*Ingester) time.Time { return time.Now() }, 4},
		{"idle", func(*Ingester) time.Time { return time.Now().Add(11 * time.Second) }, 0},
		{"cut and flushed", func(in *Ingester) time.Time {
			if err := in.CutAndFlush(ctx); err != nil {
				t.Fatal(err)
			}
			return time.Now()
		}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be, _ := backend.Open(ctx, backend.Config{Backend: "memory"})
			in := newIngester(t, t.TempDir(), be, cfg)
			g := tracegen.New(2, tracegen.Config{})
			for range 4 {
				_, td := g.Trace()
				if err := in.Push(ctx, "acme", batch(t, td)); err != nil {
					t.Fatal(err)
				}
			}
			in.updateGauges(time.Now())
			if v := testutil.ToFloat64(in.m.liveTraces.WithLabelValues("acme")); v != 4 {
				t.Fatalf("live traces after the pushes: %v, want 4", v)
			}
			in.updateGauges(tc.after(in))
			if v := testutil.ToFloat64(in.m.liveTraces.WithLabelValues("acme")); v != tc.want {
				t.Fatalf("live traces: %v, want %v", v, tc.want)
			}
		})
	}
}

// newSpanIDs is a copy of td whose spans have new IDs (k tells the copies
// apart) and so are new spans of the same traces, of the same size.
func newSpanIDs(td ptrace.Traces, k int) ptrace.Traces {
	out := ptrace.NewTraces()
	td.CopyTo(out)
	rss := out.ResourceSpans()
	for i := range rss.Len() {
		sss := rss.At(i).ScopeSpans()
		for j := range sss.Len() {
			spans := sss.At(j).Spans()
			for n := range spans.Len() {
				id := spans.At(n).SpanID()
				id[0] ^= byte(k + 1)
				spans.At(n).SetSpanID(id)
			}
		}
	}
	return out
}

// TestMaxTracesPerUserUnderConcurrency: pushes racing for the last room
// under max_traces_per_user cannot all pass the check before any of them
// is inserted (they wait on the WAL in between): exactly the limit's
// worth of new traces is accepted.
func TestMaxTracesPerUserUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name            string
		limit, pushes   int
		tracesPerPush   int
		wantAcceptedMax int
	}{
		{"one trace a push", 5, 24, 1, 5},
		{"three traces a push", 7, 16, 3, 6}, // 2 pushes fit, a 3rd would be 9
	} {
		t.Run(tt.name, func(t *testing.T) {
			be, _ := backend.Open(ctx, backend.Config{Backend: "memory"})
			cfg := DefaultConfig()
			cfg.MaxTracesPerUser = func(string) int { return tt.limit }
			in := newIngester(t, t.TempDir(), be, cfg)
			g := tracegen.New(21, tracegen.Config{MinSpans: 2, MaxSpans: 2})
			batches := make([]*otlpwire.Batch, tt.pushes)
			for i := range batches {
				td := ptrace.NewTraces()
				for range tt.tracesPerPush {
					_, tr := g.Trace()
					tr.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
				}
				batches[i] = batch(t, td)
			}
			var wg sync.WaitGroup
			errs := make([]error, tt.pushes)
			for i := range batches {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = in.Push(ctx, "t", batches[i])
				}()
			}
			wg.Wait()
			held := len(in.Traces("t"))
			if held > tt.limit || held != tt.wantAcceptedMax {
				t.Fatalf("%d traces held, limit %d, want %d", held, tt.limit, tt.wantAcceptedMax)
			}
			accepted := 0
			for _, err := range errs {
				if err == nil {
					accepted++
				}
			}
			if accepted*tt.tracesPerPush != held {
				t.Fatalf("%d pushes accepted (%d traces each) but %d traces held", accepted, tt.tracesPerPush, held)
			}
		})
	}
}
