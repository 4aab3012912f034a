package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Record framing: [len uint32][crc32c uint32][payload]; payload is
// [tenant len uvarint][tenant][data].
const (
	headerSize    = 8
	segmentPrefix = "segment-"
	maxRecord     = 256 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// WAL is a directory of numbered segment files.
type WAL struct {
	dir   string
	delay time.Duration

	mu sync.Mutex
	f  *os.File
	// queue holds the records appended since the last write, as pieces
	// (each record's header and tenant, then its data, which its caller
	// keeps unmodified until Append returns): the syncer writes them with
	// one vectored write, without copying them into a buffer first.
	queue   [][]byte
	spare   [][]byte // the queue's other half, reused
	seg     int
	written int64 // bytes queued in this process (monotonic)
	synced  int64
	syncErr error
	cond    *sync.Cond
	syncing bool
	closed  bool
}

// Open opens (creating) the WAL directory. Existing segments are left for
// Replay; new appends go to a fresh segment.
func Open(cfg Config) (*WAL, error) {
	if cfg.Path == "" {
		return nil, errors.New("wal: path is empty")
	}
	if err := os.MkdirAll(cfg.Path, 0o755); err != nil {
		return nil, fmt.Errorf("wal: %w", err)
	}
	w := &WAL{dir: cfg.Path, delay: cfg.SyncDelay}
	w.cond = sync.NewCond(&w.mu)
	segs, err := w.Segments()
	if err != nil {
		return nil, err
	}
	next := 1
	if len(segs) > 0 {
		next = segs[len(segs)-1] + 1
	}
	if err := w.openSegment(next); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *WAL) segPath(n int) string {
	return filepath.Join(w.dir, fmt.Sprintf("%s%08d", segmentPrefix, n))
}

func (w *WAL) openSegment(n int) error {
	f, err := os.OpenFile(w.segPath(n), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	// The new name must survive a crash as much as the records in it.
	if err := syncDir(w.dir); err != nil {
		f.Close()
		return fmt.Errorf("wal: %w", err)
	}
	w.f, w.seg = f, n
	return nil
}

// Segments lists segment numbers on disk, ascending.
func (w *WAL) Segments() ([]int, error) {
	ents, err := os.ReadDir(w.dir)
	if err != nil {
		return nil, fmt.Errorf("wal: %w", err)
	}
	var out []int
	for _, e := range ents {
		if n, ok := strings.CutPrefix(e.Name(), segmentPrefix); ok {
			if i, err := strconv.Atoi(n); err == nil {
				out = append(out, i)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// Append writes one record and returns once it is on disk. data must stay
// unmodified until then (it is written from where it is).
func (w *WAL) Append(tenant string, data []byte) (segment int, err error) {
	payload := len(tenant) + binary.MaxVarintLen64 + len(data)
	if payload > maxRecord {
		return 0, fmt.Errorf("wal: record of %d bytes exceeds %d", payload, maxRecord)
	}
	head := make([]byte, headerSize, headerSize+binary.MaxVarintLen64+len(tenant))
	head = binary.AppendUvarint(head, uint64(len(tenant)))
	head = append(head, tenant...)
	size := len(head) - headerSize + len(data)
	crc := crc32.Update(0, castagnoli, head[headerSize:])
	crc = crc32.Update(crc, castagnoli, data)
	binary.LittleEndian.PutUint32(head[0:], uint32(size))
	binary.LittleEndian.PutUint32(head[4:], crc)

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, errors.New("wal: closed")
	}
	if w.syncErr != nil {
		return 0, w.syncErr
	}
	w.queue = append(w.queue, head, data)
	w.written += int64(headerSize + size)
	my := w.written
	seg := w.seg
	// Group commit: whoever finds no sync running becomes the syncer for
	// everything queued so far; the others wait for it.
	for w.synced < my && w.syncErr == nil {
		if !w.syncing {
			w.syncing = true
			w.syncLocked()
			w.syncing = false
			w.cond.Broadcast()
			continue
		}
		w.cond.Wait()
	}
	if w.syncErr != nil {
		return 0, w.syncErr
	}
	return seg, nil
}

// syncLocked writes the queue and makes it durable, with the lock released
// meanwhile so new appends can queue behind it. Only one syncer runs at a
// time (syncing), so records reach the file in queue order.
func (w *WAL) syncLocked() {
	if w.delay > 0 {
		w.mu.Unlock()
		time.Sleep(w.delay)
		w.mu.Lock()
	}
	target := w.written
	bufs := w.queue
	w.queue, w.spare = w.spare[:0], nil
	f := w.f
	w.mu.Unlock()
	err := writeDurable(f, bufs)
	w.mu.Lock()
	clear(bufs) // the records' data belongs to their callers
	w.spare = bufs[:0]
	if err != nil {
		w.syncErr = fmt.Errorf("wal: %w", err)
		return
	}
	w.synced = max(w.synced, target)
}

// flushLocked writes and syncs what is queued, for Rotate and Close (no
// syncer runs: they waited for it).
func (w *WAL) flushLocked() error {
	if err := writeDurable(w.f, w.queue); err != nil {
		return w.fail(err)
	}
	clear(w.queue)
	w.queue = w.queue[:0]
	w.synced = w.written
	return nil
}

// syncDir makes a directory's entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (w *WAL) fail(err error) error {
	w.syncErr = fmt.Errorf("wal: %w", err)
	return w.syncErr
}

// Rotate starts a new segment and returns the number of the one it closed:
// everything appended before Rotate is in segments ≤ that number.
func (w *WAL) Rotate() (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.syncing {
		w.cond.Wait()
	}
	old := w.seg
	if err := w.flushLocked(); err != nil {
		return 0, err
	}
	if err := w.f.Close(); err != nil {
		return 0, w.fail(err)
	}
	if err := w.openSegment(old + 1); err != nil {
		return 0, err
	}
	return old, nil
}

// Truncate deletes segments ≤ upTo (never the open one).
func (w *WAL) Truncate(upTo int) error {
	segs, err := w.Segments()
	if err != nil {
		return err
	}
	w.mu.Lock()
	cur := w.seg
	w.mu.Unlock()
	for _, s := range segs {
		if s <= upTo && s != cur {
			if err := os.Remove(w.segPath(s)); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("wal: %w", err)
			}
		}
	}
	return nil
}

// Close syncs and closes the open segment.
func (w *WAL) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.syncing {
		w.cond.Wait()
	}
	if w.closed {
		return nil
	}
	w.closed = true
	if err := w.flushLocked(); err != nil {
		w.f.Close()
		return err
	}
	return w.f.Close()
}

// ReplayStats says what a replay found.
type ReplayStats struct {
	Segments, Records int
	// Corrupt are segments cut short at a bad record (a torn write from a
	// crash, or damage) or that could not be opened; the records before
	// the bad one were replayed, the rest of that segment skipped.
	Corrupt []string
}

// Replay reads segments ≤ upTo (all before the open one) in order and calls
// fn for every intact record. A torn or corrupt record ends that segment
// (reported in ReplayStats.Corrupt, not as an error), and so does a segment
// that cannot be opened.
func (w *WAL) Replay(fn func(segment int, tenant string, data []byte) error) (ReplayStats, error) {
	var st ReplayStats
	segs, err := w.Segments()
	if err != nil {
		return st, err
	}
	w.mu.Lock()
	cur := w.seg
	w.mu.Unlock()
	for _, s := range segs {
		if s >= cur {
			continue
		}
		st.Segments++
		n, err := replaySegment(w.segPath(s), func(tenant string, data []byte) error { return fn(s, tenant, data) })
		st.Records += n
		var ce *corruptError
		if errors.As(err, &ce) {
			st.Corrupt = append(st.Corrupt, fmt.Sprintf("%s: %v", filepath.Base(w.segPath(s)), ce.err))
			continue
		}
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

type corruptError struct{ err error }

func (e *corruptError) Error() string { return e.err.Error() }

func replaySegment(path string, fn func(tenant string, data []byte) error) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		// A segment that cannot be opened is damaged like one that cannot
		// be read: reported and skipped, so the other segments still
		// replay and the server starts.
		return 0, &corruptError{fmt.Errorf("cannot open: %w", err)}
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	n := 0
	var hdr [headerSize]byte
	var buf []byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if err == io.EOF {
				return n, nil
			}
			return n, &corruptError{fmt.Errorf("record %d: torn header", n+1)}
		}
		size := binary.LittleEndian.Uint32(hdr[0:])
		if size == 0 || size > maxRecord {
			return n, &corruptError{fmt.Errorf("record %d: bad length %d", n+1, size)}
		}
		if cap(buf) < int(size) {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		if _, err := io.ReadFull(r, buf); err != nil {
			return n, &corruptError{fmt.Errorf("record %d: torn payload", n+1)}
		}
		if crc32.Checksum(buf, castagnoli) != binary.LittleEndian.Uint32(hdr[4:]) {
			return n, &corruptError{fmt.Errorf("record %d: checksum mismatch", n+1)}
		}
		tl, k := binary.Uvarint(buf)
		if k <= 0 || uint64(k)+tl > uint64(len(buf)) {
			return n, &corruptError{fmt.Errorf("record %d: bad tenant length", n+1)}
		}
		tenant := string(buf[k : k+int(tl)])
		if err := fn(tenant, buf[k+int(tl):]); err != nil {
			return n, err
		}
		n++
	}
}
