package blocktools

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/parquet-go/parquet-go"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/bloom"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

// QuarantineMetaName is where verify --repair moves the meta.json of a block
// whose data cannot be read. Readers (Tempo's and tempoctl's) only take
// blocks with meta.json or meta.compacted.json, and retention only deletes
// compacted blocks, so the block leaves the query path and stays in the
// bucket for inspection. To put it back: rename meta.quarantined.json to
// meta.json (and delete nocompact.flg); to drop it: delete the directory.
const QuarantineMetaName = "meta.quarantined.json"

// Problem kinds reported by Verify.
const (
	ProblemMetaMissing     = "meta-missing"     // objects but neither meta.json nor meta.compacted.json
	ProblemMetaUnparseable = "meta-unparseable" // meta.json is not a valid block meta
	ProblemMetaMismatch    = "meta-mismatch"    // meta figures disagree with the data
	ProblemDataMissing     = "data-missing"
	ProblemDataTruncated   = "data-truncated"
	ProblemDataCorrupt     = "data-corrupt" // bad footer, bad page (CRC), undecodable rows
	ProblemSchema          = "schema-mismatch"
	ProblemBloom           = "bloom" // shard missing/corrupt, or a trace of the data it does not hold
	ProblemIndex           = "index" // row-group index missing or wrong
	ProblemOrder           = "order" // trace IDs not strictly ascending, or not 16 bytes
)

// Problem is one thing wrong with a block.
type Problem struct {
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// VerifyOptions select blocks and say whether to repair.
type VerifyOptions struct {
	// Tenants to verify; empty = every tenant.
	Tenants []string
	// Blocks to verify; empty = every block of the tenants.
	Blocks []uuid.UUID
	// Repair rebuilds bloom, index and meta from readable data, salvages the
	// readable row groups of a partly corrupt block into a new block, and
	// quarantines what cannot be read.
	Repair bool
	// InProgressAge: a directory without meta whose newest object is younger
	// than this is a block being written, not a problem (default 1h).
	InProgressAge time.Duration
	// Block holds the bloom settings used when rebuilding.
	Block    block.Config
	Progress ProgressFunc
	Now      time.Time
}

// BlockReport is the verdict on one block.
type BlockReport struct {
	Tenant    string    `json:"tenant"`
	BlockID   string    `json:"blockID"`
	State     string    `json:"state"` // live, compacted, no-meta, in-progress, quarantined
	Version   string    `json:"format,omitempty"`
	Traces    int64     `json:"traces"`
	RowGroups int       `json:"rowGroups"`
	Problems  []Problem `json:"problems,omitempty"`
	// Repairs lists what --repair did.
	Repairs []string `json:"repairs,omitempty"`
	// Salvaged is the new block holding the readable traces of a corrupt one.
	Salvaged *backend.BlockMeta `json:"salvaged,omitempty"`
	// Quarantined is set when --repair moved the block out of the query path.
	Quarantined bool `json:"quarantined,omitempty"`
}

// OK reports whether nothing is wrong.
func (r *BlockReport) OK() bool { return len(r.Problems) == 0 }

func (r *BlockReport) add(kind, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{kind, fmt.Sprintf(format, args...)})
}

func (r *BlockReport) has(kinds ...string) bool {
	for _, p := range r.Problems {
		if slices.Contains(kinds, p.Kind) {
			return true
		}
	}
	return false
}

// VerifyResult is every report plus totals.
type VerifyResult struct {
	Blocks      []*BlockReport `json:"blocks"`
	Checked     int            `json:"checked"`
	WithProblem int            `json:"withProblems"`
	Repaired    int            `json:"repaired"`
	Quarantined int            `json:"quarantined"`
	Salvaged    int            `json:"salvaged"`
	// Missing are requested block IDs found in no tenant.
	Missing []string `json:"missing,omitempty"`
}

// blockDir is a block directory as listed.
type blockDir struct {
	tenant  string
	id      uuid.UUID
	objects map[string]bool
}

