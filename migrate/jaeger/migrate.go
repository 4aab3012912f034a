package jaeger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
)

// Config is one migration: a source (API with Window, or Files), a sink
// (or DryRun), and how to run it.
type Config struct {
	// API is a probed Jaeger query API; SourceName names it (its URL).
	API         API
	SourceName  string
	Window      Window
	Services    []string      // empty: every service Jaeger lists
	Chunk       time.Duration // checkpoint unit (default 1h)
	SearchLimit int           // traces per search (default 1000)

	// Files are Jaeger JSON files ("-" reads Stdin).
	Files []string
	Stdin io.Reader

	Sink   Sink
	DryRun bool

	Checkpoint string // journal path ("" for none)
	Resume     bool

	Verify      int // traces to compare afterwards
	Concurrency int // fetches in flight (default 4)
	Progress    func(Progress)
	Rand        *rand.Rand // verify sampling (default: random)

	// Test hooks: afterFlush runs after a recorded flush; crashAfterWrite
	// runs after the sink wrote a flush and before the journal says so.
	afterFlush      func(flushes int) error
	crashAfterWrite func() error
}

// DefaultChunk is the unit of checkpointing for API sources.
const DefaultChunk = time.Hour

// DefaultSearchLimit is the traces asked per search; a search returning
// this many is split.
const DefaultSearchLimit = 1000

// unit is a checkpointed piece of work.
type unit struct {
	key, label string
	window     Window // API
	file       string // Files
}

type migration struct {
	cfg   Config
	sum   *Summary
	cp    *Checkpoint
	enum  *enumerator
	start time.Time

	migrated map[model.TraceID]bool // flushed, this run or before
	before   map[model.TraceID]bool // flushed before this run
	buffered map[model.TraceID]bool
	bufIDs   []model.TraceID
	units    []string // finished, waiting for their traces' flush
	flushes  int
	// writeFailed stops further flushes: a failed write may have stored
	// part of the buffer, and writing it again would store that part twice.
	// The journal's pending flush settles it on resume.
	writeFailed bool

	progress Progress
	dry      *dryCounter
	sample   *reservoir
}

