package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestValidate: what -config.verify (and serve before it starts) refuses,
// each error naming the key; and what it accepts.
func TestValidate(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "a")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "b")
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		yaml string // config file ("" runs on the embedded default)
		args []string
		want []string // substrings of the error; none: valid
	}{
		{name: "embedded default"},
		{name: "example tempo.yaml", args: []string{"-config.file=../../examples/tempo.yaml"}},
		{name: "example tempo-s3.yaml", args: []string{"-config.file=../../examples/tempo-s3.yaml", "-config.expand-env"}},
		{name: "example tempo-multitenant.yaml", args: []string{"-config.file=../../examples/tempo-multitenant.yaml"}},
		{name: "every target", args: []string{"-target=compactor"}},
		{name: "bad target", args: []string{"-target=bogus"},
			want: []string{`target "bogus": use one of all, distributor, ingester, querier, query-frontend, compactor`}},
		{name: "unknown backend", args: []string{"-storage.trace.backend=nosuch"},
			want: []string{`storage.trace.backend "nosuch" is not supported`}},
		{name: "no backend", yaml: "server:\n  http_listen_port: 3200\n",
			want: []string{"storage.trace.backend is not set"}},
		{name: "s3 without bucket", args: []string{"-storage.trace.backend=s3"},
			want: []string{"storage.trace.s3.bucket is empty"}},
		{name: "bad block version", args: []string{"-storage.trace.block.version=vParquet9"},
			want: []string{`storage.trace.block.version "vParquet9": use one of vParquet5, vParquet4`}},
		{name: "bad log format", args: []string{"-log.format=xml"},
			want: []string{`server.log_format "xml": use logfmt or json`}},
		{name: "bad auth type", args: []string{"-auth.type=basic"},
			want: []string{`auth.type "basic": only "header" is supported`}},
		{name: "empty auth header", args: []string{"-auth.header="},
			want: []string{"auth.header is empty"}},
		{name: "jaeger agent receiver", yaml: "distributor:\n  receivers:\n    jaeger:\n      protocols:\n        thrift_compact:\nstorage:\n  trace:\n    backend: memory\n",
			want: []string{"distributor.receivers.jaeger.protocols.thrift_compact: the UDP agent protocol is not supported"}},
		{name: "distributor without ingester address", args: []string{"-target=distributor"},
			want: []string{"ingester_client.address is empty"}},
		{name: "distributor needs no storage", yaml: "target: distributor\ningester_client:\n  address: 127.0.0.1:9095\n"},
		{name: "ingester without wal path", args: []string{"-target=ingester", "-storage.trace.wal.path="},
			want: []string{"storage.trace.wal.path is empty"}},
		{name: "querier needs no wal", args: []string{"-target=querier", "-storage.trace.wal.path="}},
		{name: "several at once", args: []string{"-target=bogus", "-log.format=xml"},
			want: []string{`target "bogus"`, `server.log_format "xml"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.yaml != "" {
				p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".yaml")
				writeFile(t, p, tc.yaml)
				args = append([]string{"-config.file=" + p}, args...)
			}
			cfg, err := load(t, args...)
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("valid config refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted; want an error with %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
