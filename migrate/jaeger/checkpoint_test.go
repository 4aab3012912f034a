package jaeger

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tempoctl/tempoctl/model"
)

func tid(s string) model.TraceID {
	id, err := model.ParseTraceID(s)
	if err != nil {
		panic(err)
	}
	return id
}

var testHeader = CheckpointHeader{Source: "http://jaeger:16686", API: "v3", Window: &Window{1, 100}, Services: []string{"a"}, Sink: "bucket tenant t"}

func TestCheckpointJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	cp, err := OpenCheckpoint(path, testHeader, false)
	if err != nil {
		t.Fatal(err)
	}
	ids1 := []model.TraceID{tid("01"), tid("02")}
	seq, err := cp.BeginFlush(ids1)
	if err != nil {
		t.Fatal(err)
	}
	if err := cp.EndFlush(seq, ids1, []BlockInfo{{ID: "b1", Traces: 2}}, []string{"window:1"}); err != nil {
		t.Fatal(err)
	}
	if err := cp.MarkDone([]string{"window:2"}); err != nil {
		t.Fatal(err)
	}
	// A flush that never finished: the crash case.
	if _, err := cp.BeginFlush([]model.TraceID{tid("03")}); err != nil {
		t.Fatal(err)
	}
	cp.Close()

	if _, err := OpenCheckpoint(path, testHeader, false); !errors.Is(err, ErrCheckpointExists) {
		t.Fatalf("reopened without --resume: %v", err)
	}
	cp, err = OpenCheckpoint(path, testHeader, true)
	if err != nil {
		t.Fatal(err)
	}
	if !cp.Done["window:1"] || !cp.Done["window:2"] || cp.Done["window:3"] {
		t.Errorf("done %v", cp.Done)
	}
	if !cp.Migrated[tid("01")] || !cp.Migrated[tid("02")] || cp.Migrated[tid("03")] {
		t.Errorf("migrated %v", cp.Migrated)
	}
	if len(cp.Pending) != 1 || cp.Pending[0] != tid("03") || cp.PendingSeq != 2 {
		t.Errorf("pending %v seq %d", cp.Pending, cp.PendingSeq)
	}
	if len(cp.Blocks) != 1 || cp.Blocks[0].ID != "b1" {
		t.Errorf("blocks %v", cp.Blocks)
	}
	if err := cp.Recovered([]model.TraceID{tid("03")}); err != nil {
		t.Fatal(err)
	}
	seq, _ = cp.BeginFlush([]model.TraceID{tid("04")})
	if seq != 3 {
		t.Errorf("seq %d after resume, want 3", seq)
	}
	cp.EndFlush(seq, []model.TraceID{tid("04")}, nil, []string{"window:3"})
	cp.Close()

	cp, err = OpenCheckpoint(path, CheckpointHeader{Source: testHeader.Source, Sink: testHeader.Sink}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if cp.Pending != nil || len(cp.Migrated) != 4 || !cp.Done["window:3"] {
		t.Errorf("after recovery: pending %v, %d migrated, done %v", cp.Pending, len(cp.Migrated), cp.Done)
	}
	if cp.Header.Window == nil || *cp.Header.Window != *testHeader.Window || cp.Header.API != "v3" {
		t.Errorf("header not kept: %+v", cp.Header)
	}
}

func TestCheckpointDamage(t *testing.T) {
	header := `{"type":"header","version":1,"source":"s","sink":"k","created":"2026-01-01T00:00:00Z"}` + "\n"
	flushed := `{"type":"flush","seq":1,"traces":["01"]}` + "\n" + `{"type":"flushed","seq":1,"units":["u1"]}` + "\n"
	tests := []struct {
		name     string
		content  string
		err      string
		done     int
		migrated int
		pending  int
		size     int // file size after open; -1 = unchanged
	}{
		{"torn last line dropped", header + flushed + `{"type":"flu`, "", 1, 1, 0, len(header + flushed)},
		{"torn flushed leaves the flush pending", header + `{"type":"flush","seq":1,"traces":["01"]}` + "\n" + `{"type":"flushed","se`, "", 0, 0, 1, -2},
		{"last line without newline kept", header + strings.TrimSuffix(flushed, "\n"), "", 1, 1, 0, len(header + flushed)},
		{"damaged middle line", header + "garbage\n" + flushed, "line 2 is damaged", 0, 0, 0, -1},
		{"no header", flushed, "not a checkpoint header", 0, 0, 0, -1},
		{"second header", header + header, "second header", 0, 0, 0, -1},
		{"unknown record", header + `{"type":"what"}` + "\n", "unknown record", 0, 0, 0, -1},
		{"bad trace id", header + `{"type":"flush","seq":1,"traces":["xyz"]}` + "\n", "line 2", 0, 0, 0, -1},
		{"other source", strings.Replace(header, `"source":"s"`, `"source":"x"`, 1), "migrates x, not s", 0, 0, 0, -1},
		{"other sink", strings.Replace(header, `"sink":"k"`, `"sink":"x"`, 1), "writes to x", 0, 0, 0, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cp.jsonl")
			os.WriteFile(path, []byte(tc.content), 0o644)
			cp, err := OpenCheckpoint(path, CheckpointHeader{Source: "s", Sink: "k"}, true)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer cp.Close()
			if len(cp.Done) != tc.done || len(cp.Migrated) != tc.migrated || len(cp.Pending) != tc.pending {
				t.Errorf("done %d migrated %d pending %d", len(cp.Done), len(cp.Migrated), len(cp.Pending))
			}
			st, _ := os.Stat(path)
			if tc.size >= 0 && st.Size() != int64(tc.size) {
				t.Errorf("file is %d bytes, want %d", st.Size(), tc.size)
			}
			// The journal stays appendable: one more record replays.
			if err := cp.MarkDone([]string{"extra"}); err != nil {
				t.Fatal(err)
			}
			cp.Close()
			cp2, err := OpenCheckpoint(path, CheckpointHeader{Source: "s", Sink: "k"}, true)
			if err != nil {
				t.Fatalf("after append: %v", err)
			}
			cp2.Close()
			if !cp2.Done["extra"] {
				t.Error("appended record lost")
			}
		})
	}
}

func TestCheckpointHeaderMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	cp, _ := OpenCheckpoint(path, testHeader, false)
	cp.Close()
	other := testHeader
	other.Window = &Window{5, 6}
	if _, err := OpenCheckpoint(path, other, true); err == nil || !strings.Contains(err.Error(), "omit --start/--end") {
		t.Errorf("window mismatch: %v", err)
	}
	other = testHeader
	other.Services = []string{"b"}
	if _, err := OpenCheckpoint(path, other, true); err == nil || !strings.Contains(err.Error(), "services") {
		t.Errorf("services mismatch: %v", err)
	}
	// --resume with no file yet starts a new journal.
	fresh := filepath.Join(t.TempDir(), "new.jsonl")
	cp, err := OpenCheckpoint(fresh, testHeader, true)
	if err != nil {
		t.Fatal(err)
	}
	cp.Close()
}
