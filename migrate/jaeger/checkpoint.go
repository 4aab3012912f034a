package jaeger

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/tempoctl/tempoctl/model"
)

// The checkpoint is a journal of JSON lines, appended and fsynced as the
// migration goes:
//
//	{"type":"header", ...what is migrated where...}
//	{"type":"flush","seq":3,"traces":["<id>",...]}        before a sink flush
//	{"type":"flushed","seq":3,"blocks":[...],"units":[...]} after it
//	{"type":"done","units":["window:..."]}                 units with nothing left to flush
//	{"type":"recovered","seq":3,"traces":[...]}           a crashed flush settled on resume
//
// A unit (a time window of the API, or a file) is finished once a record
// lists it; a trace is migrated once a "flushed" (or "recovered") record
// follows its "flush". A "flush" without its "flushed" is a flush a crash
// interrupted: on resume its traces are looked up in the destination.
// A torn last line (a crash mid-write) is dropped.

// CheckpointHeader says what a checkpoint belongs to.
type CheckpointHeader struct {
	Version  int       `json:"version"`
	Source   string    `json:"source"`
	API      string    `json:"api,omitempty"`
	Window   *Window   `json:"window,omitempty"`
	Chunk    Duration  `json:"chunk,omitempty"`
	Services []string  `json:"services,omitempty"`
	Files    []string  `json:"files,omitempty"`
	Sink     string    `json:"sink"`
	Created  time.Time `json:"created"`
}

type journalRecord struct {
	Type string `json:"type"`
	*CheckpointHeader
	Seq    int         `json:"seq,omitempty"`
	Traces []string    `json:"traces,omitempty"`
	Blocks []BlockInfo `json:"blocks,omitempty"`
	Units  []string    `json:"units,omitempty"`
}

// Duration is a time.Duration written as "1h0m0s" in JSON.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	*d = Duration(v)
	return err
}

// Checkpoint is an open journal.
type Checkpoint struct {
	f      *os.File
	Header CheckpointHeader
	// Done holds finished units; Migrated the traces written.
	Done     map[string]bool
	Migrated map[model.TraceID]bool
	// Pending is the flush a crash interrupted (nil when none).
	Pending    []model.TraceID
	PendingSeq int
	Blocks     []BlockInfo
	seq        int
}

// ErrCheckpointExists refuses to start over a checkpoint without --resume.
var ErrCheckpointExists = errors.New("checkpoint exists")

// OpenCheckpoint opens path. Without resume the file must not hold a
// migration yet; with resume an existing journal is replayed and must be
// for the same source and destination (its window and services win).
func OpenCheckpoint(path string, h CheckpointHeader, resume bool) (*Checkpoint, error) {
	raw, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	cp := &Checkpoint{Done: map[string]bool{}, Migrated: map[model.TraceID]bool{}}
	if len(bytes.TrimSpace(raw)) > 0 {
		if !resume {
			return nil, fmt.Errorf("%w: %s holds a migration; use --resume to continue it or remove the file", ErrCheckpointExists, path)
		}
		good, err := cp.replay(raw)
		if err != nil {
			return nil, fmt.Errorf("checkpoint %s: %w", path, err)
		}
		if err := sameMigration(cp.Header, h); err != nil {
			return nil, fmt.Errorf("checkpoint %s: %w", path, err)
		}
		if good < len(raw) {
			if err := os.Truncate(path, int64(good)); err != nil {
				return nil, err
			}
		}
		cp.f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, err
		}
		if good > 0 && raw[good-1] != '\n' {
			// A whole last record that lost only its newline.
			if _, err := cp.f.Write([]byte{'\n'}); err != nil {
				cp.f.Close()
				return nil, err
			}
		}
		return cp, nil
	}
	h.Version = 1
	if h.Created.IsZero() {
		h.Created = time.Now().UTC()
	}
	cp.Header = h
	cp.f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	if err := cp.append(journalRecord{Type: "header", CheckpointHeader: &h}); err != nil {
		cp.f.Close()
		return nil, err
	}
	return cp, nil
}

func sameMigration(have, want CheckpointHeader) error {
	switch {
	case have.Source != want.Source:
		return fmt.Errorf("it migrates %s, not %s", have.Source, want.Source)
	case have.Sink != want.Sink:
		return fmt.Errorf("it writes to %s, not %s", have.Sink, want.Sink)
	case want.Window != nil && have.Window != nil && *want.Window != *have.Window:
		return fmt.Errorf("it covers %v, not %v (omit --start/--end when resuming)", *have.Window, *want.Window)
	case len(want.Services) > 0 && !slices.Equal(have.Services, want.Services):
		return fmt.Errorf("it covers services %v, not %v", have.Services, want.Services)
	case len(want.Files) > 0 && !slices.Equal(have.Files, want.Files):
		return fmt.Errorf("it reads files %v, not %v", have.Files, want.Files)
	}
	return nil
}

