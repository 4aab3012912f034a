package overrides

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
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
		{"structured form", "overrides:\n  acme:\n    ingestion:\n      rate_limit_bytes: 1\n      max_traces_per_user: 3\n    global:\n      max_bytes_per_trace: 4\n",
			Limits{IngestionRateLimitBytes: 1, IngestionBurstSizeBytes: 2000, MaxTracesPerUser: 3, MaxBytesPerTrace: 4}},
		{"structured compaction", "overrides:\n  acme:\n    compaction:\n      block_retention: 1h\n      compaction_disabled: true\n",
			Limits{IngestionRateLimitBytes: 1000, IngestionBurstSizeBytes: 2000, MaxTracesPerUser: 10, MaxBytesPerTrace: 500, BlockRetention: time.Hour, CompactionDisabled: true}},
		{"structured, unused section", "overrides:\n  acme:\n    metrics_generator:\n      processors: [span-metrics]\n    ingestion:\n      burst_size_bytes: 5\n",
			Limits{IngestionRateLimitBytes: 1000, IngestionBurstSizeBytes: 5, MaxTracesPerUser: 10, MaxBytesPerTrace: 500}},
		{"legacy strategy key", "overrides:\n  acme:\n    ingestion_rate_strategy: global\n    max_traces_per_user: 2\n",
			Limits{IngestionRateLimitBytes: 1000, IngestionBurstSizeBytes: 2000, MaxTracesPerUser: 2, MaxBytesPerTrace: 500}},
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

// TestWildcardAndBadEntries: Tempo's "*" entry is every other tenant's
// limits; entries in an unknown shape are refused naming the tenant, and a
// refused reload keeps the limits in force.
func TestWildcardAndBadEntries(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	defaults := DefaultLimits()
	file := filepath.Join(t.TempDir(), "overrides.yaml")
	os.WriteFile(file, []byte("overrides:\n  \"*\":\n    ingestion:\n      max_traces_per_user: 5\n  acme:\n    max_traces_per_user: 7\n"), 0o644)
	o, err := New(Config{Limits: defaults, PerTenantOverrideConfig: file}, log)
	if err != nil {
		t.Fatal(err)
	}
	if got := o.For("acme").MaxTracesPerUser; got != 7 {
		t.Errorf("acme: %d, want its own 7", got)
	}
	if got := o.For("globex").MaxTracesPerUser; got != 5 {
		t.Errorf("globex: %d, want the wildcard's 5", got)
	}
	for _, bad := range []struct{ file, want string }{
		{"overrides:\n  acme:\n    ingestion:\n      rate_limit: 1\n", "rate_limit"},
		{"overrides:\n  acme:\n    ingestion:\n      rate_strategy: nearby\n", "nearby"},
		{"overrides:\n  acme: 3\n", "acme"},
	} {
		os.WriteFile(file, []byte(bad.file), 0o644)
		err := o.reload()
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: error %v, want one naming %q", bad.file, err, bad.want)
		}
		if got := o.For("acme").MaxTracesPerUser; got != 7 {
			t.Errorf("after a refused reload acme has %d, want the 7 in force", got)
		}
	}
}

// TestNotUsedKeysAreNamed: keys of parts tempoctl does not build are
// accepted and named for the log, with the tenant they belong to.
func TestNotUsedKeysAreNamed(t *testing.T) {
	_, notUsed, err := parseOverrides([]byte("overrides:\n  acme:\n    metrics_generator:\n      processors: [span-metrics]\n    ingestion:\n      tenant_shard_size: 3\n  beta:\n    max_global_traces_per_user: 9\n"), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	want := "overrides.acme.ingestion.tenant_shard_size,overrides.acme.metrics_generator,overrides.beta.max_global_traces_per_user"
	if got := strings.Join(notUsed, ","); got != want {
		t.Errorf("not used %q, want %q", got, want)
	}
}
