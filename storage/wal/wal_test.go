package wal

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tempoctl/tempoctl/internal/cputime"
)

func TestAppendReplayRotateTruncate(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(Config{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, err := w.Append(fmt.Sprintf("t%d", g), []byte(fmt.Sprintf("rec-%d-%d", g, i))); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	first, err := w.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Append("t9", []byte("after-rotate")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	// A new process replays both segments.
	w2, err := Open(Config{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	seen := map[string]int{}
	perSeg := map[int]int{}
	next := map[string]int{} // each appender's records in its order
	st, err := w2.Replay(func(seg int, tenant string, data []byte) error {
		seen[tenant+"/"+string(data)]++
		perSeg[seg]++
		var g, i int
		if _, err := fmt.Sscanf(string(data), "rec-%d-%d", &g, &i); err == nil {
			if i != next[tenant] {
				t.Errorf("%s: record %d replayed where %d was due", tenant, i, next[tenant])
			}
			next[tenant] = i + 1
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 401 || len(seen) != 401 || perSeg[first] != 400 {
		t.Fatalf("replayed %+v, %d distinct, per segment %v", st, len(seen), perSeg)
	}
	// Truncating the first segment leaves only the later record.
	if err := w2.Truncate(first); err != nil {
		t.Fatal(err)
	}
	n := 0
	if _, err := w2.Replay(func(int, string, []byte) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("after truncate: %d records, %v", n, err)
	}
}

// A failed write fails that append and every later one, even once the file
// works again: what followed the failed records in the queue might be
// acknowledged without them.
func TestWriteErrorIsSticky(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(Config{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Append("t", []byte("ok")); err != nil {
		t.Fatal(err)
	}
	w.f.Close() // the next write fails
	if _, err := w.Append("t", []byte("lost")); err == nil {
		t.Fatal("append to a closed file: no error")
	}
	good, err := os.OpenFile(dir+"/other", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	w.f = good
	if _, err := w.Append("t", []byte("after")); err == nil {
		t.Fatal("append after a failed write succeeded")
	}
}

// More pieces than one vectored write takes, and pieces of every size,
// arrive whole and in order.
func TestWriteDurableManyPieces(t *testing.T) {
	f, err := os.OpenFile(t.TempDir()+"/seg", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var bufs [][]byte
	var want []byte
	for i := range 3000 {
		b := make([]byte, i%7)
		for j := range b {
			b[j] = byte(i + j)
		}
		bufs = append(bufs, b)
		want = append(want, b...)
	}
	if err := writeDurable(f, bufs); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("file holds %d bytes, want %d (or differs)", len(got), len(want))
	}
}

func TestConsume(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{
		{0, "ab|cde|f"},
		{1, "b|cde|f"},
		{2, "cde|f"},
		{4, "e|f"},
		{5, "f"},
		{6, ""},
	} {
		bufs := [][]byte{[]byte("ab"), []byte("cde"), []byte("f")}
		var parts []string
		for _, b := range consume(bufs, tc.n) {
			parts = append(parts, string(b))
		}
		if got := strings.Join(parts, "|"); got != tc.want {
			t.Errorf("consume(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestReplayStopsAtTornTail(t *testing.T) {
	tests := []struct {
		name string
		cut  func(b []byte) []byte
		want int
	}{
		{"torn header", func(b []byte) []byte { return b[:len(b)-len("third")-9+3] }, 2},
		{"torn payload", func(b []byte) []byte { return b[:len(b)-2] }, 2},
		{"flipped byte", func(b []byte) []byte { b[len(b)-1] ^= 0xff; return b }, 2},
		{"intact", func(b []byte) []byte { return b }, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w, _ := Open(Config{Path: dir})
			for _, s := range []string{"first", "second", "third"} {
				if _, err := w.Append("t", []byte(s)); err != nil {
					t.Fatal(err)
				}
			}
			w.Close()
			p := w.segPath(1)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, tc.cut(b), 0o644)
			w2, _ := Open(Config{Path: dir})
			defer w2.Close()
			n := 0
			st, err := w2.Replay(func(int, string, []byte) error { n++; return nil })
			if err != nil || n != tc.want {
				t.Fatalf("%d records (want %d), err %v, stats %+v", n, tc.want, err, st)
			}
			if tc.want < 3 && len(st.Corrupt) != 1 {
				t.Fatalf("corruption not reported: %+v", st)
			}
		})
	}
}

// TestReplaySkipsDamagedSegment: a segment damaged in any way (garbage, a
// file that cannot be opened, a directory in its place) is reported and
// skipped; the segments before and after it are replayed, and Replay does
// not fail (a failing Replay keeps the server from starting).
func TestReplaySkipsDamagedSegment(t *testing.T) {
	tests := []struct {
		name     string
		damage   func(t *testing.T, path string)
		reported bool
	}{
		{"garbage", func(t *testing.T, p string) {
			os.WriteFile(p, bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 1000), 0o644)
		}, true},
		{"empty", func(t *testing.T, p string) { os.WriteFile(p, nil, 0o644) }, false},
		{"dangling symlink", func(t *testing.T, p string) {
			os.Remove(p)
			if err := os.Symlink(filepath.Join(t.TempDir(), "gone"), p); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"directory", func(t *testing.T, p string) {
			os.Remove(p)
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := Open(Config{Path: dir})
			if err != nil {
				t.Fatal(err)
			}
			for _, seg := range [][]string{{"a1"}, {"b1", "b2"}, {"c1", "c2"}} {
				for _, r := range seg {
					if _, err := w.Append("t", []byte(r)); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := w.Rotate(); err != nil {
					t.Fatal(err)
				}
			}
			w.Close()
			tc.damage(t, w.segPath(2))

			w2, err := Open(Config{Path: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer w2.Close()
			var got []string
			st, err := w2.Replay(func(seg int, _ string, data []byte) error {
				got = append(got, fmt.Sprintf("%d:%s", seg, data))
				return nil
			})
			if err != nil {
				t.Fatalf("replay failed: %v", err)
			}
			if g := strings.Join(got, " "); g != "1:a1 3:c1 3:c2" {
				t.Fatalf("replayed %q, want the records of segments 1 and 3", g)
			}
			if tc.reported != (len(st.Corrupt) == 1 && strings.Contains(st.Corrupt[0], "segment-00000002")) {
				t.Fatalf("damage reported: %q, want reported %v", st.Corrupt, tc.reported)
			}
		})
	}
}

func FuzzReplay(f *testing.F) {
	f.Add([]byte{5, 0, 0, 0, 1, 2, 3, 4, 1, 't', 'x', 'y', 'z'})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		p := t.TempDir() + "/seg"
		os.WriteFile(p, data, 0o644)
		_, _ = replaySegment(p, func(string, []byte) error { return nil })
	})
}

// BenchmarkAppend appends 500-span-sized records from concurrent callers,
// as the ingester does; cpu-µs/op is the CPU (copying, syscalls, waking
// waiters) per record, the figure the server pays, where ns/op is mostly
// the disk's sync latency.
func BenchmarkAppend(b *testing.B) {
	w, err := Open(Config{Path: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	rec := make([]byte, 150<<10) // one 500-span request (PERFORMANCE.md)
	b.SetBytes(int64(len(rec)))
	b.SetParallelism(2) // 4 appenders on 2 cores: group commits cover several
	cpu0 := cputime.Process()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := w.Append("t", rec); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64((cputime.Process()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}
