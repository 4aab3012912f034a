package blocktools

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

// InputError is a job input that could not be read. Callers (the compactor)
// use Block to skip that block in later plans instead of failing forever.
type InputError struct {
	Block uuid.UUID
	Err   error
	index int // position in the merge's sources, resolved to Block by the job
}

func (e *InputError) Error() string { return fmt.Sprintf("input block %s: %v", e.Block, e.Err) }
func (e *InputError) Unwrap() error { return e.Err }

// outputNamespace seeds the name-based output IDs.
var outputNamespace = uuid.MustParse("6f1e3c2a-52d4-4f0b-9a57-0d4c1b7e9a11")

// outputID is the ID of output k of the operation key over inputs. The same
// operation on the same inputs always names its outputs the same, which is
// how a re-run after a crash finds the blocks an earlier run completed.
func outputID(key string, inputs []*backend.BlockMeta, k int) uuid.UUID {
	ids := make([]string, len(inputs))
	for i, m := range inputs {
		ids[i] = m.BlockID.String()
	}
	slices.Sort(ids)
	return uuid.NewSHA1(outputNamespace, []byte(key+"\x00"+strings.Join(ids, ",")+"\x00"+strconv.Itoa(k)))
}

// outputJob is one "inputs → new blocks → retire inputs" run. Its steps are
// ordered so that a crash anywhere leaves every trace readable, and a re-run
// finishes the work without writing any trace twice:
//  1. outputs are written one after the other, each with meta.json last, under
//     IDs derived from (key, inputs, k); an output found complete (live or
//     compacted) from an earlier run is kept and its traces skipped, a partial
//     one (no meta) is deleted and rewritten;
//  2. only when every output is complete are the inputs marked compacted
//     (see retire).
//
// Cancelled during step 1, the job is abandoned: the output being written
// and the outputs this run completed are deleted, the inputs stay live.
// Once step 1 is done the job commits: step 2 runs to its end.
type outputJob struct {
	tenant     string
	inputs     []*backend.BlockMeta
	key        string
	block      block.Config // version, dedicated columns, RF, level of the outputs
	maxBytes   uint64       // start a new output past this many (OTLP) bytes; 0 = no limit
	maxObjects int64        // ... or past this many traces; 0 = no limit
	// transform may change or drop a merged trace (rewrite); nil keeps it.
	transform func(id model.TraceID, tr ptrace.Traces) (ptrace.Traces, bool, error)
	progress  ProgressFunc
	prog      Progress // blocks/bytes done before this job, for reports
	// noMark leaves the inputs live: the caller retires them with others.
	noMark bool
	// maxBytesPerTrace bounds a combined trace (see MergeOptions).
	maxBytesPerTrace int
}

type jobResult struct {
	Outputs []*backend.BlockMeta // outputs written by this run
	Reused  []*backend.BlockMeta // complete outputs left by an interrupted earlier run
	Stats   MergeStats
	Dropped int64 // traces removed by transform
	// Unmarked are inputs that could not be marked compacted (outputs stay).
	Unmarked []error
}

// existing looks up output id: complete (meta or compacted meta readable) →
// its meta; otherwise any partial objects are deleted and nil is returned.
func existingOutput(ctx context.Context, be *backend.Backend, tenant string, id uuid.UUID) (*backend.BlockMeta, error) {
	m, err := be.ReadMeta(ctx, tenant, id)
	if err == nil {
		return m, nil
	}
	if cm, cerr := be.ReadCompactedMeta(ctx, tenant, id); cerr == nil {
		return &cm.BlockMeta, nil
	}
	// Absent, or a meta we cannot read back: either way the output is not
	// complete, so whatever objects it has are cleared and it is rewritten.
	if err := be.DeleteBlock(ctx, tenant, id); err != nil {
		return nil, fmt.Errorf("clear partial output %s: %w", id, err)
	}
	return nil, nil
}

func (j *outputJob) run(ctx context.Context, be *backend.Backend) (*jobResult, error) {
	if len(j.inputs) == 0 {
		return nil, errors.New("job has no inputs")
	}
	var sources []TraceSource
	for _, m := range j.inputs {
		r, err := block.Open(ctx, be, m)
		if err != nil {
			return nil, &InputError{Block: m.BlockID, Err: err}
		}
		defer r.Close()
		sources = append(sources, ReaderSource(r))
	}
	return j.runSources(ctx, be, sources)
}

