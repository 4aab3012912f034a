package blocktools

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/bloom"
	"github.com/tempoctl/tempoctl/traceql"
)

// RewriteOptions say which blocks to rewrite and how.
type RewriteOptions struct {
	Tenant string
	// Blocks to consider; empty = every live block of the tenant.
	Blocks []uuid.UUID
	// DropIDs are traces to remove.
	DropIDs []model.TraceID
	// DropQuery is a TraceQL query: traces with a matching spanset are removed.
	DropQuery string
	// Redact lists attributes to remove, or to overwrite with RedactWith.
	Redact     []RedactAttr
	RedactWith *string
	// ToVersion converts blocks to this format ("" keeps each block's).
	ToVersion string
	// Block holds writer settings (row-group size, bloom); version,
	// dedicated columns and level come from each input block.
	Block block.Config
	// DryRun reads and reports what would change, writing nothing.
	DryRun   bool
	Progress ProgressFunc
}

// BlockRewrite is what happened to one input block.
type BlockRewrite struct {
	Input   *backend.BlockMeta   `json:"-"`
	BlockID string               `json:"blockID"`
	Action  string               `json:"action"` // unchanged, rewritten, removed, would-rewrite, would-remove, failed, not-live
	Outputs []*backend.BlockMeta `json:"outputs,omitempty"`
	// Reused counts outputs found complete from an interrupted earlier run.
	Reused        int    `json:"reused,omitempty"`
	Traces        int64  `json:"traces"`
	TracesDropped int64  `json:"tracesDropped"`
	Redacted      int64  `json:"attributesRedacted"`
	Error         string `json:"error,omitempty"`
}

// RewriteResult sums a rewrite.
type RewriteResult struct {
	Blocks    []BlockRewrite `json:"blocks"`
	Rewritten int            `json:"rewritten"`
	Removed   int            `json:"removed"`
	Unchanged int            `json:"unchanged"`
	Failed    int            `json:"failed"`
	// TracesDropped counts distinct traces (a split trace once); a block's
	// TracesDropped counts the parts it held.
	TracesDropped int64 `json:"tracesDropped"`
	Redacted      int64 `json:"attributesRedacted"`
	DryRun        bool  `json:"dryRun"`
}

// rewriter is the per-trace part of a rewrite.
type rewriter struct {
	drop  map[model.TraceID]bool // --trace-id, plus what the query matched
	query *traceql.RootExpr
	red   *redactor
}

func newRewriter(o *RewriteOptions) (*rewriter, error) {
	rw := &rewriter{drop: map[model.TraceID]bool{}}
	for _, id := range o.DropIDs {
		rw.drop[id] = true
	}
	if o.DropQuery != "" {
		q, err := traceql.Parse(o.DropQuery)
		if err != nil {
			return nil, fmt.Errorf("--drop query: %w", err)
		}
		if q.IsMetrics() {
			return nil, errors.New("--drop query: a metrics query selects no traces; use a spanset filter such as { resource.service.name = \"legacy\" }")
		}
		rw.query = q
	}
	if len(o.Redact) > 0 {
		rw.red = &redactor{attrs: o.Redact, with: o.RedactWith}
	}
	return rw, nil
}

// matches evaluates the drop query over one trace (as stored in one block).
func (rw *rewriter) matches(ctx context.Context, id model.TraceID, tr ptrace.Traces) (bool, error) {
	resp, err := traceql.NewEngine().ExecuteSearchExpr(ctx, rw.query, traceql.NewMemoryFetcher(tr), traceql.SearchOptions{Limit: 1})
	if err != nil {
		return false, fmt.Errorf("evaluate --drop on trace %s: %w", id, err)
	}
	return len(resp.Traces) > 0, nil
}

// key fingerprints the operation so its outputs get the same IDs on a re-run.
func (o *RewriteOptions) key() string {
	ids := make([]string, len(o.DropIDs))
	for i, id := range o.DropIDs {
		ids[i] = id.String()
	}
	slices.Sort(ids)
	red := make([]string, len(o.Redact))
	for i, r := range o.Redact {
		red[i] = r.String()
	}
	slices.Sort(red)
	b, _ := json.Marshal([]any{ids, o.DropQuery, red, o.RedactWith, o.ToVersion})
	sum := sha256.Sum256(b)
	return "rewrite/" + hex.EncodeToString(sum[:])
}

