package backend

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"time"

	"github.com/google/uuid"
	"github.com/klauspost/compress/zstd"
	"google.golang.org/protobuf/encoding/protowire"
)

// TenantIndex is the content of index.json.gz / index.pb.zst (§5).
type TenantIndex struct {
	CreatedAt time.Time             `json:"created_at"`
	Meta      []*BlockMeta          `json:"meta"`
	Compacted []*CompactedBlockMeta `json:"compacted"`
}

// maxIndexBytes bounds a decompressed tenant index: a corrupt or hostile
// object must not exhaust memory.
const maxIndexBytes = 1 << 30

// WriteTenantIndex writes index.json.gz and index.pb.zst for tenant; with no
// blocks at all both are deleted, as Tempo does.
func (b *Backend) WriteTenantIndex(ctx context.Context, tenant string, metas []*BlockMeta, compacted []*CompactedBlockMeta) error {
	if len(metas) == 0 && len(compacted) == 0 {
		for _, name := range []string{TenantIndexJSON, TenantIndexProto} {
			if err := b.bkt.Delete(ctx, path.Join(tenant, name)); err != nil && !b.notFound(err) {
				return fmt.Errorf("delete tenant index %s/%s: %w", tenant, name, err)
			}
		}
		return nil
	}
	idx := &TenantIndex{CreatedAt: time.Now().UTC(), Meta: metas, Compacted: compacted}
	if idx.Meta == nil {
		idx.Meta = []*BlockMeta{}
	}
	if idx.Compacted == nil {
		idx.Compacted = []*CompactedBlockMeta{}
	}
	js, err := MarshalTenantIndexJSON(idx)
	if err != nil {
		return err
	}
	pb, err := MarshalTenantIndexProto(idx)
	if err != nil {
		return err
	}
	// The protobuf one is read first by Tempo; write it last so a reader
	// never takes a new .pb.zst next to a missing .json.gz.
	if err := b.bkt.Upload(ctx, path.Join(tenant, TenantIndexJSON), bytes.NewReader(js)); err != nil {
		return fmt.Errorf("write tenant index %s: %w", tenant, err)
	}
	if err := b.bkt.Upload(ctx, path.Join(tenant, TenantIndexProto), bytes.NewReader(pb)); err != nil {
		return fmt.Errorf("write tenant index %s: %w", tenant, err)
	}
	return nil
}

// ReadTenantIndex reads the tenant index (pb.zst first, then json.gz).
func (b *Backend) ReadTenantIndex(ctx context.Context, tenant string) (*TenantIndex, error) {
	pb, perr := b.readKey(ctx, path.Join(tenant, TenantIndexProto))
	if perr == nil {
		idx, err := UnmarshalTenantIndexProto(pb)
		if err == nil {
			return idx, nil
		}
		perr = err
	}
	js, jerr := b.readKey(ctx, path.Join(tenant, TenantIndexJSON))
	if jerr != nil {
		if errors.Is(perr, ErrDoesNotExist) && errors.Is(jerr, ErrDoesNotExist) {
			return nil, fmt.Errorf("tenant index of %s: %w", tenant, ErrDoesNotExist)
		}
		return nil, fmt.Errorf("tenant index of %s: %v; %w", tenant, perr, jerr)
	}
	return UnmarshalTenantIndexJSON(js)
}

