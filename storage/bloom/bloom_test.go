package bloom

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
)

func mustHex(t testing.TB, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Test vectors from spec/block-format.md §11.
func TestSpecVectors(t *testing.T) {
	tests := []struct {
		id        string
		hashes    []uint64
		positions []uint64
		fnv       uint32
	}{
		{
			id:        "0000000000000000abcd000000000001",
			hashes:    []uint64{0xdbbe2f03a93bca05, 0x7e43e492a59699b1, 0x7224fc7fb2dbeeed, 0xd5dd1c3947fc34bc},
			positions: []uint64{346629, 249453, 504701, 484984, 230841, 139613, 394861},
			fnv:       0xdd2c5068,
		},
		{
			id:        "5b8efff798038103d269b633813fc60c",
			positions: []uint64{99236, 477398, 705224, 738425, 425280, 476958, 704784},
		},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			id := mustHex(t, tt.id)
			h := hashes(id)
			for i, want := range tt.hashes {
				if h[i] != want {
					t.Errorf("h%d = %#x, want %#x", i+1, h[i], want)
				}
			}
			for i, want := range tt.positions {
				if got := location(h, uint64(i)) % 819200; got != want {
					t.Errorf("position %d = %d, want %d", i, got, want)
				}
			}
			if tt.fnv != 0 && fnv1(id) != tt.fnv {
				t.Errorf("fnv1 = %#x, want %#x", fnv1(id), tt.fnv)
			}
		})
	}
}

func TestSizing(t *testing.T) {
	tests := []struct {
		n, shardSize int
		fp           float64
		wantShards   int
		wantK        uint64
	}{
		{n: 1, fp: 0.01, shardSize: DefaultShardSizeBytes, wantShards: 1, wantK: 7},
		{n: 200, fp: 0.01, shardSize: DefaultShardSizeBytes, wantShards: 1, wantK: 7},
		{n: 1_000_000, fp: 0.01, shardSize: DefaultShardSizeBytes, wantShards: 12, wantK: 7},
		{n: 100_000_000, fp: 0.01, shardSize: 1024, wantShards: 1000, wantK: 7},
	}
	for _, tt := range tests {
		s := New(tt.fp, tt.shardSize, tt.n)
		if s.ShardCount() != tt.wantShards {
			t.Errorf("n=%d: shards = %d, want %d", tt.n, s.ShardCount(), tt.wantShards)
		}
		if s.shards[0].k != tt.wantK {
			t.Errorf("n=%d: k = %d, want %d", tt.n, s.shards[0].k, tt.wantK)
		}
	}
	b, _ := New(0.01, DefaultShardSizeBytes, 10).Marshal()
	if len(b) != 1 || len(b[0]) != 102424 {
		t.Errorf("default shard is %d bytes, want 102424", len(b[0]))
	}
}

func TestAddTestRoundTrip(t *testing.T) {
	s := New(0.01, 1024, 5000)
	var ids [][]byte
	for i := 0; i < 5000; i++ {
		id := model.TraceIDFromBytes([]byte{byte(i >> 8), byte(i), 7, 9})
		ids = append(ids, id[:])
		s.Add(id[:])
	}
	shards, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		ok, err := Test(shards[ShardFor(id, len(shards))], id)
		if err != nil || !ok {
			t.Fatalf("added id %x not found (err %v)", id, err)
		}
	}
	// The false-positive rate must be in the ballpark of what was asked for.
	fp := 0
	for i := 0; i < 10000; i++ {
		id := model.TraceIDFromBytes([]byte{0xff, byte(i >> 8), byte(i), 1, 2, 3})
		if ok, _ := Test(shards[ShardFor(id[:], len(shards))], id[:]); ok {
			fp++
		}
	}
	if fp > 300 {
		t.Errorf("false positives %d/10000, want about 1%%", fp)
	}
}

func TestCorruptShard(t *testing.T) {
	for _, b := range [][]byte{nil, make([]byte, 10), make([]byte, 24), append(make([]byte, 7), 0xff)} {
		if _, err := Test(b, make([]byte, 16)); err == nil {
			t.Errorf("corrupt shard %x accepted", b)
		}
	}
}

// Every trace in a Tempo-written block is in its bloom-0.
func TestFixtureBlooms(t *testing.T) {
	root := filepath.Join("..", "..", "..", "shared", "fixtures", "tempo-blocks")
	blocks := map[string]string{
		"single-tenant": "14456428-33c7-433e-abcb-1d6dfb46c8f1",
		"acme":          "760f4264-5262-47bb-8136-539453eb0a85",
		"globex":        "790fd897-da94-4148-8cfc-bd3ea22ec085",
		"v4-tenant":     "11bccac9-5959-4123-be30-7bef8c0fa52c",
		"rowgroups":     "fdd542b2-7cfe-49d4-b332-cb5ca051423e",
	}
	for tenant, block := range blocks {
		t.Run(tenant, func(t *testing.T) {
			shard, err := os.ReadFile(filepath.Join(root, tenant, block, "bloom-0"))
			if err != nil {
				t.Fatalf("fixtures (shared/ beside the repo): %v", err)
			}
			f, err := os.Open(filepath.Join(root, "expected", tenant+".json"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			n := 0
			_, err = model.ReadOTLPJSONLines(f, func(_ int, td ptrace.Traces) error {
				id := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).TraceID()
				ok, err := Test(shard, id[:])
				if err != nil {
					return err
				}
				if !ok {
					t.Errorf("trace %x missing from Tempo's bloom", id)
				}
				n++
				return nil
			})
			if err != nil || n == 0 {
				t.Fatalf("err=%v traces=%d", err, n)
			}
		})
	}
}

func BenchmarkAdd(b *testing.B) {
	s := New(0.01, DefaultShardSizeBytes, 100000)
	id := mustHex(b, "5b8efff798038103d269b633813fc60c")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		id[15] = byte(i)
		s.Add(id)
	}
}

func BenchmarkTest(b *testing.B) {
	s := New(0.01, DefaultShardSizeBytes, 100000)
	id := mustHex(b, "5b8efff798038103d269b633813fc60c")
	s.Add(id)
	shards, _ := s.Marshal()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if ok, _ := Test(shards[0], id); !ok {
			b.Fatal("missing")
		}
	}
}
