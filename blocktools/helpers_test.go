package blocktools

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/parquet-go/parquet-go"
	"github.com/thanos-io/objstore"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/internal/tracecmp"
	"github.com/tempoctl/tempoctl/internal/tracegen"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
)

var fixtureRoot = filepath.Join("..", "..", "shared", "fixtures", "tempo-blocks")

// fixtureCopy copies the fixture tenant dirs into a fresh local bucket.
func fixtureCopy(t testing.TB, tenants ...string) (*backend.Backend, string) {
	t.Helper()
	dir := t.TempDir()
	for _, tenant := range tenants {
		copyDir(t, filepath.Join(fixtureRoot, tenant), filepath.Join(dir, tenant))
	}
	be, err := backend.Open(context.Background(), backend.Config{Backend: "local", Local: backend.LocalConfig{Path: dir}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	return be, dir
}

func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy fixtures (../shared beside the repo): %v", err)
	}
}

// fixtureInto uploads fixture tenants into any backend (memory, crash tests).
func fixtureInto(t testing.TB, be *backend.Backend, tenants ...string) {
	t.Helper()
	for _, tenant := range tenants {
		root := filepath.Join(fixtureRoot, tenant)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return be.Bucket().Upload(context.Background(), tenant+"/"+filepath.ToSlash(rel), bytes.NewReader(b))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func memBackend(t testing.TB) *backend.Backend {
	t.Helper()
	be, err := backend.Open(context.Background(), backend.Config{Backend: "memory"})
	if err != nil {
		t.Fatal(err)
	}
	return be
}

type genTrace struct {
	id model.TraceID
	td ptrace.Traces
}

func generate(seed uint64, n int) []genTrace {
	g := tracegen.New(seed, tracegen.Config{Exotic: true})
	out := make([]genTrace, n)
	for i := range out {
		out[i].id, out[i].td = g.Trace()
	}
	slices.SortFunc(out, func(a, b genTrace) int { return a.id.Compare(b.id) })
	return out
}

func writeBlock(t testing.TB, be *backend.Backend, tenant string, cfg block.Config, traces []genTrace) *backend.BlockMeta {
	t.Helper()
	ctx := context.Background()
	w, err := block.NewWriter(ctx, be, tenant, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range traces {
		if err := w.Add(ctx, tr.id, tr.td); err != nil {
			t.Fatal(err)
		}
	}
	m, err := w.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// splitSpans divides a trace's spans into n parts round robin (some parts
// may be empty), each keeping its resource and scope.
func splitSpans(td ptrace.Traces, n int) []ptrace.Traces {
	parts := make([]ptrace.Traces, n)
	for i := range parts {
		parts[i] = ptrace.NewTraces()
	}
	k := 0
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			ss := rs.ScopeSpans().At(j)
			for s := 0; s < ss.Spans().Len(); s++ {
				p := parts[k%n]
				k++
				ors := p.ResourceSpans().AppendEmpty()
				rs.Resource().CopyTo(ors.Resource())
				oss := ors.ScopeSpans().AppendEmpty()
				ss.Scope().CopyTo(oss.Scope())
				ss.Spans().At(s).CopyTo(oss.Spans().AppendEmpty())
			}
		}
	}
	return parts
}

// liveTraces reads every live block of tenant: trace ID → the parts found
// (one per block holding it), in block order.
func liveTraces(t testing.TB, be *backend.Backend, tenant string) (map[model.TraceID][]ptrace.Traces, []*backend.BlockMeta) {
	t.Helper()
	ctx := context.Background()
	live, _, bad, err := be.PollBlocks(ctx, tenant)
	if err != nil || len(bad) > 0 {
		t.Fatalf("poll %s: %v %v", tenant, err, bad)
	}
	out := map[model.TraceID][]ptrace.Traces{}
	for _, m := range live {
		r, err := block.Open(ctx, be, m)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Iterate(ctx, func(id model.TraceID, td ptrace.Traces) error {
			out[id] = append(out[id], td)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	return out, live
}

// union combines the parts of every trace.
func union(parts map[model.TraceID][]ptrace.Traces) map[model.TraceID]ptrace.Traces {
	out := map[model.TraceID]ptrace.Traces{}
	for id, ps := range parts {
		out[id] = model.Combine(ps...)
	}
	return out
}

// checkExactlyOnce asserts the tenant's live blocks hold exactly want, every
// trace in one block only, each equal to want's.
func checkExactlyOnce(t testing.TB, be *backend.Backend, tenant string, want map[model.TraceID]ptrace.Traces) {
	t.Helper()
	got, _ := liveTraces(t, be, tenant)
	for id, w := range want {
		parts := got[id]
		if len(parts) != 1 {
			t.Errorf("trace %s is in %d live blocks, want 1", id, len(parts))
			continue
		}
		if d := tracecmp.Diff(w, parts[0], tracecmp.Options{}, 3); len(d) > 0 {
			t.Errorf("trace %s differs:\n%s", id, strings.Join(d, "\n"))
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("unexpected trace %s", id)
		}
	}
}

// checkComplete asserts the tenant's live blocks, combined, hold exactly
// want (a trace may be split or duplicated over blocks).
func checkComplete(t testing.TB, be *backend.Backend, tenant string, want map[model.TraceID]ptrace.Traces) (dups int) {
	t.Helper()
	got, _ := liveTraces(t, be, tenant)
	for id, w := range want {
		parts := got[id]
		if len(parts) == 0 {
			t.Errorf("trace %s lost", id)
			continue
		}
		if len(parts) > 1 {
			dups++
		}
		if d := tracecmp.Diff(w, model.Combine(parts...), tracecmp.Options{}, 3); len(d) > 0 {
			t.Errorf("trace %s differs:\n%s", id, strings.Join(d, "\n"))
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("unexpected trace %s", id)
		}
	}
	return dups
}

// describe renders a parquet schema node by node (name, repetition, type),
// as storage/block's schema test does.
func describe(n parquet.Node, path string, out *[]string) {
	rep := "required"
	switch {
	case n.Repeated():
		rep = "repeated"
	case n.Optional():
		rep = "optional"
	}
	if n.Leaf() {
		lt := "-"
		if l := n.Type().LogicalType(); l != nil {
			lt = l.String()
		}
		*out = append(*out, fmt.Sprintf("%s %s %s %s", path, rep, n.Type().Kind(), lt))
		return
	}
	lt := ""
	if l := n.Type().LogicalType(); l != nil {
		lt = " " + l.String()
	}
	*out = append(*out, fmt.Sprintf("%s %s group%s", path, rep, lt))
	for _, f := range n.Fields() {
		describe(f, strings.TrimPrefix(path+"."+f.Name(), "."), out)
	}
}

func schemaLines(t testing.TB, be *backend.Backend, m *backend.BlockMeta) []string {
	t.Helper()
	r, err := block.OpenParquet(context.Background(), be, m)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	describe(r.File().Schema(), "", &out)
	return out
}

func checkSameSchema(t testing.TB, want, got []string) {
	t.Helper()
	if len(want) < 50 {
		t.Fatalf("reference schema has only %d nodes", len(want))
	}
	for i := 0; i < max(len(want), len(got)); i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			t.Fatalf("schema node %d: tempoctl wrote %q, reference %q", i, g, w)
		}
	}
}

// errCrashed is what every bucket call returns once the simulated process
// has died.
var errCrashed = errors.New("simulated crash")

// crashBucket lets budget mutating calls (uploads, deletes) through; the
// next one and every call after it fail, as if the process had been killed
// at that point. Reads before the crash work normally.
type crashBucket struct {
	mu     sync.Mutex
	budget int
	dead   bool
	ops    int
}

func (b *crashBucket) mutate(context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dead {
		return errCrashed
	}
	if b.ops == b.budget {
		b.dead = true
		return errCrashed
	}
	b.ops++
	return nil
}

func (b *crashBucket) alive(context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dead {
		return errCrashed
	}
	return nil
}

// crashAfter returns a backend over inner that dies at its budget-th mutation.
func crashAfter(inner objstore.Bucket, budget int) (*backend.Backend, *crashBucket) {
	cb := &crashBucket{budget: budget}
	return backend.NewFromBucket(&hookBucket{Bucket: inner, read: cb.alive, write: cb.mutate}), cb
}

// cloneBucket copies every object of an in-memory bucket.
func cloneBucket(t testing.TB, src objstore.Bucket) objstore.Bucket {
	t.Helper()
	ctx := context.Background()
	dst := objstore.NewInMemBucket()
	err := src.Iter(ctx, "", func(name string) error {
		r, err := src.Get(ctx, name)
		if err != nil {
			return err
		}
		defer r.Close()
		return dst.Upload(ctx, name, r)
	}, objstore.WithRecursiveIter())
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// cancelBucket models a process asked to stop (Ctrl-C, compactor Stop) at
// one moment of a job: right before its budget-th mutating call it cancels
// the job's context. Like the filesystem bucket, every call made with a
// cancelled context fails with the context's error; calls made with a
// context that outlives the cancellation (cleanup, commit) go through.
type cancelBucket struct {
	mu     sync.Mutex
	budget int
	ops    int
	cancel context.CancelFunc
	fired  bool
}

// cancelAt returns a backend over inner whose budget-th mutation cancels the
// job's context first (cancel).
func cancelAt(inner objstore.Bucket, budget int, cancel context.CancelFunc) (*backend.Backend, *cancelBucket) {
	cb := &cancelBucket{budget: budget, cancel: cancel}
	return backend.NewFromBucket(&hookBucket{Bucket: inner, read: context.Context.Err, write: cb.mutate}), cb
}

func (b *cancelBucket) mutate(ctx context.Context) error {
	b.mu.Lock()
	if b.ops == b.budget && !b.fired {
		b.fired = true
		b.cancel()
	}
	b.ops++
	b.mu.Unlock()
	return ctx.Err()
}

// tenantObjects lists every object of tenant: block ID → object names, and
// the keys of objects outside block directories (tenant index, journals).
func tenantObjects(t testing.TB, bkt objstore.Bucket, tenant string) (map[string][]string, []string) {
	t.Helper()
	blocks := map[string][]string{}
	var other []string
	err := bkt.Iter(context.Background(), tenant+"/", func(name string) error {
		rest := strings.TrimPrefix(name, tenant+"/")
		dir, obj, ok := strings.Cut(rest, "/")
		if _, err := uuid.Parse(dir); ok && err == nil {
			blocks[dir] = append(blocks[dir], obj)
		} else {
			other = append(other, rest)
		}
		return nil
	}, objstore.WithRecursiveIter())
	if err != nil {
		t.Fatal(err)
	}
	return blocks, other
}

// hookBucket calls read before every reading call and write before every
// mutating one; an error from either is the call's.
type hookBucket struct {
	objstore.Bucket
	read, write func(ctx context.Context) error
}

func (b *hookBucket) Upload(ctx context.Context, name string, r io.Reader, opts ...objstore.ObjectUploadOption) error {
	if err := b.write(ctx); err != nil {
		return err
	}
	return b.Bucket.Upload(ctx, name, r, opts...)
}

func (b *hookBucket) Delete(ctx context.Context, name string) error {
	if err := b.write(ctx); err != nil {
		return err
	}
	return b.Bucket.Delete(ctx, name)
}

func (b *hookBucket) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := b.read(ctx); err != nil {
		return nil, err
	}
	return b.Bucket.Get(ctx, name)
}

func (b *hookBucket) GetRange(ctx context.Context, name string, off, length int64) (io.ReadCloser, error) {
	if err := b.read(ctx); err != nil {
		return nil, err
	}
	return b.Bucket.GetRange(ctx, name, off, length)
}

func (b *hookBucket) Exists(ctx context.Context, name string) (bool, error) {
	if err := b.read(ctx); err != nil {
		return false, err
	}
	return b.Bucket.Exists(ctx, name)
}

func (b *hookBucket) Iter(ctx context.Context, dir string, f func(string) error, opts ...objstore.IterOption) error {
	if err := b.read(ctx); err != nil {
		return err
	}
	return b.Bucket.Iter(ctx, dir, f, opts...)
}

func (b *hookBucket) Attributes(ctx context.Context, name string) (objstore.ObjectAttributes, error) {
	if err := b.read(ctx); err != nil {
		return objstore.ObjectAttributes{}, err
	}
	return b.Bucket.Attributes(ctx, name)
}