// Run migrates. The summary is returned even with an error (what was done
// so far); a cancelled run flushes what it holds, so --resume loses
// nothing.
func Run(ctx context.Context, cfg Config) (*Summary, error) {
	if cfg.Chunk <= 0 {
		cfg.Chunk = DefaultChunk
	}
	if cfg.SearchLimit <= 0 {
		cfg.SearchLimit = DefaultSearchLimit
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	m := &migration{
		cfg: cfg, start: time.Now(),
		sum:      &Summary{Source: cfg.SourceName, Blocks: []BlockInfo{}, Skipped: []Skip{}},
		migrated: map[model.TraceID]bool{}, before: map[model.TraceID]bool{}, buffered: map[model.TraceID]bool{},
		sample: newReservoir(cfg.Verify, cfg.Rand),
	}
	if err := m.validate(); err != nil {
		return m.sum, err
	}
	err := m.run(ctx)
	m.sum.Seconds = time.Since(m.start).Seconds()
	if m.cp != nil {
		if cerr := m.cp.Close(); err == nil {
			err = cerr
		}
	}
	return m.sum, err
}

func (m *migration) validate() error {
	c := m.cfg
	switch {
	case c.API == nil && len(c.Files) == 0:
		return errors.New("nothing to migrate: give a Jaeger URL or files")
	case c.API != nil && len(c.Files) > 0:
		return errors.New("a Jaeger URL and files cannot be migrated in one run")
	case c.API != nil && !c.Window.Valid():
		return fmt.Errorf("empty time window %v", c.Window)
	case c.API != nil && c.Window == (Window{}) && (!c.Resume || !hasData(c.Checkpoint)):
		return errors.New("no time range: give --since or --start")
	case !c.DryRun && c.Sink == nil:
		return errors.New("no destination")
	case c.DryRun && c.Verify > 0:
		return errors.New("--verify needs a migration, not a dry run")
	}
	if c.Verify > 0 {
		if _, ok := c.Sink.(TraceReader); !ok {
			return fmt.Errorf("--verify reads traces back from a bucket; %s cannot be read", c.Sink.Describe())
		}
	}
	return nil
}

func (m *migration) run(ctx context.Context) error {
	if m.cfg.DryRun {
		m.dry = newDryCounter()
	} else if m.cfg.Sink != nil {
		m.sum.Sink = m.cfg.Sink.Describe()
	}
	if err := m.openCheckpoint(); err != nil {
		return err
	}
	if m.cfg.API != nil {
		m.sum.API = m.cfg.API.Version()
		st, en := m.cfg.Window.StartTime(), m.cfg.Window.EndTime()
		m.sum.Start, m.sum.End = &st, &en
	}
	if err := m.recover(ctx); err != nil {
		return err
	}
	units, err := m.plan(ctx)
	if err != nil {
		return err
	}
	m.sum.Units = len(units)
	m.progress.UnitsTotal = len(units)
	runErr := m.runUnits(ctx, units)
	// Whatever is buffered is flushed even when the run was cancelled: a
	// started flush completes, and the checkpoint records it.
	if m.cfg.Sink != nil {
		var flushErr error
		if !m.writeFailed {
			flushErr = m.flush(context.WithoutCancel(ctx))
		}
		closeErr := m.cfg.Sink.Close(context.WithoutCancel(ctx))
		runErr = errors.Join(runErr, flushErr, closeErr)
	}
	if m.dry != nil {
		m.sum.DryRun = m.dry.result()
	}
	if m.enum != nil {
		m.sum.Searches, m.sum.WindowSplits = m.enum.searches, m.enum.splits
	}
	if c, ok := m.cfg.API.(interface{ client() *Client }); ok {
		m.sum.Requests, m.sum.Retries = c.client().Requests(), c.client().Retries()
	}
	if ctx.Err() != nil {
		m.sum.Interrupted = true
		return runErr
	}
	if runErr != nil {
		return runErr
	}
	if m.cfg.Verify > 0 {
		m.sum.Verify = m.verify(ctx)
	}
	return nil
}

func hasData(path string) bool {
	st, err := os.Stat(path)
	return path != "" && err == nil && st.Size() > 0
}

func (m *migration) openCheckpoint() error {
	if m.cfg.Checkpoint == "" || m.cfg.DryRun {
		return nil
	}
	h := CheckpointHeader{Source: m.cfg.SourceName, Sink: m.cfg.Sink.Describe()}
	if m.cfg.API != nil {
		h.API, h.Services, h.Chunk = m.cfg.API.Version(), m.cfg.Services, Duration(m.cfg.Chunk)
		if w := m.cfg.Window; w != (Window{}) {
			h.Window = &w
		}
	}
	for _, f := range m.cfg.Files {
		if abs, err := filepath.Abs(f); err == nil && f != "-" {
			f = abs
		}
		h.Files = append(h.Files, f)
	}
	cp, err := OpenCheckpoint(m.cfg.Checkpoint, h, m.cfg.Resume)
	if err != nil {
		return err
	}
	m.cp = cp
	if m.cfg.API != nil {
		if cp.Header.API != "" && cp.Header.API != m.cfg.API.Version() {
			return fmt.Errorf("checkpoint %s was made through api %s; resume with --api %s", m.cfg.Checkpoint, cp.Header.API, cp.Header.API)
		}
		if cp.Header.Window == nil {
			return fmt.Errorf("checkpoint %s records no time range: give --since or --start", m.cfg.Checkpoint)
		}
		m.cfg.Window = *cp.Header.Window
		m.cfg.Services = cp.Header.Services
		if cp.Header.Chunk > 0 {
			// The units must be cut as they were to be recognised.
			m.cfg.Chunk = time.Duration(cp.Header.Chunk)
		}
	}
	for id := range cp.Migrated {
		m.migrated[id] = true
		m.before[id] = true
	}
	return nil
}

// recover settles a flush a crash interrupted: traces the destination holds
// count as migrated, the rest are migrated again with their units.
func (m *migration) recover(ctx context.Context) error {
	if m.cp == nil || m.cp.Pending == nil {
		return nil
	}
	var found []model.TraceID
	for _, id := range m.cp.Pending {
		has, known, err := m.cfg.Sink.Has(ctx, id)
		if err != nil {
			return fmt.Errorf("settle the interrupted flush: %w", err)
		}
		if known && has {
			found = append(found, id)
			m.migrated[id] = true
			m.before[id] = true
		}
	}
	m.sum.Recovered = len(found)
	return m.cp.Recovered(found)
}

func (m *migration) plan(ctx context.Context) ([]unit, error) {
	var units []unit
	if m.cfg.API != nil {
		services := m.cfg.Services
		if len(services) == 0 {
			var err error
			if services, err = m.cfg.API.Services(ctx); err != nil {
				return nil, fmt.Errorf("list services: %w", err)
			}
		}
		m.sum.Services = services
		m.enum = newEnumerator(m.cfg.API, m.cfg.SearchLimit, services)
		for _, w := range m.cfg.Window.Chunks(m.cfg.Chunk) {
			units = append(units, unit{key: fmt.Sprintf("window:%d-%d", w.Start, w.End), label: w.String(), window: w})
		}
		return units, nil
	}
	files, err := expandPaths(m.cfg.Files)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		key := f
		if abs, err := filepath.Abs(f); err == nil && f != "-" {
			key = abs
		}
		units = append(units, unit{key: "file:" + key, label: f, file: f})
	}
	return units, nil
}

