package backend

import (
	"os"
	"path/filepath"
	"testing"
)

// The decoders of what we read from buckets must reject garbage with an
// error, never panic: a corrupt object must not take a server down.

func FuzzUnmarshalMeta(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fixtures", "tempo-blocks", "acme", "760f4264-5262-47bb-8136-539453eb0a85", MetaName)); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"format":"vParquet5","blockID":"00000000-0000-0000-0000-000000000001"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = UnmarshalMeta(b)
	})
}

func FuzzTenantIndexProto(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fixtures", "tempo-blocks", "multi", TenantIndexProto)); err == nil {
		f.Add(b)
	}
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = UnmarshalTenantIndexProto(b)
	})
}

func FuzzTenantIndexJSON(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fixtures", "tempo-blocks", "acme", TenantIndexJSON)); err == nil {
		f.Add(b)
	}
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = UnmarshalTenantIndexJSON(b)
	})
}

func FuzzRowGroupIndex(f *testing.F) {
	f.Add([]byte(`{"rowGroups":["AAAAAAAAAAD/qNcWH2+fAQ=="]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = UnmarshalRowGroupIndex(b)
	})
}
