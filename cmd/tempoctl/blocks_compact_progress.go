package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/tempoctl/tempoctl/blocktools"
)

// progressPrinter shows a long block operation on stderr: a redrawn bar
// (blocks, bytes, rate, ETA) when stderr is a terminal, plain timestamped
// log lines for each step otherwise (CI logs, pipes).
type progressPrinter struct {
	mu      sync.Mutex
	w       io.Writer
	tty     bool
	start   time.Time
	lastBar time.Time
	drawn   int // width of the bar on screen
	last    blocktools.Progress
}

func newProgressPrinter(w io.Writer) *progressPrinter {
	return &progressPrinter{w: w, tty: isTerminal(w), start: time.Now()}
}

// update is a blocktools.ProgressFunc.
func (p *progressPrinter) update(ev blocktools.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last = ev
	if !p.tty {
		if ev.Message != "" {
			fmt.Fprintf(p.w, "%s %s: %s (%d/%d blocks, %s)\n", ev.Time.UTC().Format(time.RFC3339), ev.Op, ev.Message,
				ev.BlocksDone, ev.BlocksTotal, bytesOf(ev))
		}
		return
	}
	if ev.Message != "" {
		p.clear()
		fmt.Fprintln(p.w, ev.Message)
	} else if time.Since(p.lastBar) < 100*time.Millisecond {
		return
	}
	p.draw(ev)
}

func (p *progressPrinter) clear() {
	if p.drawn > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.drawn))
		p.drawn = 0
	}
}

func (p *progressPrinter) draw(ev blocktools.Progress) {
	p.lastBar = time.Now()
	frac := 0.0
	if ev.BytesTotal > 0 {
		frac = min(1, float64(ev.BytesDone)/float64(ev.BytesTotal))
	} else if ev.BlocksTotal > 0 {
		frac = float64(ev.BlocksDone) / float64(ev.BlocksTotal)
	}
	const width = 24
	fill := int(frac * width)
	bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
	elapsed := time.Since(p.start).Seconds()
	line := fmt.Sprintf("%s [%s] %d/%d blocks  %s", ev.Op, bar, ev.BlocksDone, ev.BlocksTotal, bytesOf(ev))
	if elapsed > 0.5 && ev.BytesDone > 0 {
		rate := float64(ev.BytesDone) / elapsed
		line += fmt.Sprintf("  %s/s", humanBytes(uint64(rate)))
		if ev.BytesTotal > ev.BytesDone {
			eta := time.Duration(float64(ev.BytesTotal-ev.BytesDone) / rate * float64(time.Second))
			line += "  ETA " + eta.Round(time.Second).String()
		}
	}
	p.clear()
	fmt.Fprint(p.w, line)
	p.drawn = len(line)
}

func bytesOf(ev blocktools.Progress) string {
	if ev.BytesTotal == 0 {
		return humanBytes(ev.BytesDone)
	}
	return humanBytes(ev.BytesDone) + "/" + humanBytes(ev.BytesTotal)
}

// finish removes the bar so the summary starts on a clean line.
func (p *progressPrinter) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		p.clear()
	}
}

// interrupted reports a Ctrl-C: what was running has been undone or left
// for the next run, and says so.
func interrupted(errOut io.Writer, what string) error {
	fmt.Fprintf(errOut, "interrupted: %s\n", what)
	return silentError{code: 130}
}
