package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tempoctl/tempoctl/tui"
)

// TestTUIFlags checks how the flags become the TUI's options, with the
// run function injected so no terminal is needed.
func TestTUIFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		check   func(t *testing.T, o *tuiOptions, to tui.Options)
		wantErr string
	}{
		{name: "bucket defaults: last hour, {} , 20 results", args: []string{"--backend", "local", "--bucket", "."},
			check: func(t *testing.T, o *tuiOptions, to tui.Options) {
				if to.Range.Last != time.Hour || to.Query != "{}" || to.Limit != 20 || to.Live || to.Trace != nil {
					t.Errorf("options %+v", to)
				}
			}},
		{name: "file defaults to all time", args: []string{"--file", "x.json"},
			check: func(t *testing.T, _ *tuiOptions, to tui.Options) {
				if !to.Range.All {
					t.Errorf("range %+v", to.Range)
				}
			}},
		{name: "since", args: []string{"--server", "http://h:3200", "--since", "24h", "--live", "--refresh", "2s", "--query", "{ status = error }"},
			check: func(t *testing.T, _ *tuiOptions, to tui.Options) {
				if to.Range.Last != 24*time.Hour || !to.Live || to.LiveEvery != 2*time.Second || to.Query != "{ status = error }" {
					t.Errorf("options %+v", to)
				}
			}},
		{name: "start only: an hour after", args: []string{"--file", "x", "--start", "2026-11-23T20:00:00Z", "--end", "2026-11-23T20:30:00Z"},
			check: func(t *testing.T, _ *tuiOptions, to tui.Options) {
				if to.Range.Start.Format(time.RFC3339) != "2026-11-23T20:00:00Z" || to.Range.End.Format(time.RFC3339) != "2026-11-23T20:30:00Z" {
					t.Errorf("range %+v", to.Range)
				}
			}},
		{name: "end only: the hour before", args: []string{"--file", "x", "--end", "2026-11-23T20:30:00Z"},
			check: func(t *testing.T, _ *tuiOptions, to tui.Options) {
				if to.Range.Start.Format(time.RFC3339) != "2026-11-23T19:30:00Z" {
					t.Errorf("range %+v", to.Range)
				}
			}},
		{name: "trace ID", args: []string{"--file", "x", "--trace", "4595C8056EF50999D3B7E5CE62FC2DAE"},
			check: func(t *testing.T, _ *tuiOptions, to tui.Options) {
				if to.Trace == nil || to.Trace.String() != "4595c8056ef50999d3b7e5ce62fc2dae" {
					t.Errorf("trace %v", to.Trace)
				}
			}},
		{name: "config file is a bucket source", args: []string{"--config.file", "tempo.yaml"}},
		{name: "no source", args: nil, wantErr: "no source"},
		{name: "two sources", args: []string{"--file", "x", "--config.file", "y"}, wantErr: "only one source"},
		{name: "negative since", args: []string{"--file", "x", "--since", "-1h"}, wantErr: "--since must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			called := false
			cmd := newTUICmd(func(_ context.Context, o *tuiOptions, to tui.Options) error {
				called = true
				if tc.check != nil {
					tc.check(t, o, to)
				}
				return nil
			})
			cmd.SetArgs(tc.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tc.wantErr != "" {
				var ue usageError
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.As(err, &ue) {
					t.Fatalf("err = %v, want a usage error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !called {
				t.Fatalf("err %v, run called %v", err, called)
			}
		})
	}
}

func TestTUIHistoryFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "tempoctl", "tui_history")
	if h := loadHistory(path); h != nil {
		t.Fatalf("missing file gave %v", h)
	}
	want := []string{`{ status = error }`, "{ name = \"a  b\" &&\n .x = 1 }"}
	if err := saveHistory(path, want); err != nil {
		t.Fatal(err)
	}
	got := loadHistory(path)
	if len(got) != 2 || got[0] != want[0] || got[1] != `{ name = "a  b" &&  .x = 1 }` {
		t.Fatalf("history %q: one query a line, newlines folded, spaces inside strings kept", got)
	}
}
