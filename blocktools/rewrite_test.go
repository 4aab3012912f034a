package blocktools

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

func mustIDs(t testing.TB, s ...string) []model.TraceID {
	var out []model.TraceID
	for _, x := range s {
		id, err := model.ParseTraceID(x)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	return out
}

func hasService(td ptrace.Traces, svc string) bool {
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		if v, ok := td.ResourceSpans().At(i).Resource().Attributes().Get("service.name"); ok && v.Str() == svc {
			return true
		}
	}
	return false
}

// expectAfter applies what a rewrite should do to the union of the inputs.
func expectAfter(want map[model.TraceID]ptrace.Traces, drop func(model.TraceID, ptrace.Traces) bool, red *redactor) map[model.TraceID]ptrace.Traces {
	out := map[model.TraceID]ptrace.Traces{}
	for id, td := range want {
		if drop != nil && drop(id, td) {
			continue
		}
		c := ptrace.NewTraces()
		td.CopyTo(c)
		red.redact(c)
		out[id] = c
	}
	return out
}

func blockIDs(ms []*backend.BlockMeta) []string {
	var s []string
	for _, m := range ms {
		s = append(s, m.BlockID.String())
	}
	sort.Strings(s)
	return s
}

func TestRewriteMultiFixture(t *testing.T) {
	ctx := context.Background()
	// Two split traces (each in two blocks) and one whole trace.
	drop := mustIDs(t, "4595c8056ef50999d3b7e5ce62fc2dae", "70830a546fd8b0c65eec92ac859d5a52")
	tests := []struct {
		name       string
		opts       RewriteOptions
		dropFn     func(model.TraceID, ptrace.Traces) bool
		red        *redactor
		rewritten  int
		unchanged  int
		traceCount int
	}{
		{
			name:      "drop by ID",
			opts:      RewriteOptions{DropIDs: drop},
			dropFn:    func(id model.TraceID, _ ptrace.Traces) bool { return slices.Contains(drop, id) },
			rewritten: 3, unchanged: 1, traceCount: 298,
		},
		{
			name:      "drop by TraceQL",
			opts:      RewriteOptions{DropQuery: `{ resource.service.name = "payment" }`},
			dropFn:    func(_ model.TraceID, td ptrace.Traces) bool { return hasService(td, "payment") },
			rewritten: 4, traceCount: 300 - 67,
		},
		{
			name:      "redact dedicated and generic attributes",
			opts:      RewriteOptions{Redact: []RedactAttr{{"span", "http.url"}, {"", "db.statement"}, {"resource", "k8s.pod.name"}}},
			red:       &redactor{attrs: []RedactAttr{{"span", "http.url"}, {"", "db.statement"}, {"resource", "k8s.pod.name"}}},
			rewritten: 4, traceCount: 300,
		},
		{
			name:      "redact with a replacement",
			opts:      RewriteOptions{Redact: []RedactAttr{{"span", "db.statement"}}, RedactWith: ptr("<redacted>")},
			red:       &redactor{attrs: []RedactAttr{{"span", "db.statement"}}, with: ptr("<redacted>")},
			rewritten: 4, traceCount: 300,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be, _ := fixtureCopy(t, "multi")
			parts, before := liveTraces(t, be, "multi")
			want := expectAfter(union(parts), tt.dropFn, tt.red)
			if len(want) != tt.traceCount {
				t.Fatalf("expectation holds %d traces, want %d", len(want), tt.traceCount)
			}
			o := tt.opts
			o.Tenant = "multi"

			dry := o
			dry.DryRun = true
			dres, err := Rewrite(ctx, be, dry)
			if err != nil {
				t.Fatal(err)
			}
			_, afterDry := liveTraces(t, be, "multi")
			if !slices.Equal(blockIDs(before), blockIDs(afterDry)) || dres.Rewritten != tt.rewritten {
				t.Fatalf("dry run changed blocks or predicted %d rewrites, want %d", dres.Rewritten, tt.rewritten)
			}

			res, err := Rewrite(ctx, be, o)
			if err != nil {
				t.Fatal(err)
			}
			if res.Rewritten != tt.rewritten || res.Unchanged != tt.unchanged || res.Failed != 0 {
				t.Fatalf("result %+v", res)
			}
			if dres.TracesDropped != res.TracesDropped || dres.Redacted != res.Redacted {
				t.Errorf("dry run predicted %d dropped / %d redacted, rewrite did %d / %d", dres.TracesDropped, dres.Redacted, res.TracesDropped, res.Redacted)
			}
			if tt.red != nil && res.Redacted == 0 {
				t.Error("nothing redacted")
			}
			got, live := liveTraces(t, be, "multi")
			if len(got) != len(want) {
				t.Errorf("%d traces live, want %d", len(got), len(want))
			}
			checkComplete(t, be, "multi", want)
			// Rewriting does not merge: split traces stay in two blocks.
			for id, ps := range parts {
				if _, kept := want[id]; kept && len(got[id]) != len(ps) {
					t.Errorf("trace %s: in %d blocks, was in %d", id, len(got[id]), len(ps))
				}
			}
			for _, m := range live {
				if m.CompactionLevel != 0 || m.Version != backend.VersionVParquet5 || len(m.DedicatedColumns) != len(before[0].DedicatedColumns) {
					t.Errorf("output %s: level %d, %s, %d dedicated columns", m.BlockID, m.CompactionLevel, m.Version, len(m.DedicatedColumns))
				}
			}
			idx, err := be.ReadTenantIndex(ctx, "multi")
			if err != nil || !slices.Equal(blockIDs(idx.Meta), blockIDs(live)) {
				t.Errorf("tenant index %v, live %v (%v)", blockIDs(idx.Meta), blockIDs(live), err)
			}
			// The same options again change nothing.
			again, err := Rewrite(ctx, be, o)
			if err != nil || again.Rewritten != 0 || again.Unchanged != 4 {
				t.Errorf("second run: %+v %v", again, err)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestConvert(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		tenant, to string
		refTenant  string // a Tempo block of the target version with the same schema
	}{
		{"v4-tenant", backend.VersionVParquet5, ""},
		{"acme", backend.VersionVParquet4, "v4-tenant"},
	}
	for _, tt := range tests {
		t.Run(tt.tenant+"->"+tt.to, func(t *testing.T) {
			be, _ := fixtureCopy(t, tt.tenant, "v4-tenant")
			parts, before := liveTraces(t, be, tt.tenant)
			res, err := Rewrite(ctx, be, RewriteOptions{Tenant: tt.tenant, Blocks: []uuid.UUID{before[0].BlockID}, ToVersion: tt.to})
			if err != nil || res.Rewritten != 1 {
				t.Fatalf("%+v %v", res, err)
			}
			checkExactlyOnce(t, be, tt.tenant, union(parts))
			_, live := liveTraces(t, be, tt.tenant)
			out := live[0]
			if out.Version != tt.to || out.BlockID == before[0].BlockID || out.TotalObjects != before[0].TotalObjects {
				t.Errorf("output %+v", out)
			}
			if tt.refTenant != "" {
				_, ref := liveTraces(t, be, tt.refTenant)
				checkSameSchema(t, schemaLines(t, be, ref[0]), schemaLines(t, be, out))
			}
			// Converting to the version it has is a no-op.
			again, err := Rewrite(ctx, be, RewriteOptions{Tenant: tt.tenant, ToVersion: tt.to})
			if err != nil || again.Unchanged != 1 {
				t.Errorf("%+v %v", again, err)
			}
		})
	}
}

func TestRewriteBadOptions(t *testing.T) {
	be := memBackend(t)
	for _, o := range []RewriteOptions{
		{Tenant: "t"},
		{Tenant: "t", DropQuery: "{ span.x = "},
		{Tenant: "t", DropQuery: "{ } | rate()"},
		{Tenant: "t", ToVersion: "vParquet3"},
	} {
		if _, err := Rewrite(context.Background(), be, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

// Killing the process at any bucket write during a rewrite, then running
// the same rewrite again, leaves every kept trace readable exactly once and
// the dropped ones gone.
func TestRewriteCrashAtEveryStep(t *testing.T) {
	ctx := context.Background()
	seed := memBackend(t)
	traces := generate(21, 90)
	cfg := block.Config{DedicatedColumns: vparquet.DefaultDedicatedColumns()}
	for b := 0; b < 3; b++ {
		writeBlock(t, seed, "t1", cfg, traces[b*30:(b+1)*30])
	}
	all := map[model.TraceID]ptrace.Traces{}
	for _, tr := range traces {
		all[tr.id] = tr.td
	}
	drop := []model.TraceID{traces[3].id, traces[31].id, traces[32].id} // blocks 0 and 1
	red := []RedactAttr{{"", "http.method"}, {"resource", "k8s.pod.name"}}
	want := expectAfter(all, func(id model.TraceID, _ ptrace.Traces) bool { return slices.Contains(drop, id) }, &redactor{attrs: red})
	opts := RewriteOptions{Tenant: "t1", DropIDs: drop, Redact: red}
	for budget := 0; ; budget++ {
		inner := cloneBucket(t, seed.Bucket())
		be, cb := crashAfter(inner, budget)
		res, err := Rewrite(ctx, be, opts)
		if !cb.dead {
			if err != nil || res.Failed > 0 {
				t.Fatalf("budget %d: %v %+v", budget, err, res)
			}
			// Per block: flag, 4 output objects, mark (copy, delete); the
			// journal around the marks; the two index objects.
			if want := 3*7 + 2 + 2; budget != want {
				t.Fatalf("rewrite made %d bucket writes, want %d", budget, want)
			}
			break
		}
		be2 := backend.NewFromBucket(inner)
		if res, err := Rewrite(ctx, be2, opts); err != nil || res.Failed > 0 {
			t.Fatalf("budget %d: re-run: %v %+v", budget, err, res)
		}
		checkExactlyOnce(t, be2, "t1", want)
		if t.Failed() {
			t.Fatalf("budget %d", budget)
		}
	}
}

func TestParseRedactAttr(t *testing.T) {
	tests := []struct {
		in      string
		want    RedactAttr
		wantErr bool
	}{
		{"span.user.email", RedactAttr{"span", "user.email"}, false},
		{".user.email", RedactAttr{"", "user.email"}, false},
		{"resource.host.ip", RedactAttr{"resource", "host.ip"}, false},
		{`span."user email"`, RedactAttr{"span", "user email"}, false},
		{"user", RedactAttr{}, true},
		{"spam.x", RedactAttr{}, true},
		{"span.", RedactAttr{}, true},
	}
	for _, tt := range tests {
		got, err := ParseRedactAttr(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%q: %+v %v", tt.in, got, err)
		}
	}
}

func TestParseTraceIDs(t *testing.T) {
	ids, err := ParseTraceIDs("# ids\nabcd, 0000000000000000000000000000abce\n\n  ff # trailing\n")
	if err != nil || len(ids) != 3 || ids[0].String() != "0000000000000000000000000000abcd" || ids[2].String() != strings.Repeat("0", 30)+"ff" {
		t.Fatalf("%v %v", ids, err)
	}
	if _, err := ParseTraceIDs("abc\nnot-hex"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad id: %v", err)
	}
}