// runSources is run over already opened sources, one per input.
func (j *outputJob) runSources(ctx context.Context, be *backend.Backend, sources []TraceSource) (*jobResult, error) {
	res := &jobResult{}
	var inBytes uint64
	var inObjects int64
	for _, m := range j.inputs {
		inBytes += m.Size
		inObjects += m.TotalObjects
	}

	var (
		w        *vparquet.Writer
		k        int                // index of the output being written or looked up
		looked   = -1               // k whose existence was checked
		reuse    *backend.BlockMeta // complete output k from an earlier run
		reuseMax model.TraceID
		written  []*backend.BlockMeta
	)
	closeOutput := func() error {
		m, err := w.Close(ctx)
		if err != nil {
			// Close may have uploaded data, bloom or index before it
			// failed: w stays set so the failure path aborts it, which
			// deletes those objects.
			return fmt.Errorf("finish output block: %w", err)
		}
		w = nil
		written = append(written, m)
		j.progress.send(j.report(inBytes, inObjects, res.Stats.TracesIn, "wrote block "+m.BlockID.String()))
		k++
		return nil
	}
	emit := func(id model.TraceID, tr ptrace.Traces) error {
		if res.Stats.TracesIn%progressEvery == 0 {
			j.progress.send(j.report(inBytes, inObjects, res.Stats.TracesIn, ""))
		}
		if j.transform != nil {
			out, keep, err := j.transform(id, tr)
			if err != nil {
				return err
			}
			if !keep {
				res.Dropped++
				return nil
			}
			tr = out
		}
		for w == nil {
			if looked != k {
				oid := outputID(j.key, j.inputs, k)
				m, err := existingOutput(ctx, be, j.tenant, oid)
				if err != nil {
					return err
				}
				looked, reuse = k, m
				if m != nil {
					if reuseMax, err = lastTraceID(ctx, be, m); err != nil {
						return fmt.Errorf("read earlier output %s: %w", oid, err)
					}
					res.Reused = append(res.Reused, m)
				}
			}
			if reuse != nil {
				if id.Compare(reuseMax) <= 0 {
					return nil // already in the earlier run's output k
				}
				reuse = nil
				k++
				continue
			}
			var err error
			if w, err = newWriter(be, j.tenant, outputID(j.key, j.inputs, k), j.block); err != nil {
				return fmt.Errorf("start output block: %w", err)
			}
		}
		if err := w.Add(ctx, id, tr); err != nil {
			return fmt.Errorf("write trace %s: %w", id, err)
		}
		if (j.maxBytes > 0 && w.EstimatedSize() >= j.maxBytes) || (j.maxObjects > 0 && int64(w.Traces()) >= j.maxObjects) {
			return closeOutput()
		}
		return nil
	}
	stats, err := MergeWith(ctx, sources, MergeOptions{MaxBytesPerTrace: j.maxBytesPerTrace}, emit)
	res.Stats = stats
	if err == nil && w != nil {
		err = closeOutput()
	}
	if err != nil {
		// Leave nothing half-done behind: the inputs are still live and
		// hold every trace.
		cleanup := context.WithoutCancel(ctx)
		if w != nil {
			_ = w.Abort(cleanup)
		}
		for _, m := range written {
			_ = be.DeleteBlock(cleanup, m.TenantID, m.BlockID)
		}
		var ie *InputError
		if errors.As(err, &ie) && ie.Block == uuid.Nil {
			ie.Block = j.inputs[ie.index].BlockID
		}
		return nil, err
	}
	res.Outputs = written
	if !j.noMark {
		res.Unmarked = retire(ctx, be, j.tenant, j.inputs, append(slices.Clone(res.Reused), written...), outputID(j.key+"/journal", j.inputs, 0))
	}
	return res, nil
}

// commitTimeout bounds retire, which a cancelled context does not stop.
const commitTimeout = time.Minute

// retire marks inputs compacted once outputs hold all their traces. Several
// inputs are marked one by one: the intent is journaled first, so a crash
// between two marks is finished by RecoverJournals instead of leaving inputs
// live next to outputs that hold their traces. Failures are returned, not
// fatal: an unmarked input is only a duplicate, which readers combine.
//
// retire is the commit of a job: its outputs are already complete and
// visible, so a cancellation (compactor Stop, Ctrl-C) arriving now must not
// stop it half-way, which would leave the outputs duplicating live inputs
// until the next run. It runs on a context that ignores ctx's cancellation,
// bounded by commitTimeout so a hung bucket cannot hold a shutdown forever;
// a commit cut short by that is left as a crash at the same point would be
// (journal or re-run), and the next run finishes it.
func retire(ctx context.Context, be *backend.Backend, tenant string, inputs, outputs []*backend.BlockMeta, jid uuid.UUID) []error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	if len(inputs) > 1 {
		jr := journal{Created: time.Now().UTC()}
		for _, m := range inputs {
			jr.Inputs = append(jr.Inputs, m.BlockID)
		}
		for _, m := range outputs {
			jr.Outputs = append(jr.Outputs, m.BlockID)
		}
		if err := writeJournal(ctx, be, tenant, jid, jr); err != nil {
			return []error{err}
		}
	}
	var errs []error
	for _, m := range inputs {
		if err := be.MarkCompacted(ctx, tenant, m.BlockID); err != nil && !errors.Is(err, backend.ErrDoesNotExist) {
			errs = append(errs, fmt.Errorf("mark block %s compacted: %w", m.BlockID, err))
		}
	}
	if len(inputs) > 1 && len(errs) == 0 {
		if err := deleteJournal(ctx, be, tenant, jid); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func (j *outputJob) report(inBytes uint64, inObjects, traces int64, msg string) Progress {
	p := j.prog
	p.Traces += traces
	if inObjects > 0 {
		p.BytesDone += uint64(float64(inBytes) * min(1, float64(traces)/float64(inObjects)))
	}
	p.Message = msg
	return p
}
