package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

func fixtureRoot(t testing.TB) string {
	t.Helper()
	root := filepath.Join("..", "..", "..", "shared", "fixtures", "tempo-blocks")
	if _, err := os.Stat(root); err != nil {
		t.Fatalf("fixtures (shared/ beside the repo): %v", err)
	}
	return root
}

var fixtureTenants = map[string]int{"single-tenant": 1, "acme": 1, "globex": 1, "v4-tenant": 1, "multi": 4, "rowgroups": 1}

func TestFixtureLayout(t *testing.T) {
	ctx := context.Background()
	be, err := Open(ctx, Config{Backend: "local", Local: LocalConfig{Path: fixtureRoot(t)}})
	if err != nil {
		t.Fatal(err)
	}
	tenants, err := be.Tenants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, tn := range tenants {
		got[tn] = true
	}
	for tn := range fixtureTenants {
		if !got[tn] {
			t.Errorf("tenant %s not listed (got %v)", tn, tenants)
		}
	}
	for tn, want := range fixtureTenants {
		t.Run(tn, func(t *testing.T) {
			metas, compacted, bad, err := be.PollBlocks(ctx, tn)
			if err != nil || len(bad) != 0 {
				t.Fatalf("err=%v bad=%v", err, bad)
			}
			if len(metas) != want || len(compacted) != 0 {
				t.Fatalf("%d live / %d compacted, want %d / 0", len(metas), len(compacted), want)
			}
			// Both index encodings carry the same blocks as the metas.
			for _, name := range []string{TenantIndexProto, TenantIndexJSON} {
				raw, err := os.ReadFile(filepath.Join(fixtureRoot(t), tn, name))
				if err != nil {
					t.Fatal(err)
				}
				var idx *TenantIndex
				if name == TenantIndexProto {
					idx, err = UnmarshalTenantIndexProto(raw)
				} else {
					idx, err = UnmarshalTenantIndexJSON(raw)
				}
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				SortMetas(idx.Meta)
				if len(idx.Meta) != len(metas) {
					t.Fatalf("%s: %d metas, want %d", name, len(idx.Meta), len(metas))
				}
				for i := range metas {
					a, _ := MarshalMeta(metas[i])
					b, _ := MarshalMeta(idx.Meta[i])
					if !bytes.Equal(a, b) {
						t.Errorf("%s meta differs:\n index %s\n meta  %s", name, b, a)
					}
				}
			}
		})
	}
}

// meta.json written by tempoctl is byte-identical to Tempo's for the same content.
func TestMetaBytesMatchTempo(t *testing.T) {
	for tn := range fixtureTenants {
		dirs, _ := filepath.Glob(filepath.Join(fixtureRoot(t), tn, "*", MetaName))
		for _, p := range dirs {
			raw, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			m, err := UnmarshalMeta(raw)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := MarshalMeta(m)
			if !bytes.Equal(bytes.TrimSpace(raw), again) {
				t.Errorf("%s:\n tempo    %s\n tempoctl %s", p, raw, again)
			}
		}
	}
}

func testMeta(tenant string) *BlockMeta {
	return &BlockMeta{
		Version: VersionVParquet5, BlockID: uuid.New(), TenantID: tenant,
		StartTime: time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC), EndTime: time.Date(2026, 11, 23, 20, 5, 0, 0, time.UTC),
		TotalObjects: 10, Size: 1234, TotalRecords: 1, BloomShardCount: 1, FooterSize: 99, ReplicationFactor: 1,
		DedicatedColumns: DedicatedColumns{{Scope: "resource", Name: "k8s.pod.name"}, {Name: "http.status_code", Type: "int"}},
	}
}

