package jaeger

import (
	"context"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/blocktools"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
)

// BucketSink writes blocks straight into a bucket through blocktools'
// importer: each flush partitions its traces by start time into blocks of
// at most MaxBlockBytes (and MaxBlockDuration), so every block's meta
// start/end covers exactly its traces, and rewrites the tenant index, so
// the traces are searchable as soon as the flush returns.
type BucketSink struct {
	be      *backend.Backend
	cfg     blocktools.ImportConfig
	im      *blocktools.Importer
	bytes   uint64
	sizer   ptrace.ProtoMarshaler
	dirty   bool // a recovery found blocks the index may not list
	indexed bool // the index was rebuilt from a listing for Has
	flushAt uint64
}

// NewBucketSink writes for cfg.Tenant; a flush is due once the buffer holds
// cfg.MaxBlockBytes of OTLP protobuf.
func NewBucketSink(be *backend.Backend, cfg blocktools.ImportConfig) *BucketSink {
	if cfg.MaxBlockBytes == 0 {
		cfg.MaxBlockBytes = blocktools.DefaultImportMaxBlockBytes
	}
	return &BucketSink{be: be, cfg: cfg, im: blocktools.NewImporter(), flushAt: cfg.MaxBlockBytes}
}

func (s *BucketSink) Describe() string { return "bucket tenant " + s.cfg.Tenant }

func (s *BucketSink) Add(tr Trace) {
	s.im.Add(tr.Data)
	s.bytes += uint64(s.sizer.TracesSize(tr.Data))
}

func (s *BucketSink) Full() bool    { return s.bytes >= s.flushAt }
func (s *BucketSink) Buffered() int { return s.im.Traces() }

func (s *BucketSink) Flush(ctx context.Context) (FlushResult, error) {
	if s.im.Traces() == 0 {
		return FlushResult{}, nil
	}
	metas, err := s.im.Write(ctx, s.be, s.cfg)
	var res FlushResult
	for _, m := range metas {
		res.Blocks = append(res.Blocks, BlockInfo{ID: m.BlockID.String(), Start: m.StartTime, End: m.EndTime, Traces: m.TotalObjects, Size: m.Size})
		res.Bytes += m.Size
	}
	if err != nil {
		// Blocks written before the failure stay (each is complete and
		// listed by the next index rewrite); the checkpoint's pending flush
		// finds their traces on resume.
		return res, err
	}
	s.im = blocktools.NewImporter()
	s.bytes = 0
	s.dirty = false
	return res, nil
}

// Has looks a trace up. A crash can come after a flush's blocks and before
// the tenant index names them, so the index is first rebuilt from a listing
// of the bucket (FindTrace trusts a fresh index).
func (s *BucketSink) Has(ctx context.Context, id model.TraceID) (bool, bool, error) {
	if !s.indexed {
		if err := blocktools.RewriteTenantIndex(ctx, s.be, s.cfg.Tenant); err != nil {
			return false, true, err
		}
		s.indexed = true
	}
	res, err := blocktools.FindTrace(ctx, s.be, s.cfg.Tenant, id)
	if err != nil {
		return false, true, err
	}
	if res.Found {
		s.dirty = true
	}
	return res.Found, true, nil
}

func (s *BucketSink) ReadTrace(ctx context.Context, id model.TraceID) (ptrace.Traces, bool, error) {
	res, err := blocktools.FindTrace(ctx, s.be, s.cfg.Tenant, id)
	if err != nil {
		return ptrace.Traces{}, false, err
	}
	return res.Trace, res.Found, nil
}

func (s *BucketSink) Close(ctx context.Context) error {
	if s.dirty {
		return blocktools.RewriteTenantIndex(ctx, s.be, s.cfg.Tenant)
	}
	return nil
}