// MarshalTenantIndexJSON encodes index.json.gz (gzip with FNAME index.json).
func MarshalTenantIndexJSON(idx *TenantIndex) ([]byte, error) {
	js, err := json.Marshal(idx)
	if err != nil {
		return nil, fmt.Errorf("encode tenant index: %w", err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Name = "index.json"
	if _, err := zw.Write(js); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// UnmarshalTenantIndexJSON decodes index.json.gz.
func UnmarshalTenantIndexJSON(b []byte) (*TenantIndex, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decode tenant index json: %w", err)
	}
	js, err := io.ReadAll(io.LimitReader(zr, maxIndexBytes))
	if err != nil {
		return nil, fmt.Errorf("decode tenant index json: %w", err)
	}
	var idx TenantIndex
	if err := json.Unmarshal(js, &idx); err != nil {
		return nil, fmt.Errorf("decode tenant index json: %w", err)
	}
	for i, m := range idx.Meta {
		if m == nil {
			return nil, fmt.Errorf("decode tenant index json: meta %d is null", i)
		}
	}
	for i, m := range idx.Compacted {
		if m == nil {
			return nil, fmt.Errorf("decode tenant index json: compacted %d is null", i)
		}
	}
	return &idx, nil
}

// Protobuf field numbers of backend.v1 (§5).
const (
	fIdxCreatedAt      = 1
	fIdxMeta           = 2
	fIdxCompacted      = 3
	fMetaVersion       = 1
	fMetaBlockID       = 2
	fMetaTenantID      = 5
	fMetaStart         = 6
	fMetaEnd           = 7
	fMetaTotalObjects  = 8
	fMetaSize          = 9
	fMetaLevel         = 10
	fMetaIndexPageSize = 12
	fMetaTotalRecords  = 13
	fMetaBloomShards   = 15
	fMetaFooterSize    = 16
	fMetaDedicated     = 17
	fMetaRF            = 18
	fCompactedMeta     = 1
	fCompactedTime     = 2
)

func appendTimestamp(b []byte, num protowire.Number, t time.Time) []byte {
	var ts []byte
	if s := t.Unix(); s != 0 {
		ts = protowire.AppendTag(ts, 1, protowire.VarintType)
		ts = protowire.AppendVarint(ts, uint64(s))
	}
	if n := t.Nanosecond(); n != 0 {
		ts = protowire.AppendTag(ts, 2, protowire.VarintType)
		ts = protowire.AppendVarint(ts, uint64(n))
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, ts)
}

func appendUint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func marshalMetaProto(m *BlockMeta) ([]byte, error) {
	var b []byte
	b = appendBytes(b, fMetaVersion, []byte(m.Version))
	b = appendBytes(b, fMetaBlockID, m.BlockID[:])
	b = appendBytes(b, fMetaTenantID, []byte(m.TenantID))
	b = appendTimestamp(b, fMetaStart, m.StartTime)
	b = appendTimestamp(b, fMetaEnd, m.EndTime)
	b = appendUint(b, fMetaTotalObjects, uint64(m.TotalObjects))
	b = appendUint(b, fMetaSize, m.Size)
	b = appendUint(b, fMetaLevel, uint64(m.CompactionLevel))
	b = appendUint(b, fMetaIndexPageSize, uint64(m.IndexPageSize))
	b = appendUint(b, fMetaTotalRecords, uint64(m.TotalRecords))
	b = appendUint(b, fMetaBloomShards, uint64(m.BloomShardCount))
	b = appendUint(b, fMetaFooterSize, uint64(m.FooterSize))
	if len(m.DedicatedColumns) > 0 {
		dc, err := json.Marshal(m.DedicatedColumns)
		if err != nil {
			return nil, err
		}
		b = appendBytes(b, fMetaDedicated, dc)
	}
	b = appendUint(b, fMetaRF, uint64(m.ReplicationFactor))
	return b, nil
}

// MarshalTenantIndexProto encodes index.pb.zst.
func MarshalTenantIndexProto(idx *TenantIndex) ([]byte, error) {
	var b []byte
	b = appendTimestamp(b, fIdxCreatedAt, idx.CreatedAt)
	for _, m := range idx.Meta {
		mb, err := marshalMetaProto(m)
		if err != nil {
			return nil, err
		}
		b = protowire.AppendTag(b, fIdxMeta, protowire.BytesType)
		b = protowire.AppendBytes(b, mb)
	}
	for _, c := range idx.Compacted {
		mb, err := marshalMetaProto(&c.BlockMeta)
		if err != nil {
			return nil, err
		}
		var cb []byte
		cb = protowire.AppendTag(cb, fCompactedMeta, protowire.BytesType)
		cb = protowire.AppendBytes(cb, mb)
		cb = appendTimestamp(cb, fCompactedTime, c.CompactedTime)
		b = protowire.AppendTag(b, fIdxCompacted, protowire.BytesType)
		b = protowire.AppendBytes(b, cb)
	}
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		return nil, err
	}
	defer enc.Close()
	return enc.EncodeAll(b, nil), nil
}

// UnmarshalTenantIndexProto decodes index.pb.zst.
func UnmarshalTenantIndexProto(z []byte) (*TenantIndex, error) {
	dec, err := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(maxIndexBytes))
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	b, err := dec.DecodeAll(z, nil)
	if err != nil {
		return nil, fmt.Errorf("decode tenant index proto: zstd: %w", err)
	}
	idx := &TenantIndex{Meta: []*BlockMeta{}, Compacted: []*CompactedBlockMeta{}}
	err = walkFields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		switch {
		case num == fIdxCreatedAt && typ == protowire.BytesType:
			t, err := parseTimestamp(v)
			idx.CreatedAt = t
			return err
		case num == fIdxMeta && typ == protowire.BytesType:
			m, err := unmarshalMetaProto(v)
			if err != nil {
				return err
			}
			idx.Meta = append(idx.Meta, m)
		case num == fIdxCompacted && typ == protowire.BytesType:
			c := &CompactedBlockMeta{}
			err := walkFields(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
				switch {
				case num == fCompactedMeta && typ == protowire.BytesType:
					m, err := unmarshalMetaProto(v)
					if err != nil {
						return err
					}
					c.BlockMeta = *m
				case num == fCompactedTime && typ == protowire.BytesType:
					t, err := parseTimestamp(v)
					c.CompactedTime = t
					return err
				}
				return nil
			})
			if err != nil {
				return err
			}
			idx.Compacted = append(idx.Compacted, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decode tenant index proto: %w", err)
	}
	return idx, nil
}