// Rewrite produces new blocks from the selected ones with traces dropped,
// attributes redacted or the format converted, then retires the originals.
// Blocks the options do not change are left alone.
//
// A TraceQL drop removes a trace when the query matches its part in any
// block: the trace's parts in other blocks go too. (Conditions are
// evaluated per stored part, so structural or aggregate conditions that
// need parts from two blocks do not see them together.)
//
// The steps are ordered so that an interruption anywhere leaves every trace
// readable, and running the same rewrite again finishes the job with every
// kept trace readable exactly once:
//  1. interrupted input marking of an earlier run is finished (journal);
//  2. the blocks are read: which traces the query drops, which blocks change;
//  3. nocompact.flg is written on every changing block, so a compactor does
//     not copy traces being dropped into new blocks meanwhile;
//  4. each block's outputs are written completely (meta.json last) under IDs
//     derived from the block and the options; a re-run keeps the complete
//     ones, and does not mistake them for inputs;
//  5. the inputs are marked compacted together (journaled) and deleted
//     after compacted_block_retention; a block left empty gets no output;
//  6. the tenant index is rewritten.
func Rewrite(ctx context.Context, be *backend.Backend, o RewriteOptions) (*RewriteResult, error) {
	rw, err := newRewriter(&o)
	if err != nil {
		return nil, err
	}
	if o.ToVersion != "" {
		if _, err := formatOf(o.ToVersion); err != nil {
			return nil, err
		}
	}
	if len(o.DropIDs) == 0 && rw.query == nil && rw.red == nil && o.ToVersion == "" {
		return nil, errors.New("nothing to do: give traces to drop, attributes to redact or a version to convert to")
	}
	if !o.DryRun {
		if _, err := RecoverJournals(ctx, be, o.Tenant); err != nil {
			return nil, err
		}
	}
	key := o.key()
	inputs, notLive, err := rewriteInputs(ctx, be, o.Tenant, o.Blocks, key)
	if err != nil {
		return nil, err
	}
	res := &RewriteResult{DryRun: o.DryRun}
	for _, id := range notLive {
		res.Blocks = append(res.Blocks, BlockRewrite{BlockID: id.String(), Action: "not-live"})
	}
	prog := Progress{Op: "rewrite", BlocksTotal: len(inputs)}
	for _, m := range inputs {
		prog.BytesTotal += m.Size
	}

	// Step 2: read.
	brs := make([]*BlockRewrite, len(inputs))
	affected := make([]bool, len(inputs))
	for i, m := range inputs {
		brs[i] = &BlockRewrite{Input: m, BlockID: m.BlockID.String(), Traces: m.TotalObjects}
		if rw.query == nil && rw.red == nil {
			continue
		}
		if affected[i], err = scanBlock(ctx, be, rw, m, brs[i]); err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			brs[i].Action, brs[i].Error = "failed", err.Error()
		}
		p := prog
		p.BlocksDone = i + 1
		for _, x := range inputs[:i+1] {
			p.BytesDone += x.Size
		}
		p.Message = fmt.Sprintf("read block %s", m.BlockID)
		o.Progress.send(p)
	}
	dropped := map[model.TraceID]bool{}
	defer func() { res.TracesDropped = int64(len(dropped)) }()
	for i, m := range inputs {
		if brs[i].Action == "failed" {
			continue
		}
		found, err := countDropped(ctx, be, rw.drop, m)
		if err != nil {
			brs[i].Action, brs[i].Error = "failed", err.Error()
			continue
		}
		n := int64(len(found))
		for _, id := range found {
			dropped[id] = true
		}
		brs[i].TracesDropped = n
		if n > 0 || (o.ToVersion != "" && o.ToVersion != m.Version) {
			affected[i] = true
		}
		switch {
		case !affected[i]:
			brs[i].Action = "unchanged"
		case brs[i].TracesDropped == brs[i].Traces:
			brs[i].Action = "would-remove"
		default:
			brs[i].Action = "would-rewrite"
		}
	}
	if o.DryRun {
		return res.add(brs), nil
	}

	// Step 3: keep compactors away from the blocks about to change.
	for i, m := range inputs {
		if affected[i] && brs[i].Action != "failed" {
			if err := be.WriteNoCompactFlag(ctx, m.TenantID, m.BlockID); err != nil {
				return res.add(brs), err
			}
		}
	}
	// Step 4: outputs.
	prog.BlocksDone, prog.BytesDone = 0, 0
	var done, outputs []*backend.BlockMeta
	for i, m := range inputs {
		if !affected[i] || brs[i].Action == "failed" {
			continue
		}
		prog.Block = m.BlockID.String()
		if err := rewriteBlock(ctx, be, rw, &o, key, m, prog, brs[i]); err != nil {
			if ctx.Err() != nil {
				return res.add(brs), ctx.Err()
			}
			brs[i].Action, brs[i].Error = "failed", err.Error()
		} else {
			done = append(done, m)
			outputs = append(outputs, brs[i].Outputs...)
		}
		prog.BlocksDone++
		prog.BytesDone += m.Size
		p := prog
		p.Message = fmt.Sprintf("block %s: %s", m.BlockID, brs[i].Action)
		if brs[i].Error != "" {
			p.Message += ": " + brs[i].Error
		}
		o.Progress.send(p)
	}
	// Step 5: retire the inputs together.
	if len(done) > 0 {
		jid := outputID(key+"/journal", done, 0)
		if errs := retire(ctx, be, o.Tenant, done, outputs, jid); len(errs) > 0 {
			return res.add(brs), errors.Join(errs...)
		}
		if err := RewriteTenantIndex(ctx, be, o.Tenant); err != nil {
			return res.add(brs), fmt.Errorf("rewrite tenant index: %w", err)
		}
	}
	return res.add(brs), nil
}

