package blocktools

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
)

// DefaultImportMaxBlockBytes bounds each imported block (OTLP bytes).
const DefaultImportMaxBlockBytes = 500 << 20

// ImportConfig configures a backfill.
type ImportConfig struct {
	Tenant string
	Block  block.Config
	// MaxBlockBytes cuts a new block when the traces in it exceed this many
	// OTLP bytes (default 500 MiB).
	MaxBlockBytes uint64
	// MaxBlockDuration cuts a new block when its traces' starts span more
	// than this (0: no limit).
	MaxBlockDuration time.Duration
}

// Importer collects traces, combining parts of the same trace, and writes
// them as blocks.
type Importer struct {
	traces map[model.TraceID]ptrace.Traces
	spans  int
}

// NewImporter returns an empty importer.
func NewImporter() *Importer { return &Importer{traces: map[model.TraceID]ptrace.Traces{}} }

// Add takes spans of any number of traces.
func (im *Importer) Add(td ptrace.Traces) {
	ids, parts := model.SplitByTraceID(td)
	for _, id := range ids {
		im.spans += parts[id].SpanCount()
		if prev, ok := im.traces[id]; ok {
			im.traces[id] = model.Combine(prev, parts[id])
			continue
		}
		im.traces[id] = parts[id]
	}
}

// Traces and Spans added so far.
func (im *Importer) Traces() int { return len(im.traces) }
func (im *Importer) Spans() int  { return im.spans }

type importTrace struct {
	id    model.TraceID
	start uint64
	size  uint64
}

// Write partitions the traces by start time into blocks of at most
// MaxBlockBytes (and MaxBlockDuration), writes each block sorted by trace ID,
// then rewrites the tenant index.
func (im *Importer) Write(ctx context.Context, be *backend.Backend, cfg ImportConfig) ([]*backend.BlockMeta, error) {
	if len(im.traces) == 0 {
		return nil, nil
	}
	if cfg.MaxBlockBytes == 0 {
		cfg.MaxBlockBytes = DefaultImportMaxBlockBytes
	}
	var sizer ptrace.ProtoMarshaler
	all := make([]importTrace, 0, len(im.traces))
	for id, td := range im.traces {
		start, _, _ := model.TimeRange(td)
		all = append(all, importTrace{id: id, start: start, size: uint64(sizer.TracesSize(td))})
	}
	slices.SortFunc(all, func(a, b importTrace) int {
		if a.start != b.start {
			if a.start < b.start {
				return -1
			}
			return 1
		}
		return a.id.Compare(b.id)
	})
	var groups [][]importTrace
	var cur []importTrace
	var curBytes uint64
	for _, t := range all {
		if len(cur) > 0 && (curBytes+t.size > cfg.MaxBlockBytes ||
			(cfg.MaxBlockDuration > 0 && t.start-cur[0].start > uint64(cfg.MaxBlockDuration))) {
			groups = append(groups, cur)
			cur, curBytes = nil, 0
		}
		cur = append(cur, t)
		curBytes += t.size
	}
	groups = append(groups, cur)

	var metas []*backend.BlockMeta
	for _, g := range groups {
		slices.SortFunc(g, func(a, b importTrace) int { return a.id.Compare(b.id) })
		w, err := block.NewWriter(ctx, be, cfg.Tenant, cfg.Block)
		if err != nil {
			return metas, err
		}
		for _, t := range g {
			if err := w.Add(ctx, t.id, im.traces[t.id]); err != nil {
				w.Abort(ctx)
				return metas, err
			}
		}
		m, err := w.Close(ctx)
		if err != nil {
			w.Abort(ctx)
			return metas, err
		}
		metas = append(metas, m)
	}
	return metas, RewriteTenantIndex(ctx, be, cfg.Tenant)
}

// RewriteTenantIndex lists the tenant's blocks and writes its index.
func RewriteTenantIndex(ctx context.Context, be *backend.Backend, tenant string) error {
	live, compacted, _, err := be.PollBlocks(ctx, tenant)
	if err != nil {
		return err
	}
	return be.WriteTenantIndex(ctx, tenant, live, compacted)
}

// ReadTraceFile reads OTLP traces: JSON lines (one TracesData per line, as the
// Collector's file exporter writes) or one binary OTLP protobuf message
// (TracesData or ExportTraceServiceRequest). Bad JSON lines are returned and
// skipped; a bad protobuf file is an error.
func ReadTraceFile(r io.Reader, fn func(td ptrace.Traces) error) ([]model.LineError, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	first, err := firstNonSpace(br)
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if first == '{' {
		return model.ReadOTLPJSONLines(br, func(_ int, td ptrace.Traces) error { return fn(td) })
	}
	raw, err := io.ReadAll(br)
	if err != nil {
		return nil, err
	}
	var u ptrace.ProtoUnmarshaler
	td, err := u.UnmarshalTraces(raw)
	if err != nil {
		return nil, fmt.Errorf("not OTLP JSON lines nor OTLP protobuf: %w", err)
	}
	return nil, fn(td)
}

func firstNonSpace(br *bufio.Reader) (byte, error) {
	for i := 1; ; i++ {
		b, err := br.Peek(i)
		if err != nil {
			return 0, err
		}
		if c := b[i-1]; !bytes.ContainsRune([]byte(" \t\r\n"), rune(c)) {
			return c, nil
		}
	}
}
