package config

import (
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestMarshalMasksSecrets: /status/config shows no secret, wherever the
// config holds it (typed keys, flags, sections kept as written), keeps
// what is not secret, and leaves the running config untouched.
func TestMarshalMasksSecrets(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	writeFile(t, p, `storage:
  trace:
    backend: s3
    s3:
      bucket: b
      access_key: AKIAVISIBLE
      secret_key: S3SECRET
      session_token: S3TOKEN
    azure:
      storage_account_key: AZUREKEY
      use_federated_token: true
    gcs:
      service_account: GCSJSON
metrics_generator:
  storage:
    path: /tmp/generator/wal
    remote_write:
      - url: http://prom-user:URLPASSWORD@prometheus:9090/api/v1/write
        basic_auth:
          username: prom-user
          password: PROMPASSWORD
        headers:
          Authorization: Bearer HEADERTOKEN
          X-Scope-OrgID: tenant-a
        authorization:
          type: Bearer
          credentials: AUTHCREDS
        oauth2:
          client_id: client-a
          client_secret: OAUTHSECRET
        sigv4:
          secret_key: SIGV4SECRET
querier:
  frontend_worker:
    grpc_client_config:
      tls_key: TLSKEYPEM
`)
	cfg, err := load(t, "-config.file="+p, "-server.http_tls_config.key=HTTPTLSKEY", "-storage.trace.gcs.bucket_name=g")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Marshal(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, secret := range []string{"S3SECRET", "S3TOKEN", "AZUREKEY", "GCSJSON", "URLPASSWORD", "PROMPASSWORD",
		"HEADERTOKEN", "AUTHCREDS", "OAUTHSECRET", "SIGV4SECRET", "TLSKEYPEM", "HTTPTLSKEY", "AKIAVISIBLE"} {
		if strings.Contains(out, secret) {
			t.Errorf("%s shown in /status/config", secret)
		}
	}
	for _, kept := range []string{"bucket: b", "path: /tmp/generator/wal", "username: prom-user", "X-Scope-OrgID: tenant-a",
		"type: Bearer", "client_id: client-a", "use_federated_token: true", "prometheus:9090/api/v1/write", "prom-user:xxxxx@prometheus"} {
		if !strings.Contains(out, kept) {
			t.Errorf("%q missing from /status/config", kept)
		}
	}
	// The output is YAML that reads back (a bare ******** would be an alias).
	var back map[string]any
	if err := yaml.Unmarshal(b, &back); err != nil {
		t.Fatalf("masked config is not YAML: %v\n%s", err, out)
	}
	if cfg.Storage.Trace.S3.SecretKey != "S3SECRET" {
		t.Fatalf("Marshal changed the running config: secret_key %q", cfg.Storage.Trace.S3.SecretKey)
	}
	if raw, _ := yaml.Marshal(&cfg.MetricsGenerator); !strings.Contains(string(raw), "PROMPASSWORD") {
		t.Fatalf("Marshal changed the running config's metrics_generator:\n%s", raw)
	}
}