// Verify reads every selected block fully and reports what is wrong,
// without failing on any corruption (each block's check recovers from
// panics in the parquet library). With Repair it also fixes what it can.
func Verify(ctx context.Context, be *backend.Backend, o VerifyOptions) (*VerifyResult, error) {
	if o.InProgressAge <= 0 {
		o.InProgressAge = time.Hour
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	tenants := o.Tenants
	if len(tenants) == 0 {
		var err error
		if tenants, err = be.Tenants(ctx); err != nil {
			return nil, err
		}
	}
	want := map[uuid.UUID]bool{}
	for _, id := range o.Blocks {
		want[id] = true
	}
	found := map[uuid.UUID]bool{}
	var dirs []blockDir
	for _, t := range tenants {
		ds, err := listBlockDirs(ctx, be, t, want)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			found[d.id] = true
			dirs = append(dirs, d)
		}
	}
	res := &VerifyResult{Blocks: []*BlockReport{}}
	for _, id := range o.Blocks {
		if !found[id] {
			res.Missing = append(res.Missing, id.String())
		}
	}
	repairedTenants := map[string]bool{}
	defer func() {
		for t := range repairedTenants {
			_ = RewriteTenantIndex(context.WithoutCancel(ctx), be, t)
		}
	}()
	prog := Progress{Op: "verify", BlocksTotal: len(dirs)}
	indexes := map[string]*backend.TenantIndex{}
	for _, d := range dirs {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		prog.Block = d.id.String()
		v := &verifier{be: be, o: &o, dir: d, indexes: indexes, rep: &BlockReport{Tenant: d.tenant, BlockID: d.id.String()}}
		v.run(ctx)
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		rep := v.rep
		res.Blocks = append(res.Blocks, rep)
		if rep.State != "in-progress" && rep.State != "quarantined" && rep.State != "compacted" {
			res.Checked++
		}
		if !rep.OK() {
			res.WithProblem++
		}
		if len(rep.Repairs) > 0 && !rep.Quarantined {
			res.Repaired++
		}
		if rep.Quarantined {
			res.Quarantined++
		}
		if rep.Salvaged != nil {
			res.Salvaged++
		}
		if len(rep.Repairs) > 0 {
			repairedTenants[d.tenant] = true
		}
		prog.BlocksDone++
		if v.meta != nil {
			prog.BytesDone += v.meta.Size
			prog.Traces += rep.Traces
		}
		p := prog
		p.Message = summarize(rep)
		o.Progress.send(p)
	}
	return res, nil
}

func summarize(r *BlockReport) string {
	s := fmt.Sprintf("%s/%s: %s", r.Tenant, r.BlockID, r.State)
	if r.OK() {
		return s + ", ok"
	}
	kinds := []string{}
	for _, p := range r.Problems {
		if !slices.Contains(kinds, p.Kind) {
			kinds = append(kinds, p.Kind)
		}
	}
	s += ", " + strings.Join(kinds, ", ")
	if len(r.Repairs) > 0 {
		s += "; " + strings.Join(r.Repairs, "; ")
	}
	return s
}

