package app

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log/level"
)

// TestGoKitAdapter: dskit's go-kit log lines come out through the one slog
// logger in either format, at their level, with addresses as host:port.
func TestGoKitAdapter(t *testing.T) {
	addr := &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 3200}
	for _, tc := range []struct {
		format, level string
		log           func(l interface{ Log(...any) error })
		want          []string // substrings of the output; nil: nothing written
	}{
		{"json", "info", func(l interface{ Log(...any) error }) {
			level.Info(l).Log("msg", "server listening on addresses", "http", addr)
		}, []string{`"level":"INFO"`, `"msg":"server listening on addresses"`, `"http":"127.0.0.1:3200"`}},
		{"logfmt", "info", func(l interface{ Log(...any) error }) {
			level.Info(l).Log("msg", "server listening on addresses", "http", addr)
		}, []string{"level=INFO", `msg="server listening on addresses"`, "http=127.0.0.1:3200"}},
		{"json", "info", func(l interface{ Log(...any) error }) {
			level.Warn(l).Log("msg", "slow", "after", 2*time.Second, "err", errors.New("boom"), "n", 3)
		}, []string{`"level":"WARN"`, `"err":"boom"`, `"n":3`, `"after":2000000000`}},
		{"logfmt", "info", func(l interface{ Log(...any) error }) {
			level.Error(l).Log("msg", "failed", "err", errors.New("boom"))
		}, []string{"level=ERROR", "err=boom"}},
		{"logfmt", "info", func(l interface{ Log(...any) error }) {
			level.Debug(l).Log("msg", "hidden")
		}, nil},
		{"json", "debug", func(l interface{ Log(...any) error }) {
			level.Debug(l).Log("msg", "shown", "caller", "x.go:1", "ts", "now")
		}, []string{`"level":"DEBUG"`, `"msg":"shown"`}},
	} {
		t.Run(tc.format+"/"+tc.level, func(t *testing.T) {
			var buf bytes.Buffer
			l, err := NewLogger(&buf, tc.level, tc.format)
			if err != nil {
				t.Fatal(err)
			}
			tc.log(GoKit(l))
			out := buf.String()
			if tc.want == nil {
				if out != "" {
					t.Fatalf("below the level, yet written: %s", out)
				}
				return
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("%s lacks %s", strings.TrimSpace(out), w)
				}
			}
			if strings.Contains(out, "caller") || strings.Contains(out, `"ts"`) {
				t.Errorf("go-kit's own ts/caller kept: %s", out)
			}
		})
	}
	for _, bad := range [][2]string{{"loud", "logfmt"}, {"info", "xml"}} {
		if _, err := NewLogger(&bytes.Buffer{}, bad[0], bad[1]); err == nil {
			t.Errorf("NewLogger(%q, %q) accepted", bad[0], bad[1])
		}
	}
}