// replay applies the journal and returns how many bytes of it are sound.
func (cp *Checkpoint) replay(raw []byte) (int, error) {
	r := bufio.NewReader(bytes.NewReader(raw))
	offset, line, pendingSeq := 0, 0, 0
	var pending []model.TraceID
	for {
		b, err := r.ReadBytes('\n')
		if err == io.EOF && len(b) == 0 {
			break
		}
		line++
		var rec journalRecord
		if jerr := json.Unmarshal(b, &rec); jerr != nil || rec.Type == "" {
			if _, peekErr := r.Peek(1); peekErr == io.EOF {
				// Only the last line can be torn by a crash: drop it.
				break
			}
			return 0, fmt.Errorf("line %d is damaged", line)
		}
		if line == 1 {
			if rec.Type != "header" || rec.CheckpointHeader == nil {
				return 0, errors.New("line 1 is not a checkpoint header")
			}
			cp.Header = *rec.CheckpointHeader
		}
		switch rec.Type {
		case "header":
			if line != 1 {
				return 0, fmt.Errorf("line %d: a second header", line)
			}
		case "flush":
			ids, err := parseIDs(rec.Traces)
			if err != nil {
				return 0, fmt.Errorf("line %d: %w", line, err)
			}
			pending, pendingSeq = ids, rec.Seq
		case "flushed":
			if rec.Seq == pendingSeq {
				for _, id := range pending {
					cp.Migrated[id] = true
				}
				pending, pendingSeq = nil, 0
			}
			cp.Blocks = append(cp.Blocks, rec.Blocks...)
			for _, u := range rec.Units {
				cp.Done[u] = true
			}
		case "recovered":
			ids, err := parseIDs(rec.Traces)
			if err != nil {
				return 0, fmt.Errorf("line %d: %w", line, err)
			}
			for _, id := range ids {
				cp.Migrated[id] = true
			}
			if rec.Seq == pendingSeq {
				pending, pendingSeq = nil, 0
			}
		case "done":
			for _, u := range rec.Units {
				cp.Done[u] = true
			}
		default:
			return 0, fmt.Errorf("line %d: unknown record %q", line, rec.Type)
		}
		cp.seq = max(cp.seq, rec.Seq)
		offset += len(b)
	}
	if line == 0 {
		return 0, errors.New("empty")
	}
	cp.Pending, cp.PendingSeq = pending, pendingSeq
	return offset, nil
}

func parseIDs(ss []string) ([]model.TraceID, error) {
	out := make([]model.TraceID, 0, len(ss))
	for _, s := range ss {
		id, err := model.ParseTraceID(s)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

func idStrings(ids []model.TraceID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}

func (cp *Checkpoint) append(rec journalRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if _, err := cp.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if err := cp.f.Sync(); err != nil {
		return fmt.Errorf("sync checkpoint: %w", err)
	}
	return nil
}

// BeginFlush records the traces about to be flushed and returns the flush's
// sequence number.
func (cp *Checkpoint) BeginFlush(ids []model.TraceID) (int, error) {
	cp.seq++
	return cp.seq, cp.append(journalRecord{Type: "flush", Seq: cp.seq, Traces: idStrings(ids)})
}

// EndFlush records a finished flush, its blocks and the units it completed.
func (cp *Checkpoint) EndFlush(seq int, ids []model.TraceID, blocks []BlockInfo, units []string) error {
	if err := cp.append(journalRecord{Type: "flushed", Seq: seq, Blocks: blocks, Units: units}); err != nil {
		return err
	}
	for _, id := range ids {
		cp.Migrated[id] = true
	}
	for _, u := range units {
		cp.Done[u] = true
	}
	cp.Blocks = append(cp.Blocks, blocks...)
	return nil
}

// MarkDone records units finished with nothing left to flush.
func (cp *Checkpoint) MarkDone(units []string) error {
	if len(units) == 0 {
		return nil
	}
	if err := cp.append(journalRecord{Type: "done", Units: units}); err != nil {
		return err
	}
	for _, u := range units {
		cp.Done[u] = true
	}
	return nil
}

// Recovered settles the interrupted flush: ids were found in the
// destination, the rest will be migrated again.
func (cp *Checkpoint) Recovered(ids []model.TraceID) error {
	if err := cp.append(journalRecord{Type: "recovered", Seq: cp.PendingSeq, Traces: idStrings(ids)}); err != nil {
		return err
	}
	for _, id := range ids {
		cp.Migrated[id] = true
	}
	cp.Pending, cp.PendingSeq = nil, 0
	return nil
}

// Close closes the journal file.
func (cp *Checkpoint) Close() error { return cp.f.Close() }