func (m *migration) runUnits(ctx context.Context, units []unit) error {
	for _, u := range units {
		if m.cp != nil && m.cp.Done[u.key] {
			m.sum.UnitsResumed++
			m.progress.UnitsDone++
			continue
		}
		m.progress.Unit = u.label
		m.report()
		var err error
		if u.file != "" {
			err = m.readFile(ctx, u)
		} else {
			err = m.readWindow(ctx, u)
		}
		if err != nil {
			return err
		}
		m.units = append(m.units, u.key)
		if m.cfg.Sink == nil || m.cfg.Sink.Buffered() == 0 {
			if err := m.markDone(); err != nil {
				return err
			}
		}
		m.progress.UnitsDone++
		m.report()
	}
	return nil
}

func (m *migration) markDone() error {
	if m.cp != nil {
		if err := m.cp.MarkDone(m.units); err != nil {
			return err
		}
	}
	m.units = nil
	return nil
}

// readWindow enumerates a window's traces, then fetches the new ones by ID
// (a search hit comes from one span; by ID is the whole trace).
func (m *migration) readWindow(ctx context.Context, u unit) error {
	var ids []model.TraceID
	inUnit := map[model.TraceID]bool{}
	err := m.enum.window(ctx, u.window, func(f found) {
		if m.dry != nil {
			m.dry.add(u.label, f)
			return
		}
		if inUnit[f.ID] || m.migrated[f.ID] || m.buffered[f.ID] {
			if m.before[f.ID] && !inUnit[f.ID] {
				m.sum.Already++
			}
			inUnit[f.ID] = true
			return
		}
		inUnit[f.ID] = true
		ids = append(ids, f.ID)
	}, m.skip)
	if err != nil || m.dry != nil {
		return err
	}
	return m.fetch(ctx, ids)
}

type fetched struct {
	ids []model.TraceID
	res FetchResult
	err error
}