// listBlockDirs lists a tenant's block directories (those in want, when
// given) and their objects.
func listBlockDirs(ctx context.Context, be *backend.Backend, tenant string, want map[uuid.UUID]bool) ([]blockDir, error) {
	var ids []uuid.UUID
	err := be.Bucket().Iter(ctx, tenant+"/", func(name string) error {
		if !strings.HasSuffix(name, "/") {
			return nil
		}
		if id, err := uuid.Parse(strings.TrimSuffix(strings.TrimPrefix(name, tenant+"/"), "/")); err == nil && (len(want) == 0 || want[id]) {
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list tenant %s: %w", tenant, err)
	}
	var out []blockDir
	for _, id := range ids {
		d := blockDir{tenant: tenant, id: id, objects: map[string]bool{}}
		prefix := backend.ObjectKey(tenant, id, "") + "/"
		if err := be.Bucket().Iter(ctx, prefix, func(name string) error {
			d.objects[strings.TrimPrefix(name, prefix)] = true
			return nil
		}); err != nil {
			return nil, fmt.Errorf("list block %s/%s: %w", tenant, id, err)
		}
		if len(d.objects) > 0 {
			out = append(out, d)
		}
	}
	return out, nil
}

type verifier struct {
	be      *backend.Backend
	o       *VerifyOptions
	dir     blockDir
	indexes map[string]*backend.TenantIndex
	rep     *BlockReport
	meta    *backend.BlockMeta
	// from the data
	dataSize  int64
	file      *parquet.File
	ids       []model.TraceID // collected when repairing
	rgLast    []model.TraceID
	rgBad     []int
	rows      int64
	minStart  uint64
	maxEnd    uint64
	dataOK    bool // every row decoded and the schema matches
	readable  bool // the footer opened: some rows may be read
	bloomBits [][]byte
	conv      parquet.Conversion
	closers   []io.Closer
}

func (v *verifier) run(ctx context.Context) {
	defer func() {
		for _, c := range v.closers {
			c.Close()
		}
	}()
	defer func() {
		if p := recover(); p != nil {
			v.rep.add(ProblemDataCorrupt, "reading the block panicked: %v", p)
		}
	}()
	v.loadMeta(ctx)
	switch v.rep.State {
	case "compacted", "in-progress", "quarantined":
		return
	}
	if v.meta == nil { // meta.json missing or unparseable
		if v.o.Repair {
			v.repairFromIndex(ctx)
		}
		return
	}
	v.rep.Version = v.meta.Version
	v.checkData(ctx)
	v.checkBloom(ctx)
	v.checkIndex(ctx)
	v.checkMeta()
	if v.o.Repair && !v.rep.OK() {
		v.repair(ctx)
	}
}

// loadMeta reads meta.json (or decides the block's state without one).
func (v *verifier) loadMeta(ctx context.Context) {
	d := v.dir
	switch {
	case d.objects[backend.MetaName]:
		v.rep.State = "live"
		b, err := v.be.ReadObject(ctx, d.tenant, d.id, backend.MetaName)
		if err != nil {
			v.rep.add(ProblemMetaUnparseable, "read meta.json: %v", err)
			return
		}
		m, err := backend.UnmarshalMeta(b)
		if err != nil {
			v.rep.add(ProblemMetaUnparseable, "%v", err)
			return
		}
		if _, err := formatOf(m.Version); err != nil {
			v.rep.add(ProblemMetaUnparseable, "%v", err)
			return
		}
		if m.BlockID != d.id || m.TenantID != d.tenant {
			v.rep.add(ProblemMetaMismatch, "meta names block %s/%s, it is stored as %s/%s", m.TenantID, m.BlockID, d.tenant, d.id)
		}
		v.meta = m
	case d.objects[backend.CompactedMetaName]:
		v.rep.State = "compacted" // on its way out: not checked
	case d.objects[QuarantineMetaName]:
		v.rep.State = "quarantined"
	default:
		v.rep.State = "no-meta"
		newest := time.Time{}
		for name := range d.objects {
			if a, err := v.be.Bucket().Attributes(ctx, backend.ObjectKey(d.tenant, d.id, name)); err == nil && a.LastModified.After(newest) {
				newest = a.LastModified
			}
		}
		if v.o.Now.Sub(newest) < v.o.InProgressAge {
			v.rep.State = "in-progress"
			return
		}
		v.rep.add(ProblemMetaMissing, "%d object(s) but no meta.json, last written %s", len(d.objects), newest.UTC().Format(time.RFC3339))
	}
}

// checkData opens data.parquet, compares its schema with the format's, and
// decodes every row group, recording IDs, order and time range.
func (v *verifier) checkData(ctx context.Context) {
	m, d := v.meta, v.dir
	if !d.objects[backend.DataName] {
		v.rep.add(ProblemDataMissing, "no data.parquet")
		return
	}
	size, err := v.be.ObjectSize(ctx, d.tenant, d.id, backend.DataName)
	if err != nil {
		v.rep.add(ProblemDataMissing, "%v", err)
		return
	}
	v.dataSize = size
	if m.Size > 0 && uint64(size) < m.Size {
		v.rep.add(ProblemDataTruncated, "data.parquet is %d bytes, meta says %d", size, m.Size)
	}
	ra := v.be.ReaderAt(ctx, d.tenant, d.id, backend.DataName, size)
	if c, ok := ra.(io.Closer); ok {
		v.closers = append(v.closers, c) // open until the repair is done
	}
	if size < 12 {
		v.rep.add(ProblemDataTruncated, "data.parquet is %d bytes: no room for a parquet footer", size)
		return
	}
	var tail [8]byte
	if _, err := ra.ReadAt(tail[:], size-8); err != nil && !errors.Is(err, io.EOF) {
		v.rep.add(ProblemDataCorrupt, "read footer: %v", err)
		return
	}
	if string(tail[4:]) != "PAR1" {
		if !v.rep.has(ProblemDataTruncated) {
			v.rep.add(ProblemDataCorrupt, "no parquet magic at the end of data.parquet (truncated or overwritten)")
		}
		return
	}
	footer := int64(binary.LittleEndian.Uint32(tail[:4]))
	if footer <= 0 || footer > size-12 {
		v.rep.add(ProblemDataCorrupt, "footer length %d does not fit in the %d-byte file", footer, size)
		return
	}
	if m.FooterSize != 0 && int64(m.FooterSize) != footer {
		v.rep.add(ProblemMetaMismatch, "footerSize %d, data.parquet's footer is %d bytes", m.FooterSize, footer)
	}
	f, err := openParquet(ra, size)
	if err != nil {
		v.rep.add(ProblemDataCorrupt, "footer: %v", err)
		return
	}
	v.file = f
	v.readable = true

	format, _ := formatOf(m.Version)
	codec, err := format.NewCodec(m.DedicatedColumns)
	if err != nil {
		v.rep.add(ProblemMetaUnparseable, "dedicated columns: %v", err)
		return
	}
	var want, got []string
	describeSchema(codec.WriteSchema(), "", &want)
	describeSchema(f.Schema(), "", &got)
	if i := firstDiff(want, got); i >= 0 {
		v.rep.add(ProblemSchema, "not the %s schema for its dedicated columns: node %d is %q, want %q", m.Version, i, at(got, i), at(want, i))
		v.readable = false
		return
	}
	read := codec.ReadSchema()
	var conv parquet.Conversion
	if !parquet.EqualNodes(read, f.Schema()) {
		if conv, err = parquet.Convert(read, f.Schema()); err != nil {
			v.rep.add(ProblemSchema, "%v", err)
			v.readable = false
			return
		}
	}
	if _, ok := f.Schema().Lookup("TraceID"); !ok {
		v.rep.add(ProblemSchema, "no TraceID column")
		v.readable = false
		return
	}
	v.conv = conv
	v.dataOK = true
	var last model.TraceID
	for g, rg := range f.RowGroups() {
		if err := ctx.Err(); err != nil {
			return
		}
		if conv != nil {
			rg = parquet.ConvertRowGroup(rg, conv)
		}
		n, lastInRG, err := v.readRowGroup(ctx, rg, codec, &last)
		v.rows += n
		if err != nil {
			v.dataOK = false
			v.rgBad = append(v.rgBad, g)
			v.rep.add(ProblemDataCorrupt, "row group %d: %d of %d rows read: %v", g, n, rg.NumRows(), err)
		}
		v.rgLast = append(v.rgLast, lastInRG)
	}
	v.rep.RowGroups = len(f.RowGroups())
	v.rep.Traces = v.rows
}

// readRowGroup decodes one row group, recovering from library panics.
func (v *verifier) readRowGroup(ctx context.Context, rg parquet.RowGroup, codec vparquet.Codec, last *model.TraceID) (n int64, lastID model.TraceID, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt data: %v", p)
		}
	}()
	rows := rg.Rows()
	defer rows.Close()
	buf := make([]parquet.Row, 16)
	var tr vparquet.Trace
	stalls := 0
	for {
		if err := ctx.Err(); err != nil {
			return n, lastID, err
		}
		k, rerr := rows.ReadRows(buf)
		// A corrupt file can make the library return no rows and no error
		// forever, or more rows than the footer declares.
		if k == 0 && rerr == nil {
			if stalls++; stalls > 3 {
				return n, lastID, errors.New("reading rows makes no progress")
			}
		}
		if n+int64(k) > rg.NumRows() {
			return n, lastID, fmt.Errorf("more rows than the %d the footer declares", rg.NumRows())
		}
		for _, row := range buf[:k] {
			if err := codec.Decode(row, &tr); err != nil {
				return n, lastID, err
			}
			if len(tr.TraceID) != 16 {
				v.rep.add(ProblemOrder, "row %d: trace ID of %d bytes", v.rows+n, len(tr.TraceID))
			}
			id := model.TraceIDFromBytes(tr.TraceID)
			if (v.rows > 0 || n > 0) && id.Compare(*last) <= 0 && !v.rep.has(ProblemOrder) {
				v.rep.add(ProblemOrder, "trace %s follows %s", id, *last)
			}
			*last, lastID = id, id
			if v.rows == 0 && n == 0 || tr.StartTimeUnixNano < v.minStart {
				v.minStart = tr.StartTimeUnixNano
			}
			v.maxEnd = max(v.maxEnd, tr.EndTimeUnixNano)
			v.ids = append(v.ids, id)
			n++
		}
		if errors.Is(rerr, io.EOF) {
			return n, lastID, nil
		}
		if rerr != nil {
			return n, lastID, rerr
		}
	}
}

