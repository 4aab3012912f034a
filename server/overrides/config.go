// Package overrides holds per-tenant limits: defaults from the YAML
// (`overrides.defaults` or the legacy flat `limits` section) and a per-tenant
// override file re-read on a period.
package overrides

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
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

// overrideFile is the per-tenant file: `overrides: {tenant: {limits...}}`.
type overrideFile struct {
	Overrides map[string]Limits `yaml:"overrides"`
}

// reload reads the per-tenant file. A tenant's entry changes only the keys
// it names: the others keep the default limits, as in Tempo (an entry
// setting max_traces_per_user alone must not lift the tenant's rate limit).
func (o *Overrides) reload() error {
	b, err := os.ReadFile(o.cfg.PerTenantOverrideConfig)
	if err != nil {
		return err
	}
	perTenant, err := parseOverrides(b, o.cfg.Limits)
	if err != nil {
		return fmt.Errorf("override file %s: %w", o.cfg.PerTenantOverrideConfig, err)
	}
	o.mu.Lock()
	o.perTenant = perTenant
	o.mu.Unlock()
	return nil
}

// parseOverrides decodes a per-tenant file, each tenant's entry over a copy
// of defaults. Unknown keys are errors.
func parseOverrides(b []byte, defaults Limits) (map[string]Limits, error) {
	// First strictly, for unknown keys; then each entry onto the defaults
	// (decoding into a filled struct keeps the fields the entry omits).
	var strict overrideFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&strict); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	var nodes struct {
		Overrides map[string]yaml.Node `yaml:"overrides"`
	}
	if err := yaml.Unmarshal(b, &nodes); err != nil {
		return nil, err
	}
	out := make(map[string]Limits, len(nodes.Overrides))
	for tenant, n := range nodes.Overrides {
		l := defaults
		if err := n.Decode(&l); err != nil {
			return nil, fmt.Errorf("tenant %q: %w", tenant, err)
		}
		out[tenant] = l
	}
	return out, nil
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

// For returns tenant's limits: its override where set, else the defaults.
func (o *Overrides) For(tenant string) Limits {
	o.mu.RLock()
	l, ok := o.perTenant[tenant]
	o.mu.RUnlock()
	if !ok {
		return o.cfg.Limits
	}
	return l
}
