package backend

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/uuid"
)

func (b *Backend) notFound(err error) bool { return err != nil && b.bkt.IsObjNotFoundErr(err) }

// ReadObject reads a whole object of a block.
func (b *Backend) ReadObject(ctx context.Context, tenant string, id uuid.UUID, name string) ([]byte, error) {
	return b.readKey(ctx, ObjectKey(tenant, id, name))
}

func (b *Backend) readKey(ctx context.Context, key string) ([]byte, error) {
	rc, err := b.bkt.Get(ctx, key)
	if b.notFound(err) {
		return nil, fmt.Errorf("%s: %w", key, ErrDoesNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return data, nil
}

// ObjectSize returns an object's size.
func (b *Backend) ObjectSize(ctx context.Context, tenant string, id uuid.UUID, name string) (int64, error) {
	key := ObjectKey(tenant, id, name)
	attrs, err := b.bkt.Attributes(ctx, key)
	if b.notFound(err) {
		return 0, fmt.Errorf("%s: %w", key, ErrDoesNotExist)
	}
	if err != nil {
		return 0, fmt.Errorf("stat %s: %w", key, err)
	}
	return attrs.Size, nil
}

// rangeReader is an io.ReaderAt over ranged GETs.
type rangeReader struct {
	ctx  context.Context
	b    *Backend
	key  string
	size int64
}

func (r *rangeReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read %s: negative offset %d", r.key, off)
	}
	if off >= r.size {
		return 0, io.EOF
	}
	n := int64(len(p))
	if off+n > r.size {
		n = r.size - off
	}
	rc, err := r.b.bkt.GetRange(r.ctx, r.key, off, n)
	if err != nil {
		return 0, fmt.Errorf("read %s at %d: %w", r.key, off, err)
	}
	defer rc.Close()
	got, err := io.ReadFull(rc, p[:n])
	if err != nil {
		return got, fmt.Errorf("read %s at %d: %w", r.key, off, err)
	}
	if n < int64(len(p)) {
		return got, io.EOF
	}
	return got, nil
}

// ReaderAt reads ranges of an object of known size (for Parquet footers and
// pages). On the local backend it reads the file directly.
func (b *Backend) ReaderAt(ctx context.Context, tenant string, id uuid.UUID, name string, size int64) io.ReaderAt {
	key := ObjectKey(tenant, id, name)
	if b.local != "" {
		if f, err := os.Open(filepath.Join(b.local, filepath.FromSlash(key))); err == nil {
			return &fileReaderAt{f: f}
		}
	}
	return &rangeReader{ctx: ctx, b: b, key: key, size: size}
}

// fileReaderAt closes its file when the reader is garbage; callers that are
// done early may call Close.
type fileReaderAt struct{ f *os.File }

func (r *fileReaderAt) ReadAt(p []byte, off int64) (int, error) { return r.f.ReadAt(p, off) }
func (r *fileReaderAt) Close() error                            { return r.f.Close() }

// WriteObject writes an object of a block.
func (b *Backend) WriteObject(ctx context.Context, tenant string, id uuid.UUID, name string, r io.Reader) error {
	key := ObjectKey(tenant, id, name)
	if err := b.bkt.Upload(ctx, key, r); err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}

// WriteObjectBytes writes a small object of a block.
func (b *Backend) WriteObjectBytes(ctx context.Context, tenant string, id uuid.UUID, name string, data []byte) error {
	return b.WriteObject(ctx, tenant, id, name, bytes.NewReader(data))
}

// DeleteBlock deletes every object of a block (meta first, so a reader never
// sees a block whose data is already gone).
func (b *Backend) DeleteBlock(ctx context.Context, tenant string, id uuid.UUID) error {
	dir := ObjectKey(tenant, id, "") + "/"
	var keys []string
	if err := b.bkt.Iter(ctx, dir, func(name string) error {
		keys = append(keys, name)
		return nil
	}); err != nil {
		return fmt.Errorf("list block %s/%s: %w", tenant, id, err)
	}
	// metas first
	for pass := 0; pass < 2; pass++ {
		for _, k := range keys {
			isMeta := filepath.Base(k) == MetaName || filepath.Base(k) == CompactedMetaName
			if isMeta != (pass == 0) {
				continue
			}
			if err := b.bkt.Delete(ctx, k); err != nil && !b.notFound(err) {
				return fmt.Errorf("delete %s: %w", k, err)
			}
		}
	}
	if b.local != "" {
		_ = os.Remove(filepath.Join(b.local, tenant, id.String()))
	}
	return nil
}

// WriteNoCompactFlag writes nocompact.flg for a block.
func (b *Backend) WriteNoCompactFlag(ctx context.Context, tenant string, id uuid.UUID) error {
	return b.WriteObjectBytes(ctx, tenant, id, NoCompactFlagName, nil)
}

// HasNoCompactFlag reports whether a block carries nocompact.flg.
func (b *Backend) HasNoCompactFlag(ctx context.Context, tenant string, id uuid.UUID) (bool, error) {
	ok, err := b.bkt.Exists(ctx, ObjectKey(tenant, id, NoCompactFlagName))
	if err != nil {
		return false, fmt.Errorf("check nocompact flag of %s/%s: %w", tenant, id, err)
	}
	return ok, nil
}