func openParquet(ra io.ReaderAt, size int64) (f *parquet.File, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt footer: %v", p)
		}
	}()
	return parquet.OpenFile(ra, size, parquet.SkipBloomFilters(true))
}

// checkBloom tests every trace ID of the data against the bloom shards.
func (v *verifier) checkBloom(ctx context.Context) {
	m, d := v.meta, v.dir
	shards := int(m.BloomShardCount)
	if shards == 0 {
		shards = 10
	}
	v.bloomBits = make([][]byte, shards)
	for i := range shards {
		name := backend.BloomName(i)
		if !d.objects[name] {
			v.rep.add(ProblemBloom, "%s missing (meta says %d shards)", name, shards)
			continue
		}
		b, err := v.be.ReadObject(ctx, d.tenant, d.id, name)
		if err != nil {
			v.rep.add(ProblemBloom, "%s: %v", name, err)
			continue
		}
		if _, err := bloom.Test(b, make([]byte, 16)); err != nil {
			v.rep.add(ProblemBloom, "%s: %v", name, err)
			continue
		}
		v.bloomBits[i] = b
	}
	for name := range d.objects {
		if n, ok := strings.CutPrefix(name, "bloom-"); ok {
			if i, err := strconv.Atoi(n); err == nil && i >= shards {
				v.rep.add(ProblemBloom, "%s beyond the %d shards meta declares", name, shards)
			}
		}
	}
	misses, first := 0, model.TraceID{}
	for _, id := range v.ids {
		b := v.bloomBits[bloom.ShardFor(id[:], shards)]
		if b == nil {
			continue // reported above
		}
		if ok, _ := bloom.Test(b, id[:]); !ok {
			if misses == 0 {
				first = id
			}
			misses++
		}
	}
	if misses > 0 {
		v.rep.add(ProblemBloom, "%d trace(s) of the data are not in the bloom filter (first %s): lookups by ID miss them", misses, first)
	}
}

