package config

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, args ...string) (Config, error) {
	t.Helper()
	fs, opts := NewFlagSet(io.Discard)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := Load(opts)
	return cfg, err
}

func TestExamplesLoadUnchanged(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIA")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	for _, tc := range []struct {
		file    string
		backend string
		multi   bool
		notUsed string
	}{
		{"tempo.yaml", "local", false, "compactor.compaction.v2_in_buffer_bytes"},
		{"tempo-s3.yaml", "s3", false, "metrics_generator"},
		{"tempo-multitenant.yaml", "s3", true, ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			cfg, err := load(t, "-config.file="+filepath.Join("..", "..", "examples", tc.file), "-config.expand-env")
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Storage.Trace.Backend != tc.backend || cfg.MultitenancyEnabled != tc.multi {
				t.Fatalf("backend %q multitenancy %v", cfg.Storage.Trace.Backend, cfg.MultitenancyEnabled)
			}
			if cfg.Server.HTTPListenPort != 3200 || cfg.Ingester.TraceIdlePeriod != 10*time.Second || cfg.Ingester.MaxBlockBytes != 1048576 {
				t.Fatalf("values not read: %+v", cfg.Ingester)
			}
			if cfg.Distributor.Receivers.OTLP == nil || cfg.Distributor.Receivers.OTLP.Protocols.GRPC == nil {
				t.Fatal("otlp grpc receiver not enabled")
			}
			if cfg.Compactor.Compaction.CompactionWindow != time.Hour {
				t.Fatalf("compactor.compaction.compaction_window = %v", cfg.Compactor.Compaction.CompactionWindow)
			}
			if nu := strings.Join(NotUsedYetKeys(&cfg), ","); !strings.Contains(nu, tc.notUsed) || strings.Contains(nu, "quer") {
				t.Fatalf("not-used-yet keys %q lack %q (or name query sections)", nu, tc.notUsed)
			}
			if tc.file != "tempo-multitenant.yaml" {
				fe := cfg.QueryFrontend
				if fe.Search.DurationSLO != 5*time.Second || fe.Search.ThroughputBytesSLO != 1.073741824e9 || fe.TraceByID.DurationSLO != 5*time.Second ||
					cfg.Querier.FrontendWorker.FrontendAddress != "tempo-query-frontend:9095" {
					t.Fatalf("query sections not read: %+v %+v", fe, cfg.Querier.FrontendWorker)
				}
			}
		})
	}
	cfg, err := load(t, "-config.file=../../examples/tempo-s3.yaml", "-config.expand-env")
	if err != nil || cfg.Storage.Trace.S3.SecretKey != "secret" {
		t.Fatalf("expand-env: %v %q", err, cfg.Storage.Trace.S3.SecretKey)
	}
	if b, _ := Marshal(&cfg); strings.Contains(string(b), "secret_key: secret") || !strings.Contains(string(b), "********") {
		t.Fatalf("secrets not masked:\n%s", b)
	}
}

