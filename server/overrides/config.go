// Package overrides holds per-tenant limits: defaults from the YAML's
// overrides/limits section and the per-tenant override file, re-read on a period.
package overrides

import "time"

// Config is the limits/overrides section of the YAML (owner: distributor work).
type Config struct {
	PerTenantOverrideConfig string        `yaml:"per_tenant_override_config"`
	PerTenantOverridePeriod time.Duration `yaml:"per_tenant_override_period"`
}
