// Package config is serve's configuration: Tempo's YAML keys, an embedded
// default, ${VAR} expansion, a flag for every key (its dotted YAML path), and
// errors that name unknown keys by path.
package config

import (
	_ "embed"
	"flag"
	"io"
	"time"

	dskitserver "github.com/grafana/dskit/server"
	"gopkg.in/yaml.v3"

	"github.com/tempoctl/tempoctl/server/compactor"
	"github.com/tempoctl/tempoctl/server/distributor"
	"github.com/tempoctl/tempoctl/server/frontend"
	"github.com/tempoctl/tempoctl/server/ingester"
	"github.com/tempoctl/tempoctl/server/overrides"
	"github.com/tempoctl/tempoctl/server/receiver"
	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/block"
	"github.com/tempoctl/tempoctl/storage/vparquet"
	"github.com/tempoctl/tempoctl/storage/wal"
)

// NotUsedYet holds a section that belongs to a part of tempoctl not built
// yet: accepted (so Tempo configs start unchanged) and logged at start.
type NotUsedYet = yaml.Node

// Config is the whole YAML.
type Config struct {
	Target                string             `yaml:"target"`
	MultitenancyEnabled   bool               `yaml:"multitenancy_enabled"`
	StreamOverHTTPEnabled bool               `yaml:"stream_over_http_enabled"`
	HTTPAPIPrefix         string             `yaml:"http_api_prefix"`
	Auth                  AuthConfig         `yaml:"auth"`
	Server                dskitserver.Config `yaml:"server"`
	Distributor           DistributorConfig  `yaml:"distributor"`
	Ingester              ingester.Config    `yaml:"ingester"`
	Limits                overrides.Config   `yaml:"limits"`
	Storage               StorageConfig      `yaml:"storage"`

	// Overrides is Tempo's name for the limits section (either of its
	// forms); what it sets is applied onto Limits at load.
	Overrides        overrides.TempoConfig  `yaml:"overrides"`
	Compactor        compactor.Config       `yaml:"compactor"`
	Querier          frontend.QuerierConfig `yaml:"querier"`
	QueryFrontend    frontend.Config        `yaml:"query_frontend"`
	MetricsGenerator NotUsedYet             `yaml:"metrics_generator"`
	Memberlist       NotUsedYet             `yaml:"memberlist"`
	UsageReport      NotUsedYet             `yaml:"usage_report"`
	BackendScheduler NotUsedYet             `yaml:"backend_scheduler"`
	BackendWorker    NotUsedYet             `yaml:"backend_worker"`
	LiveStore        NotUsedYet             `yaml:"live_store"`
	IngesterClient   IngesterClientConfig   `yaml:"ingester_client"`
}

// IngesterClientConfig is how a distributor-only process reaches ingesters.
// Tempo finds them through a ring; until tempoctl has one, Address names
// the ingester's gRPC endpoint (host:port of its server.grpc_listen_port).
type IngesterClientConfig struct {
	Address          string        `yaml:"address"`
	RemoteTimeout    time.Duration `yaml:"remote_timeout"`
	GRPCClientConfig NotUsedYet    `yaml:"grpc_client_config"`
	PoolConfig       NotUsedYet    `yaml:"pool_config"`
}

// AuthConfig names where the tenant comes from (the multi-tenant example's
// `auth: {type: header, header: X-Scope-OrgID}`).
type AuthConfig struct {
	Type   string `yaml:"type"`
	Header string `yaml:"header"`
}

// DistributorConfig is the distributor section.
type DistributorConfig struct {
	Receivers        receiver.Config `yaml:"receivers"`
	LogReceivedSpans NotUsedYet      `yaml:"log_received_spans"`
	ForwarderConfigs NotUsedYet      `yaml:"forwarders"`
	// RetryAfter is the retry hint of 429 / RESOURCE_EXHAUSTED answers
	// (Retry-After, RetryInfo); 0: the receivers' default, 5s.
	RetryAfter time.Duration `yaml:"retry_after_on_resource_exhausted"`
	// MaxAttributeBytes: longer attribute keys and string values are
	// truncated to this many bytes; 0 turns truncation off.
	MaxAttributeBytes int `yaml:"max_attribute_bytes"`
}

// StorageConfig is the storage section.
type StorageConfig struct {
	Trace TraceStorageConfig `yaml:"trace"`
}

// TraceStorageConfig is storage.trace: the bucket keys inline, then the WAL,
// block and polling settings.
type TraceStorageConfig struct {
	backend.Config `yaml:",inline"`
	WAL            wal.Config    `yaml:"wal"`
	Block          BlockConfig   `yaml:"block"`
	BlocklistPoll  time.Duration `yaml:"blocklist_poll"`
	Pool           NotUsedYet    `yaml:"pool"`
	Cache          NotUsedYet    `yaml:"cache"`
	Search         NotUsedYet    `yaml:"search"`
	BackgroundCach NotUsedYet    `yaml:"background_cache"`
}

// BlockConfig is storage.trace.block.
type BlockConfig struct {
	Version             string                   `yaml:"version"`
	RowGroupSizeBytes   int                      `yaml:"parquet_row_group_size_bytes"`
	BloomFP             float64                  `yaml:"bloom_filter_false_positive"`
	BloomShardSizeBytes int                      `yaml:"bloom_filter_shard_size_bytes"`
	DedicatedColumns    backend.DedicatedColumns `yaml:"parquet_dedicated_columns"`
}

// ToBlock converts to the writer's config.
func (b BlockConfig) ToBlock() block.Config {
	return block.Config{Version: b.Version, RowGroupSizeBytes: b.RowGroupSizeBytes, BloomFP: b.BloomFP,
		BloomShardSizeBytes: b.BloomShardSizeBytes, DedicatedColumns: b.DedicatedColumns}
}

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML is the config serve runs with when no file is given.
func DefaultYAML() []byte { return defaultYAML }

// Defaults returns a Config with every code default set (before YAML).
func Defaults() Config {
	var c Config
	fs := flag.NewFlagSet("defaults", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.Server.RegisterFlags(fs) // dskit's defaults (ports, timeouts, log level)
	c.Server.HTTPListenPort = 3200
	c.Server.GRPCListenPort = 9095
	c.Target = "all"
	c.Auth = AuthConfig{Type: "header", Header: "X-Scope-OrgID"}
	c.Ingester = ingester.DefaultConfig()
	c.Compactor = compactor.DefaultConfig()
	c.QueryFrontend = frontend.DefaultConfig()
	c.Querier = frontend.DefaultQuerierConfig()
	c.Limits.Limits = overrides.DefaultLimits()
	c.Distributor.RetryAfter = 5 * time.Second
	c.Distributor.MaxAttributeBytes = distributor.DefaultMaxAttributeBytes
	c.Limits.PerTenantOverridePeriod = 10 * time.Second
	c.Storage.Trace.Block = BlockConfig{
		Version:             backend.VersionVParquet5,
		RowGroupSizeBytes:   vparquet.DefaultRowGroupSizeBytes,
		BloomFP:             0.01,
		BloomShardSizeBytes: 100 * 1024,
		DedicatedColumns:    vparquet.DefaultDedicatedColumns(),
	}
	c.Storage.Trace.BlocklistPoll = 5 * time.Minute
	return c
}
