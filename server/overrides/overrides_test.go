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

// TestPerTenantEntryKeepsDefaults: a tenant's entry in the override file
// changes only the keys it names; the others keep the default limits.
func TestPerTenantEntryKeepsDefaults(t *testing.T) {
	defaults := Limits{IngestionRateLimitBytes: 1000, IngestionBurstSizeBytes: 2000, MaxTracesPerUser: 10, MaxBytesPerTrace: 500}
	tests := []struct {
		name string
		file string
		want Limits
	}{
		{"one key", "overrides:\n  acme:\n    max_traces_per_user: 7\n",
			Limits{IngestionRateLimitBytes: 1000, IngestionBurstSizeBytes: 2000, MaxTracesPerUser: 7, MaxBytesPerTrace: 500}},
		{"explicit zero lifts that limit only", "overrides:\n  acme:\n    ingestion_rate_limit_bytes: 0\n",
			Limits{IngestionRateLimitBytes: 0, IngestionBurstSizeBytes: 2000, MaxTracesPerUser: 10, MaxBytesPerTrace: 500}},
		{"every key", "overrides:\n  acme:\n    ingestion_rate_limit_bytes: 1\n    ingestion_burst_size_bytes: 2\n    max_traces_per_user: 3\n    max_bytes_per_trace: 4\n",
			Limits{IngestionRateLimitBytes: 1, IngestionBurstSizeBytes: 2, MaxTracesPerUser: 3, MaxBytesPerTrace: 4}},
		{"empty entry", "overrides:\n  acme: {}\n", defaults},
		{"null entry", "overrides:\n  acme:\n", defaults},
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "overrides.yaml")
			if err := os.WriteFile(file, []byte(tt.file), 0o644); err != nil {
				t.Fatal(err)
			}
			o, err := New(Config{Limits: defaults, PerTenantOverrideConfig: file}, log)
			if err != nil {
				t.Fatal(err)
			}
			if got := o.For("acme"); got != tt.want {
				t.Errorf("acme: %+v, want %+v", got, tt.want)
			}
			if got := o.For("globex"); got != defaults {
				t.Errorf("globex (no entry): %+v, want the defaults %+v", got, defaults)
			}
		})
	}
}
