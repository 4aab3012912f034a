package jaeger

import "time"

// Summary is the outcome of a run (printed as a table or with -o json).
type Summary struct {
	Source   string     `json:"source"`
	API      string     `json:"api,omitempty"`
	Sink     string     `json:"sink,omitempty"`
	Start    *time.Time `json:"start,omitempty"`
	End      *time.Time `json:"end,omitempty"`
	Services []string   `json:"services,omitempty"`

	Units        int   `json:"units"`
	UnitsResumed int   `json:"unitsAlreadyDone"`
	Traces       int   `json:"traces"`
	Spans        int   `json:"spans"`
	Already      int   `json:"alreadyMigrated"`
	Recovered    int   `json:"recoveredFromCrash"`
	Searches     int   `json:"searches"`
	WindowSplits int   `json:"windowSplits"`
	Requests     int64 `json:"requests"`
	Retries      int64 `json:"retries"`

	Blocks []BlockInfo `json:"blocks"`
	Bytes  uint64      `json:"bytes"`

	Skipped []Skip `json:"skipped"`

	DryRun *DryRun       `json:"dryRun,omitempty"`
	Verify *VerifyResult `json:"verify,omitempty"`
	// Interrupted: the run was cancelled; what was flushed is recorded in
	// the checkpoint and --resume continues.
	Interrupted bool    `json:"interrupted,omitempty"`
	Seconds     float64 `json:"seconds"`
}

// DryRun counts what a migration would copy, per service and per unit.
type DryRun struct {
	Services []Count `json:"services"`
	Units    []Count `json:"units"`
}

// Count is traces and spans of one service or unit. Per service, a trace
// counts once for every service that has spans in it, with that service's
// spans; per unit, a trace counts in the first unit it was found in.
type Count struct {
	Name   string `json:"name"`
	Traces int    `json:"traces"`
	Spans  int    `json:"spans"`
}

// VerifyResult compares sampled traces in the source and the destination.
type VerifyResult struct {
	Checked     int         `json:"checked"`
	Differences []TraceDiff `json:"differences"`
}

// TraceDiff lists how one trace differs (span by span).
type TraceDiff struct {
	TraceID string   `json:"traceID"`
	Diffs   []string `json:"diffs"`
}

// Failed reports whether anything was skipped or differs: the command's
// exit code.
func (s *Summary) Failed() bool {
	return len(s.Skipped) > 0 || s.Verify != nil && len(s.Verify.Differences) > 0
}