func (res *RewriteResult) add(brs []*BlockRewrite) *RewriteResult {
	for _, br := range brs {
		res.Blocks = append(res.Blocks, *br)
		switch br.Action {
		case "rewritten", "would-rewrite":
			res.Rewritten++
		case "removed", "would-remove":
			res.Removed++
		case "unchanged":
			res.Unchanged++
		case "failed":
			res.Failed++
		}
		if br.Action != "unchanged" && br.Action != "failed" {
			res.Redacted += br.Redacted
		}
	}
	return res
}

// rewriteInputs resolves the blocks to consider: the named ones that are
// live (others reported), or every live block; outputs of an interrupted
// earlier run of the same rewrite are recognised by their IDs and left out.
func rewriteInputs(ctx context.Context, be *backend.Backend, tenant string, ids []uuid.UUID, key string) ([]*backend.BlockMeta, []uuid.UUID, error) {
	live, _, bad, err := be.PollBlocks(ctx, tenant)
	if err != nil {
		return nil, nil, err
	}
	byID := map[uuid.UUID]*backend.BlockMeta{}
	for _, m := range live {
		byID[m.BlockID] = m
	}
	isOutput := map[uuid.UUID]bool{}
	for _, m := range live {
		for k := 0; ; k++ {
			id := outputID(key, []*backend.BlockMeta{m}, k)
			if byID[id] == nil {
				break
			}
			isOutput[id] = true
		}
	}
	if len(ids) == 0 {
		if len(bad) > 0 {
			return nil, nil, fmt.Errorf("%d block(s) with an unreadable meta.json (run blocks verify): %v", len(bad), bad[0])
		}
		var out []*backend.BlockMeta
		for _, m := range live {
			if !isOutput[m.BlockID] {
				out = append(out, m)
			}
		}
		return out, nil, nil
	}
	var metas []*backend.BlockMeta
	var notLive []uuid.UUID
	for _, id := range ids {
		if m := byID[id]; m != nil && !isOutput[id] {
			metas = append(metas, m)
		} else if m == nil {
			notLive = append(notLive, id)
		}
	}
	return metas, notLive, nil
}

