package blocktools

import "time"

// Progress is how far a long operation (compact, rewrite, verify) got. The
// CLI draws it as a bar or log lines; the compactor ignores it.
type Progress struct {
	Op          string // "compact", "rewrite", "verify"
	Block       string // block (or job) being worked on
	BlocksDone  int    // input blocks finished
	BlocksTotal int
	BytesDone   uint64 // input bytes (meta sizes) finished, plus an estimate of the current work
	BytesTotal  uint64
	Traces      int64  // traces read so far
	Message     string // set on a step worth a log line ("wrote block X", "quarantined Y")
	Time        time.Time
}

// ProgressFunc receives progress; nil means nobody is listening.
type ProgressFunc func(Progress)

func (f ProgressFunc) send(p Progress) {
	if f != nil {
		p.Time = time.Now()
		f(p)
	}
}

// progressEvery is how many traces pass between in-block progress reports.
const progressEvery = 512
