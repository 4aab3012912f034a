package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// Exit codes are part of the CLI contract: 0 ok, 1 failure (e.g. not found),
// 2 bad usage or unusable storage.
func TestExitCodes(t *testing.T) {
	fx := filepath.Join("..", "..", "..", "shared", "fixtures", "tempo-blocks")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"list ok", []string{"blocks", "list", "--backend", "local", "--bucket", fx}, 0, ""},
		{"unknown flag", []string{"blocks", "list", "--nope"}, 2, "unknown flag"},
		{"no storage", []string{"blocks", "list"}, 2, "no storage given"},
		{"missing dir", []string{"blocks", "list", "--backend", "local", "--bucket", filepath.Join(t.TempDir(), "x")}, 2, "no such file"},
		{"trace not found", []string{"query", "trace", "0123456789abcdef0123456789abcdef", "--backend", "local", "--bucket", fx, "--tenant", "acme"}, 1, "not found"},
		{"trace found", []string{"query", "trace", "0038cf2373600eda959fa3163aed8a1e", "--backend", "local", "--bucket", fx, "--tenant", "v4-tenant"}, 0, ""},
		{"bad trace id", []string{"query", "trace", "zz", "--backend", "local", "--bucket", fx}, 2, "trace ID"},
		{"config file missing", []string{"blocks", "list", "--config.file", "/nonexistent.yaml"}, 2, "read config"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Execute(tc.args, strings.NewReader(""), &out, &errOut)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, errOut.String())
			}
			if !strings.Contains(errOut.String(), tc.stderr) {
				t.Errorf("stderr %q does not mention %q", errOut.String(), tc.stderr)
			}
			if tc.code != 0 && strings.Count(strings.TrimSpace(errOut.String()), "\n") > 0 {
				t.Errorf("error should be one line, got %q", errOut.String())
			}
		})
	}
}