// exerciseLayout runs the block life cycle on any backend.
func exerciseLayout(t *testing.T, be *Backend) {
	ctx := context.Background()
	m := testMeta("t1")
	other := testMeta("t1")
	if err := be.WriteObjectBytes(ctx, "t1", m.BlockID, DataName, []byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	// Without meta.json the block is invisible.
	if live, _, err := be.ListBlocks(ctx, "t1"); err != nil || len(live) != 0 {
		t.Fatalf("block visible before its meta: %v %v", live, err)
	}
	for _, mm := range []*BlockMeta{m, other} {
		if err := be.WriteMeta(ctx, mm); err != nil {
			t.Fatal(err)
		}
	}
	got, err := be.ReadMeta(ctx, "t1", m.BlockID)
	if err != nil || got.BlockID != m.BlockID || len(got.DedicatedColumns) != 2 {
		t.Fatalf("read meta: %+v %v", got, err)
	}
	ra := be.ReaderAt(ctx, "t1", m.BlockID, DataName, 10)
	buf := make([]byte, 4)
	if n, err := ra.ReadAt(buf, 3); n != 4 || err != nil || string(buf) != "3456" {
		t.Fatalf("ReadAt = %d %v %q", n, err, buf)
	}
	if err := be.MarkCompacted(ctx, "t1", other.BlockID); err != nil {
		t.Fatal(err)
	}
	live, compacted, bad, err := be.PollBlocks(ctx, "t1")
	if err != nil || len(bad) != 0 || len(live) != 1 || len(compacted) != 1 || compacted[0].BlockID != other.BlockID {
		t.Fatalf("after mark: live=%v compacted=%v bad=%v err=%v", live, compacted, bad, err)
	}
	if compacted[0].CompactedTime.IsZero() || time.Since(compacted[0].CompactedTime) > time.Hour {
		t.Errorf("compacted time %v not taken from the object", compacted[0].CompactedTime)
	}
	if err := be.WriteTenantIndex(ctx, "t1", live, compacted); err != nil {
		t.Fatal(err)
	}
	idx, err := be.ReadTenantIndex(ctx, "t1")
	if err != nil || len(idx.Meta) != 1 || len(idx.Compacted) != 1 || idx.Compacted[0].BlockID != other.BlockID {
		t.Fatalf("tenant index: %+v %v", idx, err)
	}
	fromIdx, _, err := be.BlockMetas(ctx, "t1")
	if err != nil || len(fromIdx) != 1 {
		t.Fatalf("BlockMetas = %v %v", fromIdx, err)
	}
	tenants, err := be.Tenants(ctx)
	if err != nil || len(tenants) != 1 || tenants[0] != "t1" {
		t.Fatalf("tenants = %v %v", tenants, err)
	}
	if ok, _ := be.HasNoCompactFlag(ctx, "t1", m.BlockID); ok {
		t.Fatal("flag present before write")
	}
	if err := be.WriteNoCompactFlag(ctx, "t1", m.BlockID); err != nil {
		t.Fatal(err)
	}
	if ok, _ := be.HasNoCompactFlag(ctx, "t1", m.BlockID); !ok {
		t.Fatal("flag missing after write")
	}
	if err := be.DeleteBlock(ctx, "t1", m.BlockID); err != nil {
		t.Fatal(err)
	}
	if _, err := be.ReadMeta(ctx, "t1", m.BlockID); !errors.Is(err, ErrDoesNotExist) {
		t.Fatalf("meta after delete: %v", err)
	}
	if err := be.WriteTenantIndex(ctx, "t1", nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := be.ReadTenantIndex(ctx, "t1"); !errors.Is(err, ErrDoesNotExist) {
		t.Fatalf("empty tenant index not deleted: %v", err)
	}
}

func TestLocalBackend(t *testing.T) {
	be, err := Open(context.Background(), Config{Backend: "local", Local: LocalConfig{Path: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	exerciseLayout(t, be)
}

func TestMemoryBackend(t *testing.T) {
	be, err := Open(context.Background(), Config{Backend: "memory"})
	if err != nil {
		t.Fatal(err)
	}
	exerciseLayout(t, be)
}

// startS3 runs a real S3-protocol server (gofakes3) on 127.0.0.1.
func startS3(t *testing.T, bucket string) string {
	t.Helper()
	mem := s3mem.New()
	if err := mem.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fake := gofakes3.New(mem).Server()
	// minio-go sends empty objects without Content-Length; real S3 accepts
	// that, gofakes3 does not. Restore the header (test harness only).
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.Header.Get("Content-Length") == "" {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
			r.Header.Set("Content-Length", strconv.Itoa(len(body)))
		}
		fake.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: handler}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func TestS3Backend(t *testing.T) {
	for _, prefix := range []string{"", "tempo/prod"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			endpoint := startS3(t, "traces")
			be, err := Open(context.Background(), Config{Backend: "s3", S3: S3Config{
				Bucket: "traces", Endpoint: endpoint, Region: "us-east-1", AccessKey: "k", SecretKey: "s",
				Insecure: true, ForcePathStyle: true, Prefix: prefix,
			}})
			if err != nil {
				t.Fatal(err)
			}
			exerciseLayout(t, be)
		})
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no backend", Config{}},
		{"unknown backend", Config{Backend: "ftp"}},
		{"local without path", Config{Backend: "local"}},
		{"s3 without bucket", Config{Backend: "s3"}},
		{"s3 unreachable", Config{Backend: "s3", S3: S3Config{Bucket: "b", Endpoint: "127.0.0.1:1", Insecure: true, AccessKey: "k", SecretKey: "s"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if _, err := Open(ctx, tt.cfg); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestTenantIndexRoundTrip(t *testing.T) {
	idx := &TenantIndex{
		CreatedAt: time.Date(2026, 11, 23, 19, 58, 24, 526546622, time.UTC),
		Meta:      []*BlockMeta{testMeta("a"), testMeta("a")},
		Compacted: []*CompactedBlockMeta{{BlockMeta: *testMeta("a"), CompactedTime: time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)}},
	}
	pb, err := MarshalTenantIndexProto(idx)
	if err != nil {
		t.Fatal(err)
	}
	js, err := MarshalTenantIndexJSON(idx)
	if err != nil {
		t.Fatal(err)
	}
	for name, dec := range map[string]func() (*TenantIndex, error){
		"proto": func() (*TenantIndex, error) { return UnmarshalTenantIndexProto(pb) },
		"json":  func() (*TenantIndex, error) { return UnmarshalTenantIndexJSON(js) },
	} {
		back, err := dec()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		a, _ := json.Marshal(idx)
		b, _ := json.Marshal(back)
		if !bytes.Equal(a, b) {
			t.Errorf("%s round trip differs:\n%s\n%s", name, a, b)
		}
	}
}

func TestRowGroupIndex(t *testing.T) {
	b, err := MarshalRowGroupIndex(nil)
	if err != nil || string(b) != `{"rowGroups":[]}` {
		t.Fatalf("empty = %s %v", b, err)
	}
	raw, err := os.ReadFile(filepath.Join(fixtureRoot(t), "rowgroups", "fdd542b2-7cfe-49d4-b332-cb5ca051423e", IndexName))
	if err != nil {
		t.Fatal(err)
	}
	ids, err := UnmarshalRowGroupIndex(raw)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := MarshalRowGroupIndex(ids)
	if !bytes.Equal(bytes.TrimSpace(raw), again) {
		t.Errorf("index bytes differ:\n tempo    %s\n tempoctl %s", raw, again)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i-1].Compare(ids[i]) >= 0 {
			t.Errorf("row-group index not ascending at %d", i)
		}
	}
}
