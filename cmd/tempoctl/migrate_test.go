package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tempoctl/tempoctl/migrate/jaeger"
)

// Flag parsing alone: the run function is replaced, so nothing is migrated.
func TestMigrateJaegerFlags(t *testing.T) {
	now := time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
	tests := []struct {
		args   []string
		err    string
		window jaeger.Window
	}{
		{args: []string{"--jaeger-url", "http://j:16686", "--since", "2h"}, window: jaeger.WindowOf(now.Add(-2*time.Hour), now)},
		{args: []string{"--jaeger-url", "http://j:16686", "--since", "3d", "--end", "now-1h"}, window: jaeger.WindowOf(now.Add(-73*time.Hour), now.Add(-time.Hour))},
		{args: []string{"--jaeger-url", "http://j:16686", "--start", "2026-11-23T18:00:00Z", "--end", "2026-11-23T19:00:00Z"},
			window: jaeger.WindowOf(time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC), time.Date(2026, 11, 23, 19, 0, 0, 0, time.UTC))},
		{args: []string{"--jaeger-url", "http://j:16686", "--start", "now-1h", "--end", "now-2h"}, err: "time range is empty"},
		{args: []string{"--jaeger-url", "http://j:16686", "--since", "2x"}, err: "--since"},
		{args: []string{"--file", "a.json", "--since", "2h"}, err: "files are migrated whole"},
		{args: []string{"--file", "a.json", "--resume"}, err: "--resume needs --checkpoint"},
		{args: []string{"--file", "a.json", "--dry-run", "--checkpoint", "c"}, err: "--dry-run writes nothing"},
		{args: []string{"--file", "a.json", "--to-otlp", "h:4317", "--backend", "local"}, err: "cannot be combined"},
		{args: []string{"--file", "a.json", "--rate", "10"}, err: "--rate applies to --to-otlp"},
		{args: []string{"--file", "a.json", "--version", "vParquet3"}, err: "--version"},
		{args: []string{"--file", "a.json", "--concurrency", "0"}, err: "must be positive"},
		{args: []string{"--file", "a.json", "-o", "xml"}, err: "--output"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var got *migrateJaegerOptions
			cmd := newMigrateJaegerCmd(func(_ context.Context, o *migrateJaegerOptions, _ io.Reader, _, _ io.Writer) error {
				got = o
				if err := o.validate(); err != nil {
					return err
				}
				if o.JaegerURL != "" {
					_, err := o.window(now)
					return err
				}
				return nil
			})
			cmd.SetArgs(tc.args)
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			err := cmd.Execute()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Tenant != "single-tenant" {
				t.Errorf("tenant %q", got.Tenant)
			}
			if w, _ := got.window(now); w != tc.window {
				t.Errorf("window %v, want %v", w, tc.window)
			}
		})
	}
}

// A serve config gives the block format and size.
func TestMigrateBlockSettingsFromConfig(t *testing.T) {
	path := t.TempDir() + "/tempo.yaml"
	cfg := "ingester:\n  max_block_bytes: 1048576\nstorage:\n  trace:\n    backend: local\n    local:\n      path: /x\n    block:\n      version: vParquet4\n"
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := blockSettingsFromConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Storage.Trace.Block.Version != "vParquet4" || s.Ingester.MaxBlockBytes != 1<<20 {
		t.Errorf("settings %+v", s)
	}
	if _, err := blockSettingsFromConfig(path + ".missing"); err == nil {
		t.Error("missing file accepted")
	}
}