// checkIndex compares the row-group index with the data.
func (v *verifier) checkIndex(ctx context.Context) {
	d := v.dir
	if !d.objects[backend.IndexName] {
		v.rep.add(ProblemIndex, "no index object")
		return
	}
	b, err := v.be.ReadObject(ctx, d.tenant, d.id, backend.IndexName)
	if err != nil {
		v.rep.add(ProblemIndex, "%v", err)
		return
	}
	ids, err := backend.UnmarshalRowGroupIndex(b)
	if err != nil {
		v.rep.add(ProblemIndex, "%v", err)
		return
	}
	if v.file == nil || !v.dataOK {
		return
	}
	if !slices.Equal(ids, v.rgLast) {
		v.rep.add(ProblemIndex, "index lists %d row groups, does not match the data's %d (last trace IDs)", len(ids), len(v.rgLast))
	}
}

// checkMeta compares meta.json's figures with the data.
func (v *verifier) checkMeta() {
	m := v.meta
	if v.dataSize > 0 && m.Size != 0 && uint64(v.dataSize) > m.Size {
		v.rep.add(ProblemMetaMismatch, "size %d, data.parquet is %d bytes", m.Size, v.dataSize)
	}
	if v.file == nil || !v.dataOK {
		return
	}
	if m.TotalObjects != v.rows {
		v.rep.add(ProblemMetaMismatch, "totalObjects %d, data holds %d traces", m.TotalObjects, v.rows)
	}
	rgs := len(v.file.RowGroups())
	if int(m.TotalRecords) != rgs && int(m.TotalRecords) != rgs+1 {
		v.rep.add(ProblemMetaMismatch, "totalRecords %d, data has %d row groups", m.TotalRecords, rgs)
	}
	if v.rows > 0 {
		if m.StartTime.Unix() > int64(v.minStart/1e9) {
			v.rep.add(ProblemMetaMismatch, "startTime %s is after the first span (%s): queries miss it", m.StartTime.UTC().Format(time.RFC3339), time.Unix(0, int64(v.minStart)).UTC().Format(time.RFC3339Nano))
		}
		if m.EndTime.Unix() < int64(v.maxEnd/1e9) {
			v.rep.add(ProblemMetaMismatch, "endTime %s is before the last span end (%s): queries miss it", m.EndTime.UTC().Format(time.RFC3339), time.Unix(0, int64(v.maxEnd)).UTC().Format(time.RFC3339Nano))
		}
	}
}

