package overrides

import (
	"errors"
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// Structured is Tempo's (2.3 and later) form of one tenant's limits: under
// `overrides.defaults` in the config and under each tenant in the override
// file. Pointers tell a key that was set from one left out, so an entry
// changes only what it names.
type Structured struct {
	Ingestion  *IngestionLimits  `yaml:"ingestion"`
	Global     *GlobalLimits     `yaml:"global"`
	Compaction *CompactionLimits `yaml:"compaction"`
	// Sections of parts tempoctl does not build yet: accepted and logged
	// as not used, never an error.
	Read             yaml.Node `yaml:"read"`
	MetricsGenerator yaml.Node `yaml:"metrics_generator"`
	Forwarders       yaml.Node `yaml:"forwarders"`
	Storage          yaml.Node `yaml:"storage"`
	CostAttribution  yaml.Node `yaml:"cost_attribution"`
}

// IngestionLimits is `ingestion:` of the structured form.
type IngestionLimits struct {
	// RateStrategy is local or global; with one distributor they are the
	// same limit (a global limit is split among distributors).
	RateStrategy     *string `yaml:"rate_strategy"`
	RateLimitBytes   *int    `yaml:"rate_limit_bytes"`
	BurstSizeBytes   *int    `yaml:"burst_size_bytes"`
	MaxTracesPerUser *int    `yaml:"max_traces_per_user"`
	// Ring-sharded limits: not used until the distributed issue.
	MaxGlobalTracesPerUser yaml.Node `yaml:"max_global_traces_per_user"`
	TenantShardSize        yaml.Node `yaml:"tenant_shard_size"`
}

// GlobalLimits is `global:` of the structured form.
type GlobalLimits struct {
	MaxBytesPerTrace *int `yaml:"max_bytes_per_trace"`
}

// CompactionLimits is `compaction:` of the structured form.
type CompactionLimits struct {
	BlockRetention     *time.Duration `yaml:"block_retention"`
	CompactionWindow   *time.Duration `yaml:"compaction_window"`
	CompactionDisabled *bool          `yaml:"compaction_disabled"`
}

// Flat is Tempo's legacy (before 2.3) form: the same limits as keys
// directly under `overrides`.
type Flat struct {
	IngestionRateStrategy   *string        `yaml:"ingestion_rate_strategy"`
	IngestionRateLimitBytes *int           `yaml:"ingestion_rate_limit_bytes"`
	IngestionBurstSizeBytes *int           `yaml:"ingestion_burst_size_bytes"`
	MaxTracesPerUser        *int           `yaml:"max_traces_per_user"`
	MaxBytesPerTrace        *int           `yaml:"max_bytes_per_trace"`
	BlockRetention          *time.Duration `yaml:"block_retention"`
	CompactionWindow        *time.Duration `yaml:"compaction_window"`
	CompactionDisabled      *bool          `yaml:"compaction_disabled"`
	MaxGlobalTracesPerUser  yaml.Node      `yaml:"max_global_traces_per_user"`
}

// TempoConfig is Tempo's `overrides:` section of the config, in either
// form, with the override file's settings.
type TempoConfig struct {
	Defaults                  *Structured   `yaml:"defaults"`
	PerTenantOverrideConfig   *string       `yaml:"per_tenant_override_config"`
	PerTenantOverridePeriod   time.Duration `yaml:"per_tenant_override_period"`
	UserConfigurableOverrides yaml.Node     `yaml:"user_configurable_overrides"`
	Flat                      `yaml:",inline"`
}

// ApplyTo writes what the section sets onto c (the `limits` section and its
// defaults), leaving the rest as it is.
func (t *TempoConfig) ApplyTo(c *Config) error {
	if t.Defaults != nil && t.Flat.set() {
		return errors.New("overrides: use either the defaults: form or the legacy flat keys, not both")
	}
	if t.PerTenantOverrideConfig != nil {
		c.PerTenantOverrideConfig = *t.PerTenantOverrideConfig
	}
	if t.PerTenantOverridePeriod != 0 {
		c.PerTenantOverridePeriod = t.PerTenantOverridePeriod
	}
	if err := t.Flat.applyTo(&c.Limits); err != nil {
		return fmt.Errorf("overrides: %w", err)
	}
	if t.Defaults != nil {
		if err := t.Defaults.applyTo(&c.Limits); err != nil {
			return fmt.Errorf("overrides.defaults: %w", err)
		}
	}
	return nil
}

func (f *Flat) set() bool {
	return f.IngestionRateStrategy != nil || f.IngestionRateLimitBytes != nil || f.IngestionBurstSizeBytes != nil ||
		f.MaxTracesPerUser != nil || f.MaxBytesPerTrace != nil || f.BlockRetention != nil ||
		f.CompactionWindow != nil || f.CompactionDisabled != nil || f.MaxGlobalTracesPerUser.Kind != 0
}

func (f *Flat) applyTo(l *Limits) error {
	if err := checkStrategy("ingestion_rate_strategy", f.IngestionRateStrategy); err != nil {
		return err
	}
	setInt(&l.IngestionRateLimitBytes, f.IngestionRateLimitBytes)
	setInt(&l.IngestionBurstSizeBytes, f.IngestionBurstSizeBytes)
	setInt(&l.MaxTracesPerUser, f.MaxTracesPerUser)
	setInt(&l.MaxBytesPerTrace, f.MaxBytesPerTrace)
	setDuration(&l.BlockRetention, f.BlockRetention)
	setDuration(&l.CompactionWindow, f.CompactionWindow)
	if f.CompactionDisabled != nil {
		l.CompactionDisabled = *f.CompactionDisabled
	}
	return nil
}

func (s *Structured) applyTo(l *Limits) error {
	if in := s.Ingestion; in != nil {
		if err := checkStrategy("ingestion.rate_strategy", in.RateStrategy); err != nil {
			return err
		}
		setInt(&l.IngestionRateLimitBytes, in.RateLimitBytes)
		setInt(&l.IngestionBurstSizeBytes, in.BurstSizeBytes)
		setInt(&l.MaxTracesPerUser, in.MaxTracesPerUser)
	}
	if g := s.Global; g != nil {
		setInt(&l.MaxBytesPerTrace, g.MaxBytesPerTrace)
	}
	if c := s.Compaction; c != nil {
		setDuration(&l.BlockRetention, c.BlockRetention)
		setDuration(&l.CompactionWindow, c.CompactionWindow)
		if c.CompactionDisabled != nil {
			l.CompactionDisabled = *c.CompactionDisabled
		}
	}
	return nil
}

// notUsed names the sections of s that are set but not read by tempoctl.
func (s *Structured) notUsed() []string {
	var out []string
	for _, n := range []struct {
		key  string
		node *yaml.Node
	}{
		{"read", &s.Read}, {"metrics_generator", &s.MetricsGenerator}, {"forwarders", &s.Forwarders},
		{"storage", &s.Storage}, {"cost_attribution", &s.CostAttribution},
	} {
		if n.node.Kind != 0 {
			out = append(out, n.key)
		}
	}
	if in := s.Ingestion; in != nil {
		if in.MaxGlobalTracesPerUser.Kind != 0 {
			out = append(out, "ingestion.max_global_traces_per_user")
		}
		if in.TenantShardSize.Kind != 0 {
			out = append(out, "ingestion.tenant_shard_size")
		}
	}
	return out
}

func checkStrategy(key string, s *string) error {
	if s == nil || *s == "local" || *s == "global" {
		return nil
	}
	return fmt.Errorf("%s %q: use local or global", key, *s)
}

func setInt(dst *int, v *int) {
	if v != nil {
		*dst = *v
	}
}

func setDuration(dst *time.Duration, v *time.Duration) {
	if v != nil {
		*dst = *v
	}
}

// structuredKeys are the top-level keys of the structured form: a tenant's
// entry in the override file that uses one of them is in that form.
var structuredKeys = map[string]bool{
	"ingestion": true, "global": true, "compaction": true, "read": true,
	"metrics_generator": true, "forwarders": true, "storage": true, "cost_attribution": true,
}

func isStructured(n *yaml.Node) bool {
	if n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i < len(n.Content); i += 2 {
		if structuredKeys[n.Content[i].Value] {
			return true
		}
	}
	return false
}