// rewriteBlock writes one input's outputs (the input stays live).
func rewriteBlock(ctx context.Context, be *backend.Backend, rw *rewriter, o *RewriteOptions, key string, m *backend.BlockMeta, prog Progress, br *BlockRewrite) error {
	cfg := o.Block
	cfg.Version = m.Version
	if o.ToVersion != "" {
		cfg.Version = o.ToVersion
	}
	cfg.DedicatedColumns = m.DedicatedColumns
	cfg.ReplicationFactor = m.ReplicationFactor
	cfg.CompactionLevel = m.CompactionLevel
	br.TracesDropped, br.Redacted, br.Traces = 0, 0, 0
	j := &outputJob{
		tenant: m.TenantID, inputs: []*backend.BlockMeta{m}, key: key, block: cfg,
		progress: o.Progress, prog: prog, noMark: true,
		transform: func(id model.TraceID, tr ptrace.Traces) (ptrace.Traces, bool, error) {
			br.Traces++
			if rw.drop[id] {
				br.TracesDropped++
				return tr, false, nil
			}
			br.Redacted += int64(rw.red.redact(tr))
			return tr, true, nil
		},
	}
	res, err := j.run(ctx, be)
	if err != nil {
		return err
	}
	br.Outputs = append(res.Reused, res.Outputs...)
	br.Reused = len(res.Reused)
	br.Action = "rewritten"
	if len(br.Outputs) == 0 {
		br.Action = "removed"
	}
	return nil
}

// scanBlock reads every trace of a block: query matches are added to
// rw.drop, redactions are counted. It reports whether redaction changes
// the block.
func scanBlock(ctx context.Context, be *backend.Backend, rw *rewriter, m *backend.BlockMeta, br *BlockRewrite) (bool, error) {
	r, err := block.Open(ctx, be, m)
	if err != nil {
		return false, err
	}
	defer r.Close()
	br.Traces = 0
	err = r.Iterate(ctx, func(id model.TraceID, tr ptrace.Traces) error {
		br.Traces++
		if rw.query != nil && !rw.drop[id] {
			match, err := rw.matches(ctx, id, tr)
			if err != nil {
				return err
			}
			if match {
				rw.drop[id] = true
			}
		}
		if !rw.drop[id] {
			br.Redacted += int64(rw.red.redact(tr))
		}
		return nil
	})
	return br.Redacted > 0, err
}

// countDropped returns the traces of drop the block holds: its bloom shards
// are read once and tested in memory, candidates are confirmed by lookup.
func countDropped(ctx context.Context, be *backend.Backend, drop map[model.TraceID]bool, m *backend.BlockMeta) ([]model.TraceID, error) {
	if len(drop) == 0 {
		return nil, nil
	}
	shards := int(m.BloomShardCount)
	if shards == 0 {
		shards = 10
	}
	blooms := make([][]byte, shards)
	var r block.Reader
	var found []model.TraceID
	for id := range drop {
		s := bloom.ShardFor(id[:], shards)
		if blooms[s] == nil {
			b, err := be.ReadObject(ctx, m.TenantID, m.BlockID, backend.BloomName(s))
			if err != nil {
				return nil, err
			}
			blooms[s] = b
		}
		if ok, err := bloom.Test(blooms[s], id[:]); err != nil || !ok {
			if err != nil {
				return nil, fmt.Errorf("block %s: bloom: %w", m.BlockID, err)
			}
			continue
		}
		if r == nil {
			var err error
			if r, err = block.Open(ctx, be, m); err != nil {
				return nil, err
			}
			defer r.Close()
		}
		if _, ok, err := r.FindTraceByID(ctx, id); err != nil {
			return nil, err
		} else if ok {
			found = append(found, id)
		}
	}
	return found, nil
}

// ParseTraceIDs reads trace IDs, one per line or separated by commas or
// spaces; '#' starts a comment.
func ParseTraceIDs(text string) ([]model.TraceID, error) {
	var out []model.TraceID
	for n, line := range strings.Split(text, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		for _, f := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\r' }) {
			id, err := model.ParseTraceID(f)
			if err != nil {
				return nil, fmt.Errorf("line %d: %q: %w", n+1, f, err)
			}
			out = append(out, id)
		}
	}
	return out, nil
}