// tenantIndex returns the tenant's index (nil when unreadable), cached.
func (v *verifier) tenantIndex(ctx context.Context) *backend.TenantIndex {
	t := v.dir.tenant
	if idx, ok := v.indexes[t]; ok {
		return idx
	}
	idx, err := v.be.ReadTenantIndex(ctx, t)
	if err != nil {
		idx = nil
	}
	v.indexes[t] = idx
	return idx
}

// repair fixes a block with a meta: rebuild, salvage or quarantine.
func (v *verifier) repair(ctx context.Context) {
	switch {
	case v.dataOK && !v.rep.has(ProblemOrder):
		if err := v.rebuild(ctx, v.meta); err != nil {
			v.rep.Repairs = append(v.rep.Repairs, "rebuild failed: "+err.Error())
		}
	case v.readable && len(v.rgBad) < len(v.rgLast) && !v.rep.has(ProblemOrder):
		if v.salvage(ctx) {
			v.quarantine(ctx, "the rest of the data is unreadable")
		} else {
			v.flagOnly(ctx)
		}
	default:
		v.quarantine(ctx, "data unreadable")
	}
}

// repairFromIndex handles a block whose meta.json is missing or unreadable:
// when the tenant index lists it as live and its data reads, meta.json is
// rebuilt from the index entry (the only other place that knows its
// dedicated columns) and the data; otherwise it is quarantined.
func (v *verifier) repairFromIndex(ctx context.Context) {
	idx := v.tenantIndex(ctx)
	var tmpl *backend.BlockMeta
	if idx != nil {
		for _, m := range idx.Meta {
			if m.BlockID == v.dir.id {
				tmpl = m
			}
		}
	}
	if tmpl == nil {
		v.quarantine(ctx, "no meta to rebuild from (the tenant index does not list it as live)")
		return
	}
	c := *tmpl
	v.meta = &c
	v.rep.Version = c.Version
	v.checkData(ctx)
	if !v.dataOK || v.rep.has(ProblemOrder) {
		v.quarantine(ctx, "data unreadable")
		return
	}
	if err := v.rebuild(ctx, &c); err != nil {
		v.rep.Repairs = append(v.rep.Repairs, "rebuild failed: "+err.Error())
		return
	}
	v.rep.Repairs = append(v.rep.Repairs, "meta.json restored from the tenant index entry")
}

