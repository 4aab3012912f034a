package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tempoctl/tempoctl/blocktools"
)

func TestProgressPrinter(t *testing.T) {
	ev := func(done int, bytes uint64, msg string) blocktools.Progress {
		return blocktools.Progress{Op: "compact", BlocksDone: done, BlocksTotal: 4, BytesDone: bytes, BytesTotal: 4 << 20, Message: msg, Time: time.Date(2026, 11, 25, 1, 2, 3, 0, time.UTC)}
	}
	t.Run("terminal: a redrawn bar with rate and ETA, messages above it", func(t *testing.T) {
		var buf bytes.Buffer
		p := &progressPrinter{w: &buf, tty: true, start: time.Now().Add(-2 * time.Second)}
		p.update(ev(1, 1<<20, ""))
		p.update(ev(2, 2<<20, "wrote block X"))
		p.finish()
		out := buf.String()
		for _, want := range []string{"compact [======", "1/4 blocks  1.0 MiB/4.0 MiB", "/s  ETA ", "\rwrote block X\n", "2/4 blocks"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%q", want, out)
			}
		}
		if !strings.HasSuffix(out, "\r") {
			t.Errorf("finish does not clear the bar: %q", out)
		}
	})
	t.Run("not a terminal: one log line per step, nothing else", func(t *testing.T) {
		var buf bytes.Buffer
		p := newProgressPrinter(&buf) // a buffer is not a terminal
		p.update(ev(1, 1<<20, ""))
		p.update(ev(2, 2<<20, "wrote block X"))
		p.finish()
		want := "2026-11-25T01:02:03Z compact: wrote block X (2/4 blocks, 2.0 MiB/4.0 MiB)\n"
		if buf.String() != want {
			t.Errorf("got %q, want %q", buf.String(), want)
		}
	})
}
