package tui

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
)

// fixtures is ../shared/fixtures/tempo-blocks beside the repository.
func fixtures(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "shared", "fixtures"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("fixtures (../shared beside the repo): %v", err)
	}
	return dir
}

func blockFixtures(t testing.TB) string { return filepath.Join(fixtures(t), "tempo-blocks") }

var (
	expectedMu    sync.Mutex
	expectedCache = map[string][]ptrace.Traces{}
)

// expectedTraces reads expected/<tenant>.json: one trace per line.
func expectedTraces(t testing.TB, tenant string) []ptrace.Traces {
	t.Helper()
	expectedMu.Lock()
	defer expectedMu.Unlock()
	if tr, ok := expectedCache[tenant]; ok {
		return tr
	}
	raw, err := os.ReadFile(filepath.Join(blockFixtures(t), "expected", tenant+".json"))
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

// traceByID finds one expected trace.
func traceByID(t testing.TB, tenant, id string) ptrace.Traces {
	t.Helper()
	want, err := model.ParseTraceID(id)
	if err != nil {
		t.Fatal(err)
	}
	for _, td := range expectedTraces(t, tenant) {
		ids, _ := model.SplitByTraceID(td)
		if len(ids) == 1 && ids[0] == want {
			return td
		}
	}
	t.Fatalf("trace %s not in expected/%s.json", id, tenant)
	return ptrace.Traces{}
}

// zeroTime leaves a search window open on that side.
var zeroTime time.Time