// rebuild writes bloom, index and meta from the data: shards, index, then
// meta.json last, as a block is written. Stray shards are deleted after.
func (v *verifier) rebuild(ctx context.Context, m *backend.BlockMeta) error {
	d := v.dir
	restore := !d.objects[backend.MetaName] || v.rep.has(ProblemMetaUnparseable)
	shardCount := int(m.BloomShardCount)
	if restore || v.rep.has(ProblemBloom) {
		bf := bloom.New(v.o.Block.BloomFP, v.o.Block.BloomShardSizeBytes, len(v.ids))
		for _, id := range v.ids {
			bf.Add(id[:])
		}
		shards, err := bf.Marshal()
		if err != nil {
			return err
		}
		for i, s := range shards {
			if err := v.be.WriteObjectBytes(ctx, d.tenant, d.id, backend.BloomName(i), s); err != nil {
				return err
			}
		}
		shardCount = len(shards)
		v.rep.Repairs = append(v.rep.Repairs, fmt.Sprintf("rebuilt bloom (%d shard(s)) from the data's trace IDs", len(shards)))
	}
	if restore || v.rep.has(ProblemIndex) {
		idx, err := backend.MarshalRowGroupIndex(v.rgLast)
		if err != nil {
			return err
		}
		if err := v.be.WriteObjectBytes(ctx, d.tenant, d.id, backend.IndexName, idx); err != nil {
			return err
		}
		v.rep.Repairs = append(v.rep.Repairs, "rebuilt index from the data's row groups")
	}
	nm := *m
	nm.BlockID, nm.TenantID = d.id, d.tenant
	nm.TotalObjects = v.rows
	nm.Size = uint64(v.dataSize)
	nm.TotalRecords = uint32(len(v.rgLast))
	nm.BloomShardCount = uint32(shardCount)
	if f := v.footerSize(); f > 0 {
		nm.FooterSize = f
	}
	if v.rows > 0 {
		if s := time.Unix(int64(v.minStart/1e9), 0).UTC(); nm.StartTime.After(s) {
			nm.StartTime = s
		}
		if e := time.Unix(int64(v.maxEnd/1e9), 0).UTC(); nm.EndTime.Before(e) {
			nm.EndTime = e
		}
	}
	old, _ := backend.MarshalMeta(m)
	now, _ := backend.MarshalMeta(&nm)
	if restore || !bytes.Equal(old, now) {
		if err := v.be.WriteMeta(ctx, &nm); err != nil {
			return err
		}
		v.rep.Repairs = append(v.rep.Repairs, "rewrote meta.json with the data's figures")
	}
	for name := range d.objects {
		if n, ok := strings.CutPrefix(name, "bloom-"); ok {
			if i, err := strconv.Atoi(n); err == nil && i >= shardCount {
				_ = v.be.Bucket().Delete(ctx, backend.ObjectKey(d.tenant, d.id, name))
			}
		}
	}
	return nil
}

func (v *verifier) footerSize() uint32 {
	if v.file == nil {
		return 0
	}
	ra := v.be.ReaderAt(context.Background(), v.dir.tenant, v.dir.id, backend.DataName, v.dataSize)
	if c, ok := ra.(io.Closer); ok {
		defer c.Close()
	}
	var tail [8]byte
	if _, err := ra.ReadAt(tail[:], v.dataSize-8); err != nil && !errors.Is(err, io.EOF) {
		return 0
	}
	return binary.LittleEndian.Uint32(tail[:4])
}

// salvage copies the readable row groups of a partly corrupt block into a
// new block (same format, dedicated columns and level), named from the
// corrupt one so a re-run finds it instead of writing it twice.
func (v *verifier) salvage(ctx context.Context) bool {
	m := v.meta
	format, _ := formatOf(m.Version)
	codec, err := format.NewCodec(m.DedicatedColumns)
	if err != nil {
		return false
	}
	src := func(ctx context.Context, fn func(model.TraceID, ptrace.Traces) error) error {
		return v.readGood(ctx, codec, fn)
	}
	cfg := v.o.Block
	cfg.Version, cfg.DedicatedColumns = m.Version, m.DedicatedColumns
	cfg.ReplicationFactor, cfg.CompactionLevel = m.ReplicationFactor, m.CompactionLevel
	j := &outputJob{tenant: m.TenantID, inputs: []*backend.BlockMeta{m}, key: "salvage", block: cfg, noMark: true}
	res, err := j.runSources(ctx, v.be, []TraceSource{src})
	if err != nil {
		v.rep.Repairs = append(v.rep.Repairs, "salvage failed: "+err.Error())
		return false
	}
	outs := append(res.Reused, res.Outputs...)
	if len(outs) > 0 {
		v.rep.Salvaged = outs[0]
		v.rep.Repairs = append(v.rep.Repairs, fmt.Sprintf("salvaged %d readable trace(s) into block %s", res.Stats.TracesOut, outs[0].BlockID))
	}
	return true
}