func TestFlagsOverrideFileAndDefaults(t *testing.T) {
	cfg, err := load(t, "-config.file=../../examples/tempo-s3.yaml", "--storage.trace.s3.endpoint=127.0.0.1:9000",
		"-storage.trace.s3.insecure", "-ingester.max_block_duration=1m", "-log.level=debug", "-server.http_listen_port=0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Storage.Trace.S3.Endpoint != "127.0.0.1:9000" || !cfg.Storage.Trace.S3.Insecure ||
		cfg.Ingester.MaxBlockDuration != time.Minute || cfg.Server.LogLevel.String() != "debug" || cfg.Server.HTTPListenPort != 0 {
		t.Fatalf("overrides not applied: %+v", cfg.Storage.Trace.S3)
	}
	def, err := load(t)
	if err != nil || def.Storage.Trace.Local.Path != "./tempo-data/traces" || def.Storage.Trace.WAL.Path != "./tempo-data/wal" ||
		def.Distributor.Receivers.Jaeger == nil || def.Distributor.Receivers.Zipkin == nil {
		t.Fatalf("embedded default: %v %+v", err, def.Storage.Trace)
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ yaml, want string }{
		{"ingester:\n  trace_idle_periodd: 1s\n", "unknown config key ingester.trace_idle_periodd (line 2)"},
		{"storage:\n  trace:\n    s3:\n      bukket: x\n", "unknown config key storage.trace.s3.bukket (line 4)"},
		{"nope: 1\n", "unknown config key nope (line 1)"},
		{"ingester:\n  trace_idle_period: soon\n", "line 2: cannot unmarshal !!str `soon` into time.Duration"},
	}
	for _, tc := range tests {
		p := filepath.Join(dir, "c.yaml")
		writeFile(t, p, tc.yaml)
		_, err := load(t, "-config.file="+p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
	if _, err := load(t, "-storage.trace.s3.endpoint=x", "-ingester.max_block_bytes=lots"); err == nil || !strings.Contains(err.Error(), "ingester.max_block_bytes") {
		t.Errorf("bad flag value: %v", err)
	}
}

func TestQuerySections(t *testing.T) {
	cfg, err := load(t)
	if err != nil {
		t.Fatal(err)
	}
	fe, q := cfg.QueryFrontend, cfg.Querier
	if fe.MaxOutstandingPerTenant != 2000 || fe.Search.ConcurrentJobs != 1000 || fe.Search.TargetBytesPerJob != 104857600 ||
		fe.Search.DefaultResultLimit != 20 || fe.Search.MaxResultLimit != 0 || fe.Search.MaxDuration != 168*time.Hour ||
		fe.Search.QueryBackendAfter != 15*time.Minute || fe.Search.QueryIngestersUntil != 30*time.Minute ||
		fe.Search.MaxSpansPerSpanSet != 100 || fe.TraceByID.QueryShards != 50 {
		t.Fatalf("query_frontend defaults: %+v", fe)
	}
	if q.MaxConcurrentQueries != 20 || q.Search.QueryTimeout != 30*time.Second || q.TraceByID.QueryTimeout != 10*time.Second {
		t.Fatalf("querier defaults: %+v", q)
	}
	cfg, err = load(t, "-query_frontend.search.concurrent_jobs=7", "-query_frontend.search.target_bytes_per_job=1000",
		"-query_frontend.trace_by_id.query_shards=3", "-querier.max_concurrent_queries=2", "-querier.search.query_timeout=5s",
		"-querier.frontend_worker.frontend_address=fe:9095")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.QueryFrontend.Search.ConcurrentJobs != 7 || cfg.QueryFrontend.Search.TargetBytesPerJob != 1000 || cfg.QueryFrontend.TraceByID.QueryShards != 3 ||
		cfg.Querier.MaxConcurrentQueries != 2 || cfg.Querier.Search.QueryTimeout != 5*time.Second || cfg.Querier.FrontendWorker.FrontendAddress != "fe:9095" {
		t.Fatalf("flags not applied: %+v %+v", cfg.QueryFrontend, cfg.Querier)
	}
	p := filepath.Join(t.TempDir(), "c.yaml")
	writeFile(t, p, "query_frontend:\n  max_batch_size: 5\n  search:\n    ingester_shards: 3\nquerier:\n  frontend_worker:\n    grpc_client_config: {}\n")
	cfg, err = load(t, "-config.file="+p)
	if err != nil {
		t.Fatal(err)
	}
	nu := strings.Join(NotUsedYetKeys(&cfg), ",")
	for _, k := range []string{"query_frontend.max_batch_size", "query_frontend.search.ingester_shards", "querier.frontend_worker.grpc_client_config"} {
		if !strings.Contains(nu, k) {
			t.Errorf("not-used-yet keys %q lack %s", nu, k)
		}
	}
	writeFile(t, p, "query_frontend:\n  search:\n    concurent_jobs: 3\n")
	if _, err := load(t, "-config.file="+p); err == nil || !strings.Contains(err.Error(), "query_frontend.search.concurent_jobs") {
		t.Fatalf("misspelt key: %v", err)
	}
}
