package querier

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/storage/backend"
)

// fixtureDir is ../shared/fixtures/tempo-blocks beside the repository.
func fixtureDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "fixtures", "tempo-blocks"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("fixtures: %v", err)
	}
	return dir
}

// fixtureBucket copies the tenants' fixture blocks into a fresh local
// bucket, so tests may damage them.
func fixtureBucket(t testing.TB, tenants ...string) (*backend.Backend, string) {
	t.Helper()
	dir := t.TempDir()
	for _, tn := range tenants {
		if err := os.CopyFS(filepath.Join(dir, tn), os.DirFS(filepath.Join(fixtureDir(t), tn))); err != nil {
			t.Fatal(err)
		}
	}
	be, err := backend.Open(context.Background(), backend.Config{Backend: "local", Local: backend.LocalConfig{Path: dir}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	return be, dir
}

var (
	expectedMu    sync.Mutex
	expectedCache = map[string][]ptrace.Traces{}
)

// expectedTraces reads expected/<tenant>.json: one whole trace per line.
func expectedTraces(t testing.TB, tenant string) []ptrace.Traces {
	t.Helper()
	expectedMu.Lock()
	defer expectedMu.Unlock()
	if tr, ok := expectedCache[tenant]; ok {
		return tr
	}
	raw, err := os.ReadFile(filepath.Join(fixtureDir(t), "expected", tenant+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []ptrace.Traces
	bad, err := model.ReadOTLPJSONLines(bytes.NewReader(raw), func(_ int, td ptrace.Traces) error {
		out = append(out, td)
		return nil
	})
	if err != nil || len(bad) > 0 {
		t.Fatalf("read expected %s: %v %v", tenant, err, bad)
	}
	expectedCache[tenant] = out
	return out
}

func idOf(t testing.TB, td ptrace.Traces) model.TraceID {
	t.Helper()
	id, ok := traceIDOf(td)
	if !ok {
		t.Fatal("trace without spans")
	}
	return model.TraceID(id)
}

// fakeLive is a LiveSource holding traces per tenant.
type fakeLive struct {
	mu     sync.Mutex
	traces map[string][]ptrace.Traces
	// parts are the traces encoded, kept until the next add (as an
	// ingester's requests stay the same bytes while live).
	parts map[string][]otlpwire.TraceParts
}

func newFakeLive() *fakeLive {
	return &fakeLive{traces: map[string][]ptrace.Traces{}, parts: map[string][]otlpwire.TraceParts{}}
}

func (f *fakeLive) add(tenant string, td ptrace.Traces) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.traces[tenant] = append(f.traces[tenant], td)
	delete(f.parts, tenant)
}

// flush drops the tenant's live traces, as an ingester's flush does.
func (f *fakeLive) flush(tenant string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.traces, tenant)
	delete(f.parts, tenant)
}

func (f *fakeLive) FindTraceByID(tenant string, id model.TraceID) (ptrace.Traces, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var parts []ptrace.Traces
	for _, td := range f.traces[tenant] {
		if tid, ok := traceIDOf(td); ok && model.TraceID(tid) == id {
			parts = append(parts, td)
		}
	}
	if len(parts) == 0 {
		return ptrace.Traces{}, false
	}
	return model.Combine(parts...), true
}

func (f *fakeLive) Traces(tenant string) []otlpwire.TraceParts {
	f.mu.Lock()
	defer f.mu.Unlock()
	if out, ok := f.parts[tenant]; ok {
		return out
	}
	out, err := otlpwire.PartsOf(f.traces[tenant]...)
	if err != nil {
		panic(err)
	}
	f.parts[tenant] = out
	return out
}

// liveTrace builds a small trace: a root span of service svc and children.
func liveTrace(id model.TraceID, svc string, start time.Time, names ...string) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", svc)
	rs.Resource().Attributes().PutStr("k8s.pod.name", svc+"-pod")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("live-lib")
	var root pcommon.SpanID
	for i, n := range names {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(pcommon.TraceID(id))
		sid := pcommon.SpanID{0xaa, byte(i + 1), id[0], id[1], id[2], id[3], id[4], id[5]}
		sp.SetSpanID(sid)
		if i == 0 {
			root = sid
			sp.SetKind(ptrace.SpanKindServer)
		} else {
			sp.SetParentSpanID(root)
			sp.SetKind(ptrace.SpanKindClient)
		}
		sp.SetName(n)
		s := start.Add(time.Duration(i) * time.Millisecond)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(s))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(s.Add(50 * time.Millisecond)))
		sp.Attributes().PutStr("http.method", "PATCH")
		sp.Attributes().PutInt("live.seq", int64(i))
	}
	return td
}

// spanCount counts spans.
func spanCount(td ptrace.Traces) int { return td.SpanCount() }

// spanIDs lists a trace's span IDs (with kind, the dedup key).
func spanIDs(td ptrace.Traces) map[pcommon.SpanID]int {
	out := map[pcommon.SpanID]int{}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				out[spans.At(k).SpanID()]++
			}
		}
	}
	return out
}

// fixtureRange is a window covering every fixture block.
var (
	fixtureStart = time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
	fixtureEnd   = time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)
)
