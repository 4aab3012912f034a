package blocktools

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/parquet-go/parquet-go"

	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

// Inspection describes one block's insides.
type Inspection struct {
	Meta             *backend.BlockMeta `json:"meta"`
	Compacted        bool               `json:"compacted"`
	DataSize         int64              `json:"dataSize"`
	Spans            int64              `json:"spans"`
	RowGroups        []RowGroupInfo     `json:"rowGroups"`
	Columns          []ColumnInfo       `json:"columns"`
	DedicatedColumns []DedicatedInfo    `json:"dedicatedColumns"`
	BloomShards      []BloomShardInfo   `json:"bloomShards"`
	CreatedBy        string             `json:"createdBy"`
}

// RowGroupInfo is one row group.
type RowGroupInfo struct {
	Rows             int64  `json:"rows"`
	CompressedSize   int64  `json:"compressedSize"`
	UncompressedSize int64  `json:"uncompressedSize"`
	FirstTraceID     string `json:"firstTraceID"`
	LastTraceID      string `json:"lastTraceID"`
}

// ColumnInfo sums one leaf column over all row groups.
type ColumnInfo struct {
	Path             string `json:"path"`
	CompressedSize   int64  `json:"compressedSize"`
	UncompressedSize int64  `json:"uncompressedSize"`
	Codec            string `json:"codec"`
}

// DedicatedInfo is a dedicated attribute and the slot it uses.
type DedicatedInfo struct {
	Scope  string `json:"scope"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Column string `json:"column"`
}

// BloomShardInfo is one bloom-N object.
type BloomShardInfo struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// Inspect reads a block's meta, parquet footer, span count and bloom shards.
func Inspect(ctx context.Context, be *backend.Backend, tenant string, id uuid.UUID) (*Inspection, error) {
	ins := &Inspection{}
	meta, err := be.ReadMeta(ctx, tenant, id)
	if err != nil {
		cm, cerr := be.ReadCompactedMeta(ctx, tenant, id)
		if cerr != nil {
			return nil, err
		}
		meta, ins.Compacted = &cm.BlockMeta, true
	}
	ins.Meta = meta
	r, err := block.OpenParquet(ctx, be, meta)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f := r.File()
	ins.DataSize = f.Size()
	ins.CreatedBy = f.Metadata().CreatedBy

	cols := map[string]*ColumnInfo{}
	var order []string
	for _, rg := range f.Metadata().RowGroups {
		info := RowGroupInfo{Rows: rg.NumRows}
		for _, c := range rg.Columns {
			info.UncompressedSize += c.MetaData.TotalUncompressedSize
			info.CompressedSize += c.MetaData.TotalCompressedSize
			p := strings.Join(c.MetaData.PathInSchema, ".")
			ci, ok := cols[p]
			if !ok {
				ci = &ColumnInfo{Path: p, Codec: c.MetaData.Codec.String()}
				cols[p] = ci
				order = append(order, p)
			}
			ci.CompressedSize += c.MetaData.TotalCompressedSize
			ci.UncompressedSize += c.MetaData.TotalUncompressedSize
		}
		ins.RowGroups = append(ins.RowGroups, info)
	}
	for i, rg := range f.RowGroups() {
		if lo, hi, ok := traceIDBounds(rg); ok {
			ins.RowGroups[i].FirstTraceID, ins.RowGroups[i].LastTraceID = lo, hi
		}
	}
	for _, p := range order {
		ins.Columns = append(ins.Columns, *cols[p])
	}
	slices.SortStableFunc(ins.Columns, func(a, b ColumnInfo) int {
		switch {
		case a.CompressedSize > b.CompressedSize:
			return -1
		case a.CompressedSize < b.CompressedSize:
			return 1
		}
		return 0
	})
	if ins.Spans, err = countSpans(f); err != nil {
		return nil, err
	}
	a := r.Assignment()
	for _, s := range []struct {
		scope string
		slots vparquet.ScopeSlots
	}{{vparquet.ScopeResource, a.Resource}, {vparquet.ScopeSpan, a.Span}, {vparquet.ScopeEvent, a.Event}} {
		for _, sl := range s.slots {
			typ := vparquet.TypeString
			if sl.Int {
				typ = vparquet.TypeInt
			}
			ins.DedicatedColumns = append(ins.DedicatedColumns, DedicatedInfo{Scope: s.scope, Name: sl.Name, Type: typ, Column: sl.Column()})
		}
	}
	shards := max(int(meta.BloomShardCount), 1)
	for i := 0; i < shards; i++ {
		size, err := be.ObjectSize(ctx, tenant, id, backend.BloomName(i))
		if err != nil {
			return nil, err
		}
		ins.BloomShards = append(ins.BloomShards, BloomShardInfo{Name: backend.BloomName(i), Size: size})
	}
	return ins, nil
}

func traceIDBounds(rg parquet.RowGroup) (string, string, bool) {
	col, ok := rg.Schema().Lookup("TraceID")
	if !ok {
		return "", "", false
	}
	fc, ok := rg.ColumnChunks()[col.ColumnIndex].(*parquet.FileColumnChunk)
	if !ok {
		return "", "", false
	}
	lo, hi, ok := fc.Bounds()
	if !ok {
		return "", "", false
	}
	return hexID(lo.ByteArray()), hexID(hi.ByteArray()), true
}

func hexID(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&0xf])
	}
	return string(out)
}

// countSpans counts span IDs: values of the Spans.SpanID leaf at its maximum
// definition level (lower levels are empty lists).
func countSpans(f *parquet.File) (int64, error) {
	leaf := -1
	var maxDef int
	for i, p := range f.Schema().Columns() {
		if p[len(p)-1] == "SpanID" && slices.Contains(p, "Spans") && !slices.Contains(p, "Links") {
			leaf = i
			c, _ := f.Schema().Lookup(p...)
			maxDef = c.MaxDefinitionLevel
		}
	}
	if leaf < 0 {
		return 0, errors.New("data.parquet has no span ID column")
	}
	var n int64
	vals := make([]parquet.Value, 1024)
	for _, rg := range f.RowGroups() {
		pages := rg.ColumnChunks()[leaf].Pages()
		for {
			p, err := pages.ReadPage()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				pages.Close()
				return 0, err
			}
			vr := p.Values()
			for {
				k, err := vr.ReadValues(vals)
				for _, v := range vals[:k] {
					if v.DefinitionLevel() == maxDef {
						n++
					}
				}
				if err != nil {
					break
				}
			}
			parquet.Release(p)
		}
		pages.Close()
	}
	return n, nil
}
