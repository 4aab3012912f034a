package blocktools

import (
	"bytes"
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/parquet-go/parquet-go"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
	"github.com/tempoctl/tempoctl/storage/vparquet4"
	"github.com/tempoctl/tempoctl/storage/vparquet5"
)

// formatOf maps a meta.json format to its codec family. blocktools needs
// this below storage/block's API for two things block does not offer:
// writing a block under a chosen ID (crash-safe re-runs) and decoding row
// groups one by one (verify, salvage).
func formatOf(version string) (vparquet.Format, error) {
	switch version {
	case "", backend.VersionVParquet5:
		return vparquet5.Format, nil
	case backend.VersionVParquet4:
		return vparquet4.Format, nil
	}
	return nil, fmt.Errorf("unsupported block format %q (supported: vParquet5, vParquet4)", version)
}

// newWriter is block.NewWriter with a fixed block ID.
func newWriter(be *backend.Backend, tenant string, id uuid.UUID, cfg block.Config) (*vparquet.Writer, error) {
	f, err := formatOf(cfg.Version)
	if err != nil {
		return nil, err
	}
	rf := cfg.ReplicationFactor
	if rf == 0 {
		rf = 1
	}
	return vparquet.NewWriter(be, f, vparquet.WriterConfig{
		Tenant:              tenant,
		BlockID:             id,
		DedicatedColumns:    cfg.DedicatedColumns,
		RowGroupSizeBytes:   cfg.RowGroupSizeBytes,
		BloomFP:             cfg.BloomFP,
		BloomShardSizeBytes: cfg.BloomShardSizeBytes,
		CompactionLevel:     cfg.CompactionLevel,
		ReplicationFactor:   rf,
	})
}

// lastTraceID is the largest trace ID of a complete block: from its
// row-group index, else from the data's footer statistics.
func lastTraceID(ctx context.Context, be *backend.Backend, m *backend.BlockMeta) (model.TraceID, error) {
	if b, err := be.ReadObject(ctx, m.TenantID, m.BlockID, backend.IndexName); err == nil {
		if ids, err := backend.UnmarshalRowGroupIndex(b); err == nil && len(ids) > 0 {
			return ids[len(ids)-1], nil
		}
	}
	r, err := block.OpenParquet(ctx, be, m)
	if err != nil {
		return model.TraceID{}, err
	}
	defer r.Close()
	f := r.File()
	col, ok := f.Schema().Lookup("TraceID")
	if !ok {
		return model.TraceID{}, fmt.Errorf("block %s: no TraceID column", m.BlockID)
	}
	var last []byte
	for _, rg := range f.RowGroups() {
		if _, hi, ok := rg.ColumnChunks()[col.ColumnIndex].(*parquet.FileColumnChunk).Bounds(); ok {
			if b := hi.ByteArray(); bytes.Compare(b, last) > 0 {
				last = bytes.Clone(b)
			}
		}
	}
	if last == nil {
		return model.TraceID{}, fmt.Errorf("block %s: no trace ID statistics", m.BlockID)
	}
	return model.TraceIDFromBytes(last), nil
}
