// Package distributor validates incoming spans, applies per-tenant limits and
// hands trace-grouped batches to ingesters.
package distributor

// Config is the distributor section of the YAML (owner: distributor work).
type Config struct {
	Receivers map[string]any `yaml:"receivers"`
}