func unmarshalMetaProto(b []byte) (*BlockMeta, error) {
	m := &BlockMeta{}
	err := walkFields(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		var err error
		switch num {
		case fMetaVersion:
			m.Version = string(v)
		case fMetaBlockID:
			if len(v) != 16 {
				return fmt.Errorf("block_id is %d bytes, want 16", len(v))
			}
			m.BlockID = uuid.UUID(v)
		case fMetaTenantID:
			m.TenantID = string(v)
		case fMetaStart:
			m.StartTime, err = parseTimestamp(v)
		case fMetaEnd:
			m.EndTime, err = parseTimestamp(v)
		case fMetaTotalObjects:
			m.TotalObjects = int64(n)
		case fMetaSize:
			m.Size = n
		case fMetaLevel:
			m.CompactionLevel = uint32(n)
		case fMetaIndexPageSize:
			m.IndexPageSize = uint32(n)
		case fMetaTotalRecords:
			m.TotalRecords = uint32(n)
		case fMetaBloomShards:
			m.BloomShardCount = uint32(n)
		case fMetaFooterSize:
			m.FooterSize = uint32(n)
		case fMetaDedicated:
			err = json.Unmarshal(v, &m.DedicatedColumns)
		case fMetaRF:
			m.ReplicationFactor = uint32(n)
		}
		return err
	})
	return m, err
}

func parseTimestamp(b []byte) (time.Time, error) {
	var secs, nanos int64
	err := walkFields(b, func(num protowire.Number, _ protowire.Type, _ []byte, n uint64) error {
		switch num {
		case 1:
			secs = int64(n)
		case 2:
			nanos = int64(n)
		}
		return nil
	})
	return time.Unix(secs, nanos).UTC(), err
}

// walkFields calls fn for each field: v holds length-delimited content, n a varint/fixed value.
func walkFields(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error) error {
	for len(b) > 0 {
		num, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
		var (
			v []byte
			n uint64
		)
		switch typ {
		case protowire.VarintType:
			n, l = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			v, l = protowire.ConsumeBytes(b)
		case protowire.Fixed32Type:
			var x uint32
			x, l = protowire.ConsumeFixed32(b)
			n = uint64(x)
		case protowire.Fixed64Type:
			n, l = protowire.ConsumeFixed64(b)
		default:
			l = protowire.ConsumeFieldValue(num, typ, b)
		}
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
		if err := fn(num, typ, v, n); err != nil {
			return err
		}
	}
	return nil
}
