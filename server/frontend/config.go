package frontend

import (
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the `query_frontend` section of Tempo's YAML. Keys of Tempo's
// that tempoctl does not use are yaml.Node fields: accepted, and logged at
// start as not used yet.
type Config struct {
	// MaxOutstandingPerTenant bounds a tenant's jobs dispatched and not
	// finished, over all its queries; past it a query fails with 429 "too
	// many outstanding requests".
	MaxOutstandingPerTenant int `yaml:"max_outstanding_per_tenant"`
	// MaxRetries is how often a job whose sources failed is tried again.
	MaxRetries int             `yaml:"max_retries"`
	Search     SearchConfig    `yaml:"search"`
	TraceByID  TraceByIDConfig `yaml:"trace_by_id"`

	MaxBatchSize              yaml.Node `yaml:"max_batch_size"`
	MultiTenantQueriesEnabled yaml.Node `yaml:"multi_tenant_queries_enabled"`
	QuerierForgetDelay        yaml.Node `yaml:"querier_forget_delay"`
	ResponseConsumers         yaml.Node `yaml:"response_consumers"`
	Weights                   yaml.Node `yaml:"weights"`
	Metrics                   yaml.Node `yaml:"metrics"`
	MCPServer                 yaml.Node `yaml:"mcp_server"`
	APITimeout                yaml.Node `yaml:"api_timeout"`
}

// SearchConfig is `query_frontend.search`.
type SearchConfig struct {
	// ConcurrentJobs is how many jobs of one search are dispatched at once.
	ConcurrentJobs int `yaml:"concurrent_jobs"`
	// TargetBytesPerJob sizes backend jobs: a larger block is split into
	// jobs of about this many bytes of row groups.
	TargetBytesPerJob int `yaml:"target_bytes_per_job"`
	// DefaultResultLimit is the limit of a search without one.
	DefaultResultLimit int `yaml:"default_result_limit"`
	// MaxResultLimit refuses larger limits (0: the API's cap, 262144).
	MaxResultLimit int `yaml:"max_result_limit"`
	// MaxDuration refuses a start..end range longer than this.
	MaxDuration time.Duration `yaml:"max_duration"`
	// QueryBackendAfter is the window of a search without start and end.
	QueryBackendAfter time.Duration `yaml:"query_backend_after"`
	// QueryIngestersUntil: live data is searched only when the range ends
	// less than this long ago (0: always).
	QueryIngestersUntil time.Duration `yaml:"query_ingesters_until"`
	// MaxSpansPerSpanSet refuses a larger spss.
	MaxSpansPerSpanSet int `yaml:"max_spans_per_span_set"`
	// DurationSLO and ThroughputBytesSLO: a search within either counts in
	// tempo_query_frontend_queries_within_slo_total (0: not counted).
	DurationSLO        time.Duration `yaml:"duration_slo"`
	ThroughputBytesSLO float64       `yaml:"throughput_bytes_slo"`

	IngesterShards         yaml.Node `yaml:"ingester_shards"`
	MostRecentShards       yaml.Node `yaml:"most_recent_shards"`
	DefaultSpansPerSpanSet yaml.Node `yaml:"default_spans_per_span_set"`
	QueryEndCutoff         yaml.Node `yaml:"query_end_cutoff"`
	MetadataSLO            yaml.Node `yaml:"metadata_slo"`
}

// TraceByIDConfig is `query_frontend.trace_by_id`.
type TraceByIDConfig struct {
	// QueryShards splits a lookup: one shard for live data, the rest over
	// the blocks by block-ID range, run at once.
	QueryShards int `yaml:"query_shards"`
	// DurationSLO: a lookup at most this long counts as within the SLO.
	DurationSLO time.Duration `yaml:"duration_slo"`

	HedgeRequestsAt   yaml.Node `yaml:"hedge_requests_at"`
	HedgeRequestsUpTo yaml.Node `yaml:"hedge_requests_up_to"`
}

// DefaultConfig are Tempo's query_frontend defaults.
func DefaultConfig() Config {
	return Config{
		MaxOutstandingPerTenant: 2000,
		MaxRetries:              2,
		Search: SearchConfig{
			ConcurrentJobs:      1000,
			TargetBytesPerJob:   100 << 20,
			DefaultResultLimit:  20,
			MaxDuration:         168 * time.Hour,
			QueryBackendAfter:   15 * time.Minute,
			QueryIngestersUntil: 30 * time.Minute,
			MaxSpansPerSpanSet:  100,
		},
		TraceByID: TraceByIDConfig{QueryShards: 50},
	}
}

// QuerierConfig is the `querier` section: how a querier runs the jobs it
// is given.
type QuerierConfig struct {
	// MaxConcurrentQueries is how many jobs run at once in this querier.
	MaxConcurrentQueries int                  `yaml:"max_concurrent_queries"`
	Search               QuerierSearchConfig  `yaml:"search"`
	TraceByID            QuerierTimeoutConfig `yaml:"trace_by_id"`
	FrontendWorker       FrontendWorkerConfig `yaml:"frontend_worker"`

	QueryRelevantIngesters                 yaml.Node `yaml:"query_relevant_ingesters"`
	ShuffleShardingIngestersEnabled        yaml.Node `yaml:"shuffle_sharding_ingesters_enabled"`
	ShuffleShardingIngestersLookbackPeriod yaml.Node `yaml:"shuffle_sharding_ingesters_lookback_period"`
	SecondaryIngesterRing                  yaml.Node `yaml:"secondary_ingester_ring"`
	Metrics                                yaml.Node `yaml:"metrics"`
	PartitionRingLiveStore                 yaml.Node `yaml:"partition_ring_live_store"`
}

// QuerierSearchConfig is `querier.search`.
type QuerierSearchConfig struct {
	// QueryTimeout bounds one search or tag job.
	QueryTimeout time.Duration `yaml:"query_timeout"`

	PreferSelf                yaml.Node `yaml:"prefer_self"`
	ExternalEndpoints         yaml.Node `yaml:"external_endpoints"`
	ExternalHedgeRequestsAt   yaml.Node `yaml:"external_hedge_requests_at"`
	ExternalHedgeRequestsUpTo yaml.Node `yaml:"external_hedge_requests_up_to"`
	ExternalBackend           yaml.Node `yaml:"external_backend"`
	GoogleCloudRun            yaml.Node `yaml:"google_cloud_run"`
}

// QuerierTimeoutConfig is `querier.trace_by_id`.
type QuerierTimeoutConfig struct {
	// QueryTimeout bounds one trace-by-ID shard.
	QueryTimeout time.Duration `yaml:"query_timeout"`
}

// FrontendWorkerConfig is `querier.frontend_worker`.
type FrontendWorkerConfig struct {
	// FrontendAddress is the query-frontend's gRPC host:port. A querier
	// running on its own (-target=querier) registers there and is sent
	// jobs over HTTP; in one process with the frontend it is not used.
	FrontendAddress string `yaml:"frontend_address"`

	GRPCClientConfig   yaml.Node `yaml:"grpc_client_config"`
	Parallelism        yaml.Node `yaml:"parallelism"`
	MatchMaxConcurrent yaml.Node `yaml:"match_max_concurrent"`
	DNSLookupDuration  yaml.Node `yaml:"dns_lookup_duration"`
	QuerierID          yaml.Node `yaml:"id"`
}

// DefaultQuerierConfig are Tempo's querier defaults.
func DefaultQuerierConfig() QuerierConfig {
	return QuerierConfig{
		MaxConcurrentQueries: 20,
		Search:               QuerierSearchConfig{QueryTimeout: 30 * time.Second},
		TraceByID:            QuerierTimeoutConfig{QueryTimeout: 10 * time.Second},
	}
}
