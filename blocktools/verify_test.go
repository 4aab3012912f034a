package blocktools

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/internal/tracecmp"
	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/bloom"
	"github.com/tempoctl/tempoctl/storage/vparquet"
	"github.com/tempoctl/tempoctl/storage/vparquet5"
)

var fixtureTenants = []string{"single-tenant", "acme", "globex", "v4-tenant", "multi", "rowgroups"}

func TestVerifyCleanFixtures(t *testing.T) {
	be, _ := fixtureCopy(t, fixtureTenants...)
	res, err := Verify(context.Background(), be, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Checked != 9 || res.WithProblem != 0 {
		for _, b := range res.Blocks {
			t.Logf("%s/%s %s %v", b.Tenant, b.BlockID, b.State, b.Problems)
		}
		t.Fatalf("checked %d, %d with problems", res.Checked, res.WithProblem)
	}
	for _, b := range res.Blocks {
		if b.Traces == 0 || b.RowGroups == 0 {
			t.Errorf("%s: %d traces, %d row groups", b.BlockID, b.Traces, b.RowGroups)
		}
	}
}

// corruption damages one block of a local bucket copy.
type corruption struct {
	name   string
	tenant string
	damage func(t *testing.T, blockDir string)
	// problem kinds Verify must report
	want []string
	// after --repair: "rebuilt" (block clean and fully readable again),
	// "quarantined", "salvaged" (readable row groups in a new block, the
	// rest quarantined)
	repair string
}

func flip(t *testing.T, file string, from, to float64) {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i := int(float64(len(b)) * from); i < int(float64(len(b))*to); i++ {
		b[i] ^= 0xa5
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// flipPageData flips one byte in the middle of row group 2's largest column
// chunk: inside compressed page data, so the page's CRC no longer matches.
func flipPageData(t *testing.T, d string) {
	p := filepath.Join(d, backend.DataName)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var best format.ColumnChunk
	for _, c := range f.Metadata().RowGroups[2].Columns {
		if c.MetaData.TotalCompressedSize > best.MetaData.TotalCompressedSize {
			best = c
		}
	}
	off := best.MetaData.DataPageOffset + best.MetaData.TotalCompressedSize/2
	b[off] ^= 0xff
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func editMeta(t *testing.T, dir string, edit func(m map[string]any)) {
	p := filepath.Join(dir, backend.MetaName)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ = json.Marshal(m)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func age(t *testing.T, dir string) {
	old := time.Now().Add(-3 * time.Hour)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if err := os.Chtimes(filepath.Join(dir, e.Name()), old, old); err != nil {
			t.Fatal(err)
		}
	}
}

var corruptions = []corruption{
	{"meta missing", "acme", func(t *testing.T, d string) { os.Remove(filepath.Join(d, backend.MetaName)); age(t, d) },
		[]string{ProblemMetaMissing}, "rebuilt"},
	{"meta unparseable", "acme", func(t *testing.T, d string) {
		os.WriteFile(filepath.Join(d, backend.MetaName), []byte(`{"format":"vParquet5","blockID":`), 0o644)
	}, []string{ProblemMetaUnparseable}, "rebuilt"},
	{"meta of an unknown format", "acme", func(t *testing.T, d string) {
		editMeta(t, d, func(m map[string]any) { m["format"] = "vParquet5-preview5" })
	}, []string{ProblemMetaUnparseable}, "rebuilt"},
	{"data missing", "acme", func(t *testing.T, d string) { os.Remove(filepath.Join(d, backend.DataName)) },
		[]string{ProblemDataMissing}, "quarantined"},
	{"data truncated", "acme", func(t *testing.T, d string) { os.Truncate(filepath.Join(d, backend.DataName), 5000) },
		[]string{ProblemDataTruncated}, "quarantined"},
	{"data truncated to nothing", "acme", func(t *testing.T, d string) { os.Truncate(filepath.Join(d, backend.DataName), 3) },
		[]string{ProblemDataTruncated}, "quarantined"},
	{"bad footer", "acme", func(t *testing.T, d string) { flip(t, filepath.Join(d, backend.DataName), 0.93, 0.99) },
		[]string{ProblemDataCorrupt}, "quarantined"},
	{"bad footer length", "acme", func(t *testing.T, d string) {
		p := filepath.Join(d, backend.DataName)
		b, _ := os.ReadFile(p)
		b[len(b)-6] ^= 0x7f
		os.WriteFile(p, b, 0o644)
	}, []string{ProblemDataCorrupt}, "quarantined"},
	{"bad page header in one row group", "rowgroups", func(t *testing.T, d string) { flip(t, filepath.Join(d, backend.DataName), 0.30, 0.31) },
		[]string{ProblemDataCorrupt}, "salvaged"},
	{"bad page CRC in one row group", "rowgroups", flipPageData, []string{ProblemDataCorrupt}, "salvaged"},
	{"bloom misses traces", "acme", func(t *testing.T, d string) {
		empty := bloom.New(0.01, 0, 1)
		shards, _ := empty.Marshal()
		os.WriteFile(filepath.Join(d, backend.BloomName(0)), shards[0], 0o644)
	}, []string{ProblemBloom}, "rebuilt"},
	{"bloom shard missing", "acme", func(t *testing.T, d string) { os.Remove(filepath.Join(d, backend.BloomName(0))) },
		[]string{ProblemBloom}, "rebuilt"},
	{"bloom shard corrupt", "acme", func(t *testing.T, d string) {
		os.WriteFile(filepath.Join(d, backend.BloomName(0)), []byte("xx"), 0o644)
	},
		[]string{ProblemBloom}, "rebuilt"},
	{"index missing", "rowgroups", func(t *testing.T, d string) { os.Remove(filepath.Join(d, backend.IndexName)) },
		[]string{ProblemIndex}, "rebuilt"},
	{"index wrong", "rowgroups", func(t *testing.T, d string) {
		os.WriteFile(filepath.Join(d, backend.IndexName), []byte(`{"rowGroups":["AAAAAAAAAAD/qNcWH2+fAQ=="]}`), 0o644)
	}, []string{ProblemIndex}, "rebuilt"},
	{"meta counts wrong", "acme", func(t *testing.T, d string) {
		editMeta(t, d, func(m map[string]any) { m["totalObjects"] = 7; m["totalRecords"] = 9; m["footerSize"] = 12 })
	}, []string{ProblemMetaMismatch}, "rebuilt"},
	{"meta time range too narrow", "acme", func(t *testing.T, d string) {
		editMeta(t, d, func(m map[string]any) { m["startTime"] = "2026-11-23T20:26:59Z"; m["endTime"] = "2026-11-23T20:26:58Z" })
	}, []string{ProblemMetaMismatch}, "rebuilt"},
	{"schema not the format's", "v4-tenant", func(t *testing.T, d string) {
		editMeta(t, d, func(m map[string]any) { m["format"] = "vParquet5" })
	}, []string{ProblemSchema}, "quarantined"},
}

func TestVerifyCorruptions(t *testing.T) {
	ctx := context.Background()
	for _, c := range corruptions {
		t.Run(c.name, func(t *testing.T) {
			be, root := fixtureCopy(t, c.tenant)
			live, _, _, err := be.PollBlocks(ctx, c.tenant)
			if err != nil || len(live) != 1 {
				t.Fatal(live, err)
			}
			orig := live[0]
			want := union(mustTraces(t, be, c.tenant))
			dir := filepath.Join(root, c.tenant, orig.BlockID.String())
			c.damage(t, dir)

			res, err := Verify(ctx, be, VerifyOptions{Tenants: []string{c.tenant}})
			if err != nil {
				t.Fatal(err)
			}
			rep := res.Blocks[0]
			var kinds []string
			for _, p := range rep.Problems {
				kinds = append(kinds, p.Kind)
			}
			for _, k := range c.want {
				if !slices.Contains(kinds, k) {
					t.Errorf("problems %v lack %s", rep.Problems, k)
				}
			}
			if res.WithProblem != 1 {
				t.Errorf("%d blocks with problems", res.WithProblem)
			}

			res, err = Verify(ctx, be, VerifyOptions{Tenants: []string{c.tenant}, Repair: true})
			if err != nil {
				t.Fatal(err)
			}
			rep = res.Blocks[0]
			t.Logf("problems: %v; repairs: %v", kinds, rep.Repairs)
			if c.name == "bad page CRC in one row group" && !strings.Contains(rep.Problems[0].Detail, "crc32 checksum mismatch") {
				t.Errorf("problem %q does not name the CRC", rep.Problems[0].Detail)
			}
			after, err := Verify(ctx, be, VerifyOptions{Tenants: []string{c.tenant}})
			if err != nil {
				t.Fatal(err)
			}
			switch c.repair {
			case "rebuilt":
				if after.WithProblem != 0 || rep.Quarantined {
					t.Fatalf("after repair: %+v", after.Blocks[0])
				}
				checkExactlyOnce(t, be, c.tenant, want)
				n := 0
				for id := range want { // lookups by ID go through the rebuilt bloom and meta
					if n++; n > 15 {
						break
					}
					fr, err := FindTrace(ctx, be, c.tenant, id)
					if err != nil || !fr.Found {
						t.Fatalf("trace %s not found by ID after repair: %v", id, err)
					}
				}
			case "quarantined", "salvaged":
				if !rep.Quarantined {
					t.Fatalf("not quarantined: %+v", rep)
				}
				if ok, _ := be.HasNoCompactFlag(ctx, c.tenant, orig.BlockID); !ok {
					t.Error("no nocompact.flg")
				}
				if _, err := os.Stat(filepath.Join(dir, backend.MetaName)); !os.IsNotExist(err) {
					t.Error("meta.json still in the query path")
				}
				if after.WithProblem != 0 {
					t.Errorf("after repair: %+v", after.Blocks)
				}
				states := map[string]string{}
				for _, b := range after.Blocks {
					states[b.BlockID] = b.State
				}
				if states[orig.BlockID.String()] != "quarantined" {
					t.Errorf("states after repair: %v", states)
				}
				if c.repair == "salvaged" {
					if rep.Salvaged == nil {
						t.Fatal("nothing salvaged")
					}
					got := mustTraces(t, be, c.tenant)
					if int64(len(got)) != rep.Salvaged.TotalObjects || len(got) == 0 || len(got) >= len(want) {
						t.Errorf("salvaged %d of %d traces, block says %d", len(got), len(want), rep.Salvaged.TotalObjects)
					}
					for id, ps := range got {
						if d := tracecmp.Diff(want[id], ps[0], tracecmp.Options{}, 3); len(d) > 0 {
							t.Errorf("salvaged trace %s differs: %v", id, d)
						}
					}
					// Running repair again finds the salvaged block, writes nothing new.
					again, _ := Verify(ctx, be, VerifyOptions{Tenants: []string{c.tenant}, Repair: true})
					if again.WithProblem != 0 || again.Salvaged != 0 {
						t.Errorf("second repair: %+v", again)
					}
				} else if live, _, _, _ := be.PollBlocks(ctx, c.tenant); len(live) != 0 {
					t.Errorf("%d live blocks after quarantine", len(live))
				}
				idx, err := be.ReadTenantIndex(ctx, c.tenant)
				if err == nil && slices.ContainsFunc(idx.Meta, func(m *backend.BlockMeta) bool { return m.BlockID == orig.BlockID }) {
					t.Error("tenant index still lists the quarantined block")
				}
			}
		})
	}
}

func mustTraces(t *testing.T, be *backend.Backend, tenant string) map[model.TraceID][]ptrace.Traces {
	got, _ := liveTraces(t, be, tenant)
	return got
}

// A block whose rows are not sorted by trace ID is reported (lookups by ID
// binary-search and would miss traces) and quarantined.
func TestVerifyUnsortedBlock(t *testing.T) {
	ctx := context.Background()
	be := memBackend(t)
	traces := generate(5, 20)
	m := writeBlock(t, be, "t1", block.Config{DedicatedColumns: vparquet.DefaultDedicatedColumns()}, traces)
	// Replace the data with the same rows in reverse order.
	codec, err := vparquet5.Format.NewCodec(m.DedicatedColumns)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	rw := codec.NewRowWriter(&buf, codec.WriterOptions()...)
	rows := make([]vparquet.Trace, len(traces))
	for i, tr := range traces {
		vparquet.FromOTLP(tr.id, tr.td, codec.Assignment(), &rows[len(rows)-1-i])
	}
	if err := rw.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if err := be.WriteObjectBytes(ctx, "t1", m.BlockID, backend.DataName, data); err != nil {
		t.Fatal(err)
	}
	m.Size = uint64(len(data))
	m.FooterSize = binary.LittleEndian.Uint32(data[len(data)-8:])
	if err := be.WriteMeta(ctx, m); err != nil {
		t.Fatal(err)
	}
	res, err := Verify(ctx, be, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep := res.Blocks[0]; !rep.has(ProblemOrder) {
		t.Fatalf("problems %v", rep.Problems)
	}
	res, _ = Verify(ctx, be, VerifyOptions{Repair: true})
	if !res.Blocks[0].Quarantined {
		t.Fatalf("not quarantined: %+v", res.Blocks[0])
	}
}

// Random damage anywhere in data.parquet never panics Verify, and each
// damaged block is reported or reads back whole.
func TestVerifyRandomDamageNeverPanics(t *testing.T) {
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 25; i++ {
		be, root := fixtureCopy(t, "rowgroups")
		live, _, _, _ := be.PollBlocks(ctx, "rowgroups")
		p := filepath.Join(root, "rowgroups", live[0].BlockID.String(), backend.DataName)
		b, _ := os.ReadFile(p)
		for k := 0; k < 1+rnd.IntN(8); k++ {
			b[rnd.IntN(len(b))] ^= byte(1 + rnd.IntN(255))
		}
		os.WriteFile(p, b, 0o644)
		res, err := Verify(ctx, be, VerifyOptions{Tenants: []string{"rowgroups"}, Repair: i%2 == 0})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Blocks) == 0 {
			t.Fatal("no report")
		}
	}
}
