package jaeger

import (
	"context"
	"math/rand/v2"

	"github.com/tempoctl/tempoctl/internal/tracecmp"
	"github.com/tempoctl/tempoctl/model"
)

// reservoir keeps a uniform sample of n traces out of a stream (Vitter's
// algorithm R), so --verify picks from everything migrated without keeping
// it all.
type reservoir struct {
	n     int
	seen  int
	items []Trace
	rnd   *rand.Rand
}

func newReservoir(n int, rnd *rand.Rand) *reservoir { return &reservoir{n: n, rnd: rnd} }

func (r *reservoir) offer(tr Trace) {
	if r.n <= 0 {
		return
	}
	r.seen++
	if len(r.items) < r.n {
		r.items = append(r.items, tr)
		return
	}
	if j := r.rnd.IntN(r.seen); j < r.n {
		r.items[j] = tr
	}
}

// verify fetches the sampled traces again from the source (the API; for
// files, what was read) and from the destination, and compares them span
// by span. Traces migrated by an earlier run of a resumed migration are
// sampled too when the source can be asked again.
func (m *migration) verify(ctx context.Context) *VerifyResult {
	if m.cfg.API != nil {
		for id := range m.before {
			m.sample.offer(Trace{ID: id})
		}
	}
	res := &VerifyResult{Differences: []TraceDiff{}}
	reader := m.cfg.Sink.(TraceReader)
	for _, s := range m.sample.items {
		res.Checked++
		diff := func(d ...string) {
			res.Differences = append(res.Differences, TraceDiff{TraceID: s.ID.String(), Diffs: d})
		}
		src := s
		if m.cfg.API != nil {
			fr, err := m.cfg.API.Fetch(ctx, []model.TraceID{s.ID})
			switch {
			case err != nil:
				diff("source: " + err.Error())
				continue
			case len(fr.Traces) == 0:
				diff("source: trace no longer found")
				continue
			}
			src = fr.Traces[0]
		}
		dst, ok, err := reader.ReadTrace(ctx, s.ID)
		switch {
		case err != nil:
			diff("destination: " + err.Error())
			continue
		case !ok:
			diff("destination: trace not found")
			continue
		}
		if d := tracecmp.Diff(src.Data, dst, tracecmp.Options{}, 20); len(d) > 0 {
			diff(d...)
		}
	}
	return res
}
