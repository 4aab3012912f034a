package jaeger

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/thanos-io/objstore"

	"github.com/tempoctl/tempoctl/blocktools"
	"github.com/tempoctl/tempoctl/migrate/jaeger/jaegertest"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
)

// A migration stopped midway and resumed ends with every trace stored once;
// running the finished migration again writes nothing.
func TestResumeWithoutDuplicates(t *testing.T) {
	errCrash := errors.New("simulated crash")
	tests := []struct {
		name string
		// stop returns the hooks that stop the first run, given its cancel.
		stop      func(cancel context.CancelFunc, be *backend.Backend) (Config, jaegertest.Options)
		wantErr   error
		recovered bool
	}{
		{
			name: "cancelled after the second flush",
			stop: func(cancel context.CancelFunc, _ *backend.Backend) (Config, jaegertest.Options) {
				return Config{afterFlush: func(n int) error {
					if n == 2 {
						cancel()
					}
					return nil
				}}, jaegertest.Options{}
			},
			wantErr: context.Canceled,
		},
		{
			name: "cancelled while fetching",
			stop: func(cancel context.CancelFunc, _ *backend.Backend) (Config, jaegertest.Options) {
				var fetches atomic.Int32
				return Config{}, jaegertest.Options{Intercept: func(w http.ResponseWriter, r *http.Request) bool {
					if strings.HasPrefix(r.URL.Path, "/api/v3/traces/") && fetches.Add(1) == 130 {
						cancel()
					}
					return false
				}}
			},
			wantErr: context.Canceled,
		},
		{
			// The process dies after the blocks are written and before the
			// journal says so: resume finds those traces in the bucket.
			name: "crash between writing blocks and the journal",
			stop: func(context.CancelFunc, *backend.Backend) (Config, jaegertest.Options) {
				n := 0
				return Config{crashAfterWrite: func() error {
					if n++; n == 2 {
						return errCrash
					}
					return nil
				}}, jaegertest.Options{}
			},
			wantErr: errCrash, recovered: true,
		},
		{
			// Worse: the crash comes before the tenant index lists the new
			// blocks (the index still names the first flush's only).
			name: "crash between writing blocks and the tenant index",
			stop: func(_ context.CancelFunc, be *backend.Backend) (Config, jaegertest.Options) {
				n := 0
				var old *backend.TenantIndex
				return Config{crashAfterWrite: func() error {
					ctx := context.Background()
					n++
					if n == 1 {
						old, _ = be.ReadTenantIndex(ctx, testTenant)
						return nil
					}
					if n == 2 {
						if err := be.WriteTenantIndex(ctx, testTenant, old.Meta, nil); err != nil {
							return err
						}
						return errCrash
					}
					return nil
				}}, jaegertest.Options{}
			},
			wantErr: errCrash, recovered: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			be := testBucket(t)
			hooks, fopts := tc.stop(cancel, be)
			fake := startFake(t, fopts)
			cpPath := filepath.Join(t.TempDir(), "checkpoint.jsonl")
			cfg := func() Config {
				return Config{
					API: probe(t, fake.URL, "v3"), SourceName: fake.URL, Window: fixtureWindow,
					Chunk: 20 * time.Minute, SearchLimit: 50,
					Sink: bucketSink(be, backend5, 200<<10), Checkpoint: cpPath,
				}
			}
			first := cfg()
			first.afterFlush, first.crashAfterWrite = hooks.afterFlush, hooks.crashAfterWrite
			sum1, err := Run(ctx, first)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("first run: %v, want %v", err, tc.wantErr)
			}
			if sum1.Traces == 0 || sum1.Traces >= 300 {
				t.Fatalf("first run migrated %d traces: not stopped midway", sum1.Traces)
			}
			if tc.wantErr == context.Canceled && !sum1.Interrupted {
				t.Error("not marked interrupted")
			}

			second := cfg()
			second.Resume = true
			sum2, err := Run(context.Background(), second)
			if err != nil {
				t.Fatal(err)
			}
			if tc.recovered && sum2.Recovered == 0 {
				t.Error("the interrupted flush was not settled from the bucket")
			}
			if sum2.UnitsResumed == 0 {
				t.Error("resume redid every window")
			}
			if len(sum2.Skipped) != 0 {
				t.Errorf("skipped: %v", sum2.Skipped)
			}
			if tc.wantErr != errCrash && sum1.Traces+sum2.Traces != 300 {
				t.Errorf("%d + %d traces migrated, want 300 in all", sum1.Traces, sum2.Traces)
			}
			checkBucketAgainstExpected(t, be, false)

			third := cfg()
			third.Resume = true
			sum3, err := Run(context.Background(), third)
			if err != nil {
				t.Fatal(err)
			}
			if sum3.Traces != 0 || len(sum3.Blocks) != 0 || sum3.UnitsResumed != sum3.Units || sum3.Searches != 0 {
				t.Errorf("re-running a finished migration: %d traces, %d blocks, %d/%d units done, %d searches",
					sum3.Traces, len(sum3.Blocks), sum3.UnitsResumed, sum3.Units, sum3.Searches)
			}
		})
	}
}