func (m *migration) fetch(ctx context.Context, ids []model.TraceID) error {
	n := m.cfg.API.FetchBatch()
	jobs := make(chan []model.TraceID)
	results := make(chan fetched)
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range m.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range jobs {
				res, err := m.cfg.API.Fetch(ctx, batch)
				select {
				case results <- fetched{batch, res, err}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := 0; i < len(ids); i += n {
			select {
			case jobs <- ids[i:min(i+n, len(ids))]:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	var firstErr error
	for r := range results {
		if firstErr != nil {
			continue
		}
		if r.err != nil {
			if ctx.Err() != nil || isConnRefused(r.err) {
				firstErr = r.err
				cancel()
				continue
			}
			for _, id := range r.ids {
				m.skip(Skip{What: "trace " + id.String(), Reason: "fetch failed: " + r.err.Error()})
			}
			continue
		}
		for _, tr := range r.res.Traces {
			if err := m.add(ctx, tr); err != nil {
				firstErr = err
				cancel()
				break
			}
		}
		for _, id := range r.res.Missing {
			m.skip(Skip{What: "trace " + id.String(), Reason: "found by search but not when fetched by ID (expired?)"})
		}
		for _, b := range r.res.Bad {
			m.skip(Skip{What: "trace " + b.ID, Reason: b.Err.Error()})
		}
	}
	if firstErr == nil && parent.Err() != nil {
		// Cancelled between batches: the feeder stopped early, so the
		// window is not complete.
		return parent.Err()
	}
	return firstErr
}

// readFile migrates one file. The same trace in several files is combined
// while buffered; once flushed, a later copy is counted as already there.
func (m *migration) readFile(ctx context.Context, u unit) error {
	var r io.Reader = m.cfg.Stdin
	if u.file != "-" {
		f, err := os.Open(u.file)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	} else if r == nil {
		return errors.New("no standard input")
	}
	return readTraceFile(ctx, u.label, r, func(it fileItem) error {
		if it.Err != nil {
			m.skip(Skip{What: it.Where, Reason: it.Err.Error()})
			return nil
		}
		if m.dry != nil {
			m.dry.add(u.label, found{ID: it.Trace.ID, Trace: &it.Trace})
			return nil
		}
		if m.migrated[it.Trace.ID] {
			m.sum.Already++
			return nil
		}
		return m.add(ctx, it.Trace)
	})
}

func (m *migration) add(ctx context.Context, tr Trace) error {
	spans := tr.Data.SpanCount()
	if !m.buffered[tr.ID] {
		m.buffered[tr.ID] = true
		m.bufIDs = append(m.bufIDs, tr.ID)
		m.sum.Traces++
		m.progress.Traces++
		if m.cfg.API == nil {
			m.sample.offer(tr)
		} else {
			m.sample.offer(Trace{ID: tr.ID})
		}
	}
	m.sum.Spans += spans
	m.progress.Spans += spans
	m.cfg.Sink.Add(tr)
	m.report()
	if m.cfg.Sink.Full() {
		return m.flush(context.WithoutCancel(ctx))
	}
	return nil
}

// flush writes the buffer and records it: "flush" before, "flushed" (with
// the units now complete) after.
func (m *migration) flush(ctx context.Context) error {
	if m.cfg.Sink.Buffered() == 0 {
		if len(m.units) > 0 {
			return m.markDone()
		}
		return nil
	}
	seq := 0
	if m.cp != nil {
		var err error
		if seq, err = m.cp.BeginFlush(m.bufIDs); err != nil {
			return err
		}
	}
	res, err := m.cfg.Sink.Flush(ctx)
	m.sum.Blocks = append(m.sum.Blocks, res.Blocks...)
	m.sum.Bytes += res.Bytes
	for _, s := range res.Skipped {
		m.skip(s)
	}
	if err != nil {
		m.writeFailed = true
		return fmt.Errorf("write: %w", err)
	}
	if m.cfg.crashAfterWrite != nil {
		if err := m.cfg.crashAfterWrite(); err != nil {
			m.writeFailed = true
			return err
		}
	}
	if m.cp != nil {
		if err := m.cp.EndFlush(seq, m.bufIDs, res.Blocks, m.units); err != nil {
			return err
		}
	}
	for _, id := range m.bufIDs {
		m.migrated[id] = true
	}
	m.bufIDs, m.units = nil, nil
	clear(m.buffered)
	m.flushes++
	if m.cfg.afterFlush != nil {
		return m.cfg.afterFlush(m.flushes)
	}
	return nil
}

func (m *migration) skip(s Skip) {
	m.sum.Skipped = append(m.sum.Skipped, s)
	m.progress.Skipped++
}

func (m *migration) report() {
	if m.cfg.Progress == nil {
		return
	}
	m.progress.Elapsed = time.Since(m.start)
	m.cfg.Progress(m.progress)
}

// dryCounter tallies a dry run.
type dryCounter struct {
	services map[string]*Count
	units    []*Count
	byUnit   map[string]*Count
	seen     map[model.TraceID]bool
	seenSvc  map[string]bool
}

func newDryCounter() *dryCounter {
	return &dryCounter{services: map[string]*Count{}, byUnit: map[string]*Count{}, seen: map[model.TraceID]bool{}, seenSvc: map[string]bool{}}
}

func (d *dryCounter) add(unitLabel string, f found) {
	uc := d.byUnit[unitLabel]
	if uc == nil {
		uc = &Count{Name: unitLabel}
		d.byUnit[unitLabel] = uc
		d.units = append(d.units, uc)
	}
	if f.Trace == nil {
		return
	}
	perService := spansByService(f.Trace.Data)
	if !d.seen[f.ID] {
		d.seen[f.ID] = true
		uc.Traces++
		uc.Spans += f.Trace.Data.SpanCount()
	}
	for svc, n := range perService {
		key := f.ID.String() + "/" + svc
		if d.seenSvc[key] {
			continue
		}
		d.seenSvc[key] = true
		c := d.services[svc]
		if c == nil {
			c = &Count{Name: svc}
			d.services[svc] = c
		}
		c.Traces++
		c.Spans += n
	}
}

func (d *dryCounter) result() *DryRun {
	out := &DryRun{Services: []Count{}, Units: []Count{}}
	for _, c := range d.services {
		out.Services = append(out.Services, *c)
	}
	slices.SortFunc(out.Services, func(a, b Count) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	for _, c := range d.units {
		out.Units = append(out.Units, *c)
	}
	return out
}

func spansByService(td ptrace.Traces) map[string]int {
	out := map[string]int{}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		svc := "unknown_service"
		if v, ok := rs.Resource().Attributes().Get("service.name"); ok {
			svc = v.AsString()
		}
		n := 0
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			n += rs.ScopeSpans().At(j).Spans().Len()
		}
		out[svc] += n
	}
	return out
}