// flagOnly keeps a partly readable block queryable but out of compaction,
// when its readable part could not be salvaged.
func (v *verifier) flagOnly(ctx context.Context) {
	if v.dir.objects[backend.NoCompactFlagName] {
		return
	}
	if err := v.be.WriteNoCompactFlag(ctx, v.dir.tenant, v.dir.id); err != nil {
		v.rep.Repairs = append(v.rep.Repairs, "write nocompact.flg failed: "+err.Error())
		return
	}
	v.rep.Repairs = append(v.rep.Repairs, "wrote nocompact.flg so compaction skips it; it stays queryable")
}

// quarantine flags the block with nocompact.flg and moves meta.json (when
// there is one) to meta.quarantined.json, out of the query path.
func (v *verifier) quarantine(ctx context.Context, why string) {
	d := v.dir
	msg := "quarantined"
	if why != "" {
		msg += " (" + why + ")"
	}
	if !d.objects[backend.NoCompactFlagName] {
		if err := v.be.WriteNoCompactFlag(ctx, d.tenant, d.id); err != nil {
			v.rep.Repairs = append(v.rep.Repairs, "quarantine failed: write nocompact.flg: "+err.Error())
			return
		}
	}
	msg += ": wrote nocompact.flg"
	if d.objects[backend.MetaName] {
		b, err := v.be.ReadObject(ctx, d.tenant, d.id, backend.MetaName)
		if err == nil {
			err = v.be.WriteObjectBytes(ctx, d.tenant, d.id, QuarantineMetaName, b)
		}
		if err == nil {
			err = v.be.Bucket().Delete(ctx, backend.ObjectKey(d.tenant, d.id, backend.MetaName))
		}
		if err != nil {
			v.rep.Repairs = append(v.rep.Repairs, "quarantine failed: move meta.json: "+err.Error())
			return
		}
		msg += ", moved meta.json to " + QuarantineMetaName
	} else {
		msg += "; it has no meta.json, so no reader lists it"
	}
	v.rep.Quarantined = true
	v.rep.Repairs = append(v.rep.Repairs, msg)
}

// describeSchema renders a schema node by node (name, repetition, type).
func describeSchema(n parquet.Node, p string, out *[]string) {
	rep := "required"
	switch {
	case n.Repeated():
		rep = "repeated"
	case n.Optional():
		rep = "optional"
	}
	lt := ""
	if l := n.Type().LogicalType(); l != nil {
		lt = " " + l.String()
	}
	if n.Leaf() {
		*out = append(*out, fmt.Sprintf("%s %s %s%s", p, rep, n.Type().Kind(), lt))
		return
	}
	*out = append(*out, fmt.Sprintf("%s %s group%s", p, rep, lt))
	for _, f := range n.Fields() {
		describeSchema(f, strings.TrimPrefix(path.Join(p, f.Name()), "/"), out)
	}
}

func firstDiff(a, b []string) int {
	for i := 0; i < max(len(a), len(b)); i++ {
		if at(a, i) != at(b, i) {
			return i
		}
	}
	return -1
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(none)"
}

// readGood yields the traces of the row groups that decoded cleanly.
func (v *verifier) readGood(ctx context.Context, codec vparquet.Codec, fn func(model.TraceID, ptrace.Traces) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt data: %v", p)
		}
	}()
	buf := make([]parquet.Row, 16)
	var tr vparquet.Trace
	for g, rg := range v.file.RowGroups() {
		if slices.Contains(v.rgBad, g) {
			continue
		}
		if v.conv != nil {
			rg = parquet.ConvertRowGroup(rg, v.conv)
		}
		rows := rg.Rows()
		for {
			k, rerr := rows.ReadRows(buf)
			for _, row := range buf[:k] {
				if err := codec.Decode(row, &tr); err != nil {
					rows.Close()
					return err
				}
				if err := fn(model.TraceIDFromBytes(tr.TraceID), vparquet.ToOTLP(&tr, codec.Assignment())); err != nil {
					rows.Close()
					return err
				}
			}
			if errors.Is(rerr, io.EOF) {
				break
			}
			if rerr != nil {
				rows.Close()
				return rerr
			}
		}
		rows.Close()
	}
	return nil
}