const backend5 = "vParquet5"

// Starting over an existing checkpoint needs --resume.
func TestCheckpointNeedsResume(t *testing.T) {
	fake := startFake(t, jaegertest.Options{})
	be := testBucket(t)
	cpPath := filepath.Join(t.TempDir(), "cp.jsonl")
	cfg := Config{API: probe(t, fake.URL, "v3"), SourceName: fake.URL, Window: Window{fixtureWindow.Start, fixtureWindow.Start + 60e6},
		Sink: bucketSink(be, backend5, 0), Checkpoint: cpPath}
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), cfg); !errors.Is(err, ErrCheckpointExists) {
		t.Errorf("second run without --resume: %v", err)
	}
	v1 := cfg
	v1.API, v1.Resume = probe(t, fake.URL, "v1"), true
	if _, err := Run(context.Background(), v1); err == nil || !strings.Contains(err.Error(), "--api v3") {
		t.Errorf("resume through the other API: %v", err)
	}
}

// failingBucket fails the upload of the nth meta.json while armed.
type failingBucket struct {
	objstore.Bucket
	mu     sync.Mutex
	metas  int
	failAt int
}

func (b *failingBucket) Upload(ctx context.Context, name string, r io.Reader, opts ...objstore.ObjectUploadOption) error {
	if strings.HasSuffix(name, "/meta.json") {
		b.mu.Lock()
		b.metas++
		fail := b.metas == b.failAt
		b.mu.Unlock()
		if fail {
			return errors.New("bucket: disk full")
		}
	}
	return b.Bucket.Upload(ctx, name, r, opts...)
}

// A write that fails after some of a flush's blocks landed is not retried in
// the same run (that would store those traces twice); resume settles it.
func TestWriteFailureMidFlush(t *testing.T) {
	fb := &failingBucket{Bucket: objstore.NewInMemBucket(), failAt: 2}
	be := backend.NewFromBucket(fb)
	fake := startFake(t, jaegertest.Options{})
	cpPath := filepath.Join(t.TempDir(), "cp.jsonl")
	cfg := func() Config {
		sink := NewBucketSink(be, blocktools.ImportConfig{
			Tenant: testTenant, Block: block.Config{Version: backend5},
			MaxBlockBytes: 400 << 10, MaxBlockDuration: 10 * time.Minute, // several blocks per flush
		})
		return Config{API: probe(t, fake.URL, "v3"), SourceName: fake.URL, Window: fixtureWindow, Sink: sink, Checkpoint: cpPath}
	}
	sum, err := Run(context.Background(), cfg())
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("first run: %v", err)
	}
	if len(sum.Blocks) != 1 {
		t.Fatalf("%d blocks before the failure, want 1", len(sum.Blocks))
	}
	readBucket(t, be) // no trace twice
	fb.failAt = -1
	cf := cfg()
	cf.Resume = true
	sum, err = Run(context.Background(), cf)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Recovered == 0 {
		t.Error("the block written before the failure was not recognised")
	}
	checkBucketAgainstExpected(t, be, false)
}
