package jaegertest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"

	jmodel "github.com/jaegertracing/jaeger-idl/model/v1"
	jaegertranslator "github.com/open-telemetry/opentelemetry-collector-contrib/pkg/translator/jaeger"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
)

// storedTrace is one trace as Jaeger's span store holds it: domain spans,
// each with its process.
type storedTrace struct {
	id    model.TraceID
	jid   jmodel.TraceID
	spans []*jmodel.Span
}

// store is the data a fake Jaeger serves.
type store struct {
	traces   []*storedTrace
	byID     map[model.TraceID]*storedTrace
	services []string
	ops      map[string][]string // service → operation names, sorted
}

// loadStore reads OTLP JSON lines (expected.jsonl) and converts them the
// way Jaeger's OTLP receiver → span store path does (collector-contrib
// translator, OTLP → Jaeger domain model).
func loadStore(path string) (*store, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	st := &store{byID: map[model.TraceID]*storedTrace{}, ops: map[string][]string{}}
	_, err = model.ReadOTLPJSONLines(bytes.NewReader(b), func(line int, td ptrace.Traces) error {
		return st.add(td)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	st.index()
	return st, nil
}

func (st *store) add(td ptrace.Traces) error {
	for _, b := range jaegertranslator.ProtoFromTraces(td) {
		for _, s := range b.Spans {
			if s.Process == nil {
				s.Process = b.Process
			}
			id := widen(s.TraceID)
			t := st.byID[id]
			if t == nil {
				t = &storedTrace{id: id, jid: s.TraceID}
				st.byID[id] = t
				st.traces = append(st.traces, t)
			}
			t.spans = append(t.spans, s)
		}
	}
	return nil
}

func (st *store) index() {
	opsets := map[string]map[string]bool{}
	for _, t := range st.traces {
		for _, s := range t.spans {
			svc := s.Process.ServiceName
			if opsets[svc] == nil {
				opsets[svc] = map[string]bool{}
			}
			opsets[svc][s.OperationName] = true
		}
	}
	for svc, ops := range opsets {
		st.services = append(st.services, svc)
		for op := range ops {
			st.ops[svc] = append(st.ops[svc], op)
		}
		slices.Sort(st.ops[svc])
	}
	slices.Sort(st.services)
}

func widen(id jmodel.TraceID) model.TraceID {
	var out model.TraceID
	for i := 0; i < 8; i++ {
		out[i] = byte(id.High >> (56 - 8*i))
		out[8+i] = byte(id.Low >> (56 - 8*i))
	}
	return out
}

// searchQuery is a search in either API, bounds in µs (inclusive).
type searchQuery struct {
	service, operation string
	start, end         int64
	limit              int
}

// search finds traces with a span of the service (any service when empty)
// starting in [start, end] µs, newest first, at most limit: Badger's
// observed behaviour. With a service the order is by the latest matching
// span start; without one (a scan of span keys) by the earliest, as the
// recorded no-service search shows.
func (st *store) search(q searchQuery) []*storedTrace {
	type hit struct {
		t      *storedTrace
		latest int64
	}
	var hits []hit
	for _, t := range st.traces {
		latest, earliest, ok := int64(-1), int64(1<<62), false
		for _, s := range t.spans {
			if q.service != "" && s.Process.ServiceName != q.service {
				continue
			}
			if q.operation != "" && s.OperationName != q.operation {
				continue
			}
			us := s.StartTime.UnixMicro()
			if us < q.start || us > q.end {
				continue
			}
			ok = true
			latest, earliest = max(latest, us), min(earliest, us)
		}
		if ok && q.service == "" {
			hits = append(hits, hit{t, earliest})
		} else if ok {
			hits = append(hits, hit{t, latest})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].latest != hits[j].latest {
			return hits[i].latest > hits[j].latest
		}
		return hits[i].t.id.Compare(hits[j].t.id) < 0
	})
	if q.limit > 0 && len(hits) > q.limit {
		hits = hits[:q.limit]
	}
	out := make([]*storedTrace, len(hits))
	for i, h := range hits {
		out[i] = h.t
	}
	return out
}

// otlp maps a stored trace back to OTLP as Jaeger's api/v3 does. The
// translator consumes tags (otel.scope.*, span.kind, ...) out of the spans it
// is given, so it gets copies.
func (t *storedTrace) otlp() (ptrace.Traces, error) {
	batches := make([]*jmodel.Batch, 0, len(t.spans))
	for _, s := range t.spans {
		c := *s
		c.Tags = append([]jmodel.KeyValue(nil), s.Tags...)
		batches = append(batches, &jmodel.Batch{Process: s.Process, Spans: []*jmodel.Span{&c}})
	}
	return jaegertranslator.ProtoToTraces(batches)
}
