package jaeger

import (
	"context"
	"fmt"
	"github.com/google/uuid"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/blocktools"
	"github.com/tempoctl/tempoctl/migrate/jaeger/jaegertest"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
	"github.com/tempoctl/tempoctl/traceql"
)

const testTenant = "single-tenant"

func testBucket(t testing.TB) *backend.Backend {
	t.Helper()
	be, err := backend.Open(context.Background(), backend.Config{Backend: "local", Local: backend.LocalConfig{Path: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	return be
}

func bucketSink(be *backend.Backend, version string, maxBytes uint64) *BucketSink {
	return NewBucketSink(be, blocktools.ImportConfig{
		Tenant:        testTenant,
		Block:         block.Config{Version: version, DedicatedColumns: vparquet.DefaultDedicatedColumns()},
		MaxBlockBytes: maxBytes,
	})
}

func probe(t testing.TB, url string, v APIVersion) API {
	t.Helper()
	api, err := Probe(context.Background(), newTestClient(t, url), v)
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// bucketTrace is one trace as stored, with the block that holds it.
type bucketTrace struct {
	data ptrace.Traces
	meta *backend.BlockMeta
}

// readBucket reads every trace of the tenant; a trace stored twice (in two
// blocks, or twice in one) fails the test.
func readBucket(t *testing.T, be *backend.Backend) map[model.TraceID]bucketTrace {
	t.Helper()
	ctx := context.Background()
	metas, _, err := be.BlockMetas(ctx, testTenant)
	if err != nil {
		t.Fatal(err)
	}
	out := map[model.TraceID]bucketTrace{}
	for _, meta := range metas {
		r, err := block.Open(ctx, be, meta)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		err = r.Iterate(ctx, func(id model.TraceID, tr ptrace.Traces) error {
			n++
			if prev, dup := out[id]; dup {
				t.Errorf("trace %s stored twice (blocks %s and %s)", id, prev.meta.BlockID, meta.BlockID)
			}
			out[id] = bucketTrace{data: tr, meta: meta}
			return nil
		})
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if int64(n) != meta.TotalObjects {
			t.Errorf("block %s holds %d traces, meta says %d", meta.BlockID, n, meta.TotalObjects)
		}
	}
	return out
}

// checkBucketAgainstExpected: every trace of the fixtures is in the bucket
// once, equal to what was sent up to Jaeger's documented losses, inside its
// block's time range, and found by a TraceQL search by service and time.
func checkBucketAgainstExpected(t *testing.T, be *backend.Backend, v1 bool) {
	t.Helper()
	got := readBucket(t, be)
	exp := expected(t)
	if len(got) != len(exp.ids) {
		t.Fatalf("bucket holds %d traces, want %d", len(got), len(exp.ids))
	}
	spans := 0
	byBlock := map[string][]ptrace.Traces{}
	for _, id := range exp.ids {
		bt, ok := got[id]
		if !ok {
			t.Errorf("trace %s missing", id)
			continue
		}
		spans += bt.data.SpanCount()
		if d := diffExpected(t, id, bt.data, v1); len(d) > 0 {
			t.Errorf("trace %s differs:\n%s", id, strings.Join(d, "\n"))
		}
		// The meta covers the trace at its (second) precision: what makes
		// block selection by time find it.
		start, end, _ := model.TimeRange(bt.data)
		if bt.meta.StartTime.After(time.Unix(0, int64(start))) || bt.meta.EndTime.Before(time.Unix(0, int64(end)).Truncate(time.Second)) {
			t.Errorf("trace %s [%v, %v] outside its block's [%v, %v]", id, time.Unix(0, int64(start)).UTC(), time.Unix(0, int64(end)).UTC(), bt.meta.StartTime, bt.meta.EndTime)
		}
		byBlock[bt.meta.BlockID.String()] = append(byBlock[bt.meta.BlockID.String()], bt.data)
	}
	if spans != exp.spans {
		t.Errorf("%d spans stored, want %d", spans, exp.spans)
	}
	checkSearchable(t, got, byBlock)
}

// checkSearchable runs, per block, the TraceQL search a Tempo frontend would
// run for {resource.service.name="payment"} over the fixture window, and
// checks every trace with a payment span is found: the blocks' times and
// contents make the migrated traces searchable. (`tempoctl query search`
// over a bucket is not there yet; this is the engine it will run.)
func checkSearchable(t *testing.T, got map[model.TraceID]bucketTrace, byBlock map[string][]ptrace.Traces) {
	t.Helper()
	want := map[string]bool{}
	for id, bt := range got {
		if spansByService(bt.data)["payment"] > 0 {
			want[id.String()] = true
		}
	}
	if len(want) != 67 {
		t.Fatalf("%d traces with payment spans, want 67", len(want))
	}
	ctx := context.Background()
	opts := traceql.SearchOptions{Limit: 1000, Start: fixtureWindow.StartTime(), End: fixtureWindow.EndTime().Add(time.Minute)}
	found := map[string]bool{}
	for _, traces := range byBlock {
		resp, err := traceql.NewEngine().ExecuteSearch(ctx, `{resource.service.name="payment"}`, traceql.NewMemoryFetcher(traces...), opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range resp.Traces {
			id, err := model.ParseTraceID(tr.TraceID)
			if err != nil {
				t.Fatal(err)
			}
			found[id.String()] = true
		}
	}
	if len(found) != len(want) {
		t.Errorf("search found %d traces, want %d", len(found), len(want))
	}
	for id := range want {
		if !found[id] {
			t.Errorf("trace %s not found by service search", id)
		}
	}
}

// The whole fixture set through both APIs into a bucket, with a search
// limit far below the data so windows are split.
func TestMigrateAPIToBucket(t *testing.T) {
	for _, tc := range []struct {
		api     APIVersion
		noV3    bool
		version string
	}{
		{"auto", false, backend.VersionVParquet5},
		{"auto", true, backend.VersionVParquet4}, // an old Jaeger: v1 picked
	} {
		t.Run(fmt.Sprintf("noV3=%v/%s", tc.noV3, tc.version), func(t *testing.T) {
			fake := startFake(t, jaegertest.Options{NoV3: tc.noV3})
			api := probe(t, fake.URL, tc.api)
			be := testBucket(t)
			sum, err := Run(context.Background(), Config{
				API: api, SourceName: fake.URL, Window: fixtureWindow,
				Chunk: 30 * time.Minute, SearchLimit: 25, Concurrency: 3,
				Sink:   bucketSink(be, tc.version, 300<<10),
				Verify: 10, Rand: rand.New(rand.NewPCG(1, 2)),
			})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Traces != 300 || sum.Spans != 2713 || len(sum.Skipped) != 0 {
				t.Fatalf("summary: %d traces, %d spans, skipped %v", sum.Traces, sum.Spans, sum.Skipped)
			}
			if sum.Units != 5 || sum.WindowSplits == 0 || len(sum.Blocks) < 2 {
				t.Errorf("units %d, splits %d, blocks %d", sum.Units, sum.WindowSplits, len(sum.Blocks))
			}
			if sum.Verify == nil || sum.Verify.Checked != 10 || len(sum.Verify.Differences) != 0 {
				t.Errorf("verify: %+v", sum.Verify)
			}
			if sum.Failed() {
				t.Error("summary says failed")
			}
			t.Logf("api %s: %d blocks, %d searches, %d splits, %d requests, verify %+v", sum.API, len(sum.Blocks), sum.Searches, sum.WindowSplits, sum.Requests, sum.Verify)
			checkBucketAgainstExpected(t, be, tc.noV3)
			for _, b := range sum.Blocks {
				m, err := be.ReadMeta(context.Background(), testTenant, mustUUID(t, b.ID))
				if err != nil || m.Version != tc.version {
					t.Errorf("block %s: %v %v", b.ID, m, err)
				}
			}
			idx, err := be.ReadTenantIndex(context.Background(), testTenant)
			if err != nil || len(idx.Meta) != len(sum.Blocks) {
				t.Fatalf("tenant index: %v, want %d blocks", err, len(sum.Blocks))
			}
		})
	}
}

func mustUUID(t testing.TB, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
