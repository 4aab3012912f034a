package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tempoctl/tempoctl/server/overrides"
)

// TestTempoOverridesSection: Tempo's `overrides:` section, in its legacy
// flat form and its structured form, sets the limits serve enforces; what
// it leaves out keeps Tempo's defaults, and flags on either name apply.
func TestTempoOverridesSection(t *testing.T) {
	def := overrides.DefaultLimits()
	tests := []struct {
		name    string
		yaml    string
		flags   []string
		want    func(l *overrides.Limits)
		file    string
		notUsed string
		err     string
	}{
		{name: "legacy flat form",
			yaml: "overrides:\n  ingestion_rate_limit_bytes: 100\n  ingestion_burst_size_bytes: 200\n  max_traces_per_user: 3\n  max_bytes_per_trace: 4\n  block_retention: 48h\n  per_tenant_override_config: /o.yaml\n  per_tenant_override_period: 5s\n",
			want: func(l *overrides.Limits) {
				l.IngestionRateLimitBytes, l.IngestionBurstSizeBytes, l.MaxTracesPerUser, l.MaxBytesPerTrace, l.BlockRetention = 100, 200, 3, 4, 48*time.Hour
			},
			file: "/o.yaml"},
		{name: "structured form",
			yaml: "overrides:\n  defaults:\n    ingestion:\n      rate_strategy: local\n      rate_limit_bytes: 100\n      burst_size_bytes: 200\n      max_traces_per_user: 3\n    global:\n      max_bytes_per_trace: 4\n    compaction:\n      compaction_disabled: true\n  per_tenant_override_config: /o.yaml\n",
			want: func(l *overrides.Limits) {
				l.IngestionRateLimitBytes, l.IngestionBurstSizeBytes, l.MaxTracesPerUser, l.MaxBytesPerTrace, l.CompactionDisabled = 100, 200, 3, 4, true
			},
			file: "/o.yaml"},
		{name: "one key keeps the other defaults",
			yaml: "overrides:\n  defaults:\n    ingestion:\n      max_traces_per_user: 0\n",
			want: func(l *overrides.Limits) { l.MaxTracesPerUser = 0 }},
		{name: "sections of parts not built are logged",
			yaml:    "overrides:\n  defaults:\n    metrics_generator:\n      processors: [service-graphs]\n    ingestion:\n      max_global_traces_per_user: 5\n",
			want:    func(*overrides.Limits) {},
			notUsed: "overrides.defaults.metrics_generator"},
		{name: "flag on the structured name",
			flags: []string{"-limits.max_bytes_per_trace=9", "-overrides.defaults.ingestion.rate_limit_bytes=7"},
			want:  func(l *overrides.Limits) { l.IngestionRateLimitBytes, l.MaxBytesPerTrace = 7, 9 }},
		{name: "flag on the flat name", flags: []string{"-overrides.max_traces_per_user=11"},
			want: func(l *overrides.Limits) { l.MaxTracesPerUser = 11 }},
		{name: "both forms", yaml: "overrides:\n  max_traces_per_user: 1\n  defaults:\n    global:\n      max_bytes_per_trace: 2\n",
			err: "either the defaults: form or the legacy flat keys"},
		{name: "both sections", yaml: "limits:\n  max_traces_per_user: 1\noverrides:\n  max_traces_per_user: 2\n",
			err: "both limits and overrides"},
		{name: "unknown key names its path", yaml: "overrides:\n  defaults:\n    ingestion:\n      rate_limit_byte: 1\n",
			err: "overrides.defaults.ingestion.rate_limit_byte"},
		{name: "bad strategy", yaml: "overrides:\n  defaults:\n    ingestion:\n      rate_strategy: regional\n",
			err: `rate_strategy "regional"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.flags
			if tt.yaml != "" {
				f := filepath.Join(t.TempDir(), "tempo.yaml")
				if err := os.WriteFile(f, []byte(tt.yaml), 0o644); err != nil {
					t.Fatal(err)
				}
				args = append([]string{"-config.file=" + f}, args...)
			}
			cfg, err := load(t, args...)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := def
			tt.want(&want)
			if cfg.Limits.Limits != want {
				t.Errorf("limits %+v\nwant   %+v", cfg.Limits.Limits, want)
			}
			if cfg.Limits.PerTenantOverrideConfig != tt.file {
				t.Errorf("per_tenant_override_config %q, want %q", cfg.Limits.PerTenantOverrideConfig, tt.file)
			}
			if nu := strings.Join(NotUsedYetKeys(&cfg), ","); tt.notUsed != "" && !strings.Contains(nu, tt.notUsed) {
				t.Errorf("not-used-yet keys %q lack %q", nu, tt.notUsed)
			}
			if _, err := Marshal(&cfg); err != nil {
				t.Errorf("/status/config rendering: %v", err)
			}
		})
	}
}
