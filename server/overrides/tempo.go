package overrides

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
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
	setIf(&l.IngestionRateLimitBytes, f.IngestionRateLimitBytes)
	setIf(&l.IngestionBurstSizeBytes, f.IngestionBurstSizeBytes)
	setIf(&l.MaxTracesPerUser, f.MaxTracesPerUser)
	setIf(&l.MaxBytesPerTrace, f.MaxBytesPerTrace)
	setIf(&l.BlockRetention, f.BlockRetention)
	setIf(&l.CompactionWindow, f.CompactionWindow)
	setIf(&l.CompactionDisabled, f.CompactionDisabled)
	return nil
}

func (s *Structured) applyTo(l *Limits) error {
	if in := s.Ingestion; in != nil {
		if err := checkStrategy("ingestion.rate_strategy", in.RateStrategy); err != nil {
			return err
		}
		setIf(&l.IngestionRateLimitBytes, in.RateLimitBytes)
		setIf(&l.IngestionBurstSizeBytes, in.BurstSizeBytes)
		setIf(&l.MaxTracesPerUser, in.MaxTracesPerUser)
	}
	if g := s.Global; g != nil {
		setIf(&l.MaxBytesPerTrace, g.MaxBytesPerTrace)
	}
	if c := s.Compaction; c != nil {
		setIf(&l.BlockRetention, c.BlockRetention)
		setIf(&l.CompactionWindow, c.CompactionWindow)
		setIf(&l.CompactionDisabled, c.CompactionDisabled)
	}
	return nil
}

func checkStrategy(key string, s *string) error {
	if s == nil || *s == "local" || *s == "global" {
		return nil
	}
	return fmt.Errorf("%s %q: use local or global", key, *s)
}

// setIf sets *dst to *v when the key was given (v not nil).
func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// structuredKeys are the top-level keys of the structured form: a tenant's
// entry in the override file that uses one of them is in that form.
var structuredKeys = yamlKeys(reflect.TypeFor[Structured]())

func yamlKeys(t reflect.Type) map[string]bool {
	keys := map[string]bool{}
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" {
			keys[name] = true
		}
	}
	return keys
}

// notUsed names the keys under v (a pointer to one of the forms' structs)
// that are set and kept only as YAML: parts tempoctl does not build yet.
func notUsed(v any) []string {
	var out []string
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		for i := range v.NumField() {
			f, fv := v.Type().Field(i), v.Field(i)
			name, opt, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			switch {
			case f.Type == nodeType:
				if fv.Interface().(yaml.Node).Kind != 0 {
					out = append(out, prefix+name)
				}
			case strings.Contains(opt, "inline"):
				walk(fv, prefix)
			case f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct && !fv.IsNil():
				walk(fv.Elem(), prefix+name+".")
			}
		}
	}
	walk(reflect.ValueOf(v).Elem(), "")
	return out
}

var nodeType = reflect.TypeFor[yaml.Node]()

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
