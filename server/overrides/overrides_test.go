package overrides

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestPerTenantFileAndReload(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "overrides.yaml")
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("overrides:\n  acme:\n    max_traces_per_user: 7\n")
	o, err := New(Config{Limits: DefaultLimits(), PerTenantOverrideConfig: file, PerTenantOverridePeriod: 20 * time.Millisecond}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	o.Start()
	defer o.Stop()
	if got := o.For("acme").MaxTracesPerUser; got != 7 {
		t.Fatalf("acme: %d", got)
	}
	if got := o.For("globex").MaxTracesPerUser; got != DefaultLimits().MaxTracesPerUser {
		t.Fatalf("globex gets the defaults, got %d", got)
	}
	write("overrides:\n  acme:\n    max_traces_per_user: 9\n")
	deadline := time.Now().Add(5 * time.Second)
	for o.For("acme").MaxTracesPerUser != 9 {
		if time.Now().After(deadline) {
			t.Fatal("override file not reloaded")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestBadAndMissingFiles(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := New(Config{PerTenantOverrideConfig: "/nonexistent/overrides.yaml"}, log); err != nil {
		t.Fatalf("a missing file must not stop serve: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("overrides:\n  acme:\n    max_tracez: 1\n"), 0o644)
	if _, err := New(Config{PerTenantOverrideConfig: bad}, log); err == nil {
		t.Fatal("unknown key in the override file accepted")
	}
}
