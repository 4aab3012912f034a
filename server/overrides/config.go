// Package overrides holds per-tenant limits: defaults from the YAML (the
// `limits` section, or Tempo's `overrides` in its flat or structured form)
// and a per-tenant override file re-read on a period.
package overrides

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// Limits are one tenant's limits; 0 means unlimited.
type Limits struct {
	IngestionRateLimitBytes int `yaml:"ingestion_rate_limit_bytes"`
	IngestionBurstSizeBytes int `yaml:"ingestion_burst_size_bytes"`
	MaxTracesPerUser        int `yaml:"max_traces_per_user"`
	MaxBytesPerTrace        int `yaml:"max_bytes_per_trace"`
	// Compactor overrides (0/false: the compactor's own settings).
	BlockRetention     time.Duration `yaml:"block_retention"`
	CompactionWindow   time.Duration `yaml:"compaction_window"`
	CompactionDisabled bool          `yaml:"compaction_disabled"`
}

// Config is the legacy `limits` section: default limits plus the override file.
type Config struct {
	Limits                  `yaml:",inline"`
	PerTenantOverrideConfig string        `yaml:"per_tenant_override_config"`
	PerTenantOverridePeriod time.Duration `yaml:"per_tenant_override_period"`
}

// DefaultLimits are Tempo's defaults.
func DefaultLimits() Limits {
	return Limits{
		IngestionRateLimitBytes: 15_000_000,
		IngestionBurstSizeBytes: 20_000_000,
		MaxTracesPerUser:        10_000,
		MaxBytesPerTrace:        5_000_000,
	}
}

// Overrides answers limits per tenant.
type Overrides struct {
	cfg Config
	log *slog.Logger

	mu        sync.RWMutex
	perTenant map[string]Limits
	loaded    []byte // the override file as last parsed
	stop      chan struct{}
}

// New loads the override file once (a missing file is logged, not fatal, so
// an example config naming /etc/tempo/overrides.yaml still starts).
func New(cfg Config, log *slog.Logger) (*Overrides, error) {
	o := &Overrides{cfg: cfg, log: log, perTenant: map[string]Limits{}, stop: make(chan struct{})}
	if cfg.PerTenantOverrideConfig != "" {
		if err := o.reload(); err != nil {
			if !os.IsNotExist(err) {
				return nil, err
			}
			log.Warn("per-tenant override file not found; using default limits until it appears", "file", cfg.PerTenantOverrideConfig)
		}
	}
	return o, nil
}

// reload reads the per-tenant file. A tenant's entry changes only the keys
// it names: the others keep the default limits, as in Tempo (an entry
// setting max_traces_per_user alone must not lift the tenant's rate limit).
// An unchanged file is not parsed again (nor its unused keys logged again).
func (o *Overrides) reload() error {
	b, err := os.ReadFile(o.cfg.PerTenantOverrideConfig)
	if err != nil {
		return err
	}
	o.mu.RLock()
	same := o.loaded != nil && bytes.Equal(b, o.loaded)
	o.mu.RUnlock()
	if same {
		return nil
	}
	perTenant, notUsed, err := parseOverrides(b, o.cfg.Limits)
	if err != nil {
		return fmt.Errorf("override file %s: %w", o.cfg.PerTenantOverrideConfig, err)
	}
	for _, k := range notUsed {
		o.log.Info("per-tenant override accepted but not used yet", "file", o.cfg.PerTenantOverrideConfig, "key", k)
	}
	o.mu.Lock()
	o.perTenant, o.loaded = perTenant, b
	o.mu.Unlock()
	return nil
}

// parseOverrides decodes a per-tenant file (`overrides: {tenant: limits}`),
// each tenant's entry over a copy of defaults, in Tempo's legacy flat form
// or its structured form (ingestion:, global:, compaction: …). Unknown keys
// are errors; notUsed names the keys accepted for parts not built yet.
func parseOverrides(b []byte, defaults Limits) (perTenant map[string]Limits, notUsed []string, err error) {
	var file struct {
		Overrides map[string]yaml.Node `yaml:"overrides"`
	}
	if err := strictDecode(b, &file); err != nil {
		return nil, nil, err
	}
	perTenant = make(map[string]Limits, len(file.Overrides))
	for tenant, n := range file.Overrides {
		l := defaults
		if err := decodeEntry(&n, &l, func(k string) { notUsed = append(notUsed, "overrides."+tenant+"."+k) }); err != nil {
			return nil, nil, fmt.Errorf("tenant %q: %w", tenant, err)
		}
		perTenant[tenant] = l
	}
	sort.Strings(notUsed)
	return perTenant, notUsed, nil
}

// decodeEntry applies one tenant's entry, in either form, onto l.
func decodeEntry(n *yaml.Node, l *Limits, report func(string)) error {
	if n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil
	}
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	if isStructured(n) {
		var s Structured
		if err := strictDecode(b, &s); err != nil {
			return err
		}
		for _, k := range notUsed(&s) {
			report(k)
		}
		return s.applyTo(l)
	}
	var f Flat
	if err := strictDecode(b, &f); err != nil {
		return err
	}
	for _, k := range notUsed(&f) {
		report(k)
	}
	return f.applyTo(l)
}

// strictDecode decodes YAML refusing keys v has no field for.
func strictDecode(b []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// Start re-reads the override file every period.
func (o *Overrides) Start() {
	if o.cfg.PerTenantOverrideConfig == "" {
		return
	}
	period := o.cfg.PerTenantOverridePeriod
	if period <= 0 {
		period = 10 * time.Second
	}
	go func() {
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-o.stop:
				return
			case <-t.C:
				if err := o.reload(); err != nil && !os.IsNotExist(err) {
					o.log.Warn("override file not reloaded", "err", err)
				}
			}
		}
	}()
}

// Stop ends reloading.
func (o *Overrides) Stop() { close(o.stop) }

// For returns tenant's limits: its entry in the override file, else the
// file's "*" entry, else the defaults.
func (o *Overrides) For(tenant string) Limits {
	o.mu.RLock()
	l, ok := o.perTenant[tenant]
	if !ok {
		// Tempo's wildcard entry: the limits of every tenant without its own.
		l, ok = o.perTenant["*"]
	}
	o.mu.RUnlock()
	if !ok {
		return o.cfg.Limits
	}
	return l
}
