package blocktools

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tempoctl/tempoctl/storage/backend"
)

// CompactionConfig is the block-selection part of compactor.compaction.
type CompactionConfig struct {
	Window               time.Duration // compaction_window, default 1h
	MaxCompactionObjects int64         // max_compaction_objects, default 6 000 000
	MaxBlockBytes        uint64        // max_block_bytes, default 100 GiB
	MinInputBlocks       int           // default 2
	MaxInputBlocks       int           // default 4
	MaxCompactionLevel   uint32        // 0 = unlimited
}

// DefaultCompactionConfig returns Tempo's defaults.
func DefaultCompactionConfig() CompactionConfig {
	return CompactionConfig{
		Window:               time.Hour,
		MaxCompactionObjects: 6_000_000,
		MaxBlockBytes:        100 << 30,
		MinInputBlocks:       2,
		MaxInputBlocks:       4,
	}
}

// Job is one planned compaction: its inputs merge into one output block.
type Job struct {
	Tenant string
	Inputs []*backend.BlockMeta
	Level  uint32 // max input level; the output gets Level+1
	Window int64  // the inputs' compaction window (endTime / window)
	Reason string // why these blocks were grouped, for --plan
}

// Objects is the sum of the inputs' totalObjects.
func (j Job) Objects() int64 {
	var n int64
	for _, m := range j.Inputs {
		n += m.TotalObjects
	}
	return n
}

// Bytes is the sum of the inputs' sizes.
func (j Job) Bytes() uint64 {
	var n uint64
	for _, m := range j.Inputs {
		n += m.Size
	}
	return n
}

// Skipped is a block the planner left out, and why.
type Skipped struct {
	Meta   *backend.BlockMeta
	Reason string
}

// compactable reports whether a version can be compacted (spec §0).
func compactable(version string) bool {
	return version == backend.VersionVParquet4 || version == backend.VersionVParquet5
}

// dedicatedHash identifies a dedicated-column set: blocks are only merged
// with blocks that store the same attributes in the same columns.
func dedicatedHash(cols backend.DedicatedColumns) uint64 {
	h := sha256.New()
	for _, c := range cols {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x01", c.Scope, c.Name, c.Type, strings.Join(c.Options, ","))
	}
	return binary.BigEndian.Uint64(h.Sum(nil))
}

type groupKey struct {
	level  uint32 // only inside the active 24h
	window int64
	rf     uint32
}

// PlanCompaction chooses compaction jobs for one tenant's live blocks (spec
// §13 "Block selection"). noCompact holds the IDs of blocks flagged with
// nocompact.flg; they are reported as skipped. Blocks are used at most once.
func PlanCompaction(tenant string, metas []*backend.BlockMeta, noCompact map[string]bool, now time.Time, cfg CompactionConfig) ([]Job, []Skipped) {
	if cfg.Window <= 0 {
		cfg.Window = time.Hour
	}
	if cfg.MinInputBlocks < 2 {
		cfg.MinInputBlocks = 2
	}
	if cfg.MaxInputBlocks < cfg.MinInputBlocks {
		cfg.MaxInputBlocks = 4
	}
	winSecs := int64(cfg.Window / time.Second)
	if winSecs <= 0 {
		winSecs = 1
	}
	activeCutoff := now.Add(-24 * time.Hour)
	lastActiveWindow := activeCutoff.Unix() / winSecs

	var skipped []Skipped
	type cand struct {
		m      *backend.BlockMeta
		win    int64
		active bool
		dc     uint64
	}
	groups := map[groupKey][]cand{}
	for _, m := range metas {
		switch {
		case !compactable(m.Version):
			skipped = append(skipped, Skipped{m, fmt.Sprintf("format %q cannot be compacted", m.Version)})
			continue
		case noCompact[m.BlockID.String()]:
			skipped = append(skipped, Skipped{m, "has nocompact.flg"})
			continue
		case cfg.MaxCompactionLevel > 0 && m.CompactionLevel >= cfg.MaxCompactionLevel:
			skipped = append(skipped, Skipped{m, "at max compaction level"})
			continue
		}
		win := m.EndTime.Unix() / winSecs
		if win == lastActiveWindow {
			skipped = append(skipped, Skipped{m, "in the last active window (24h back), skipped to avoid ownership races"})
			continue
		}
		active := m.EndTime.After(activeCutoff)
		k := groupKey{window: win, rf: m.ReplicationFactor}
		if active {
			k.level = m.CompactionLevel
		} else {
			k.level = ^uint32(0) // older blocks group across levels
		}
		groups[k] = append(groups[k], cand{m, win, active, dedicatedHash(m.DedicatedColumns)})
	}

	keys := make([]groupKey, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	// Active groups (lowest level, newest window) first, then older windows newest first.
	sort.Slice(keys, func(i, j int) bool {
		ai, aj := keys[i].level != ^uint32(0), keys[j].level != ^uint32(0)
		if ai != aj {
			return ai
		}
		if keys[i].level != keys[j].level {
			return keys[i].level < keys[j].level
		}
		if keys[i].window != keys[j].window {
			return keys[i].window > keys[j].window
		}
		return keys[i].rf < keys[j].rf
	})

	var jobs []Job
	for _, k := range keys {
		cs := groups[k]
		sort.SliceStable(cs, func(i, j int) bool {
			a, b := cs[i], cs[j]
			if !a.active && a.m.CompactionLevel != b.m.CompactionLevel {
				return a.m.CompactionLevel < b.m.CompactionLevel
			}
			if a.m.TotalObjects != b.m.TotalObjects {
				return a.m.TotalObjects < b.m.TotalObjects
			}
			if a.m.Version != b.m.Version {
				return a.m.Version < b.m.Version
			}
			if a.dc != b.dc {
				return a.dc < b.dc
			}
			return a.m.BlockID.String() < b.m.BlockID.String()
		})
		for i := 0; i < len(cs); {
			run := []*backend.BlockMeta{cs[i].m}
			objs, size := cs[i].m.TotalObjects, cs[i].m.Size
			level := cs[i].m.CompactionLevel
			j := i + 1
			for ; j < len(cs) && len(run) < cfg.MaxInputBlocks; j++ {
				c := cs[j]
				if c.m.Version != cs[i].m.Version || c.dc != cs[i].dc {
					break
				}
				if cfg.MaxCompactionObjects > 0 && objs+c.m.TotalObjects > cfg.MaxCompactionObjects {
					break
				}
				if cfg.MaxBlockBytes > 0 && size+c.m.Size > cfg.MaxBlockBytes {
					break
				}
				run = append(run, c.m)
				objs += c.m.TotalObjects
				size += c.m.Size
				if c.m.CompactionLevel > level {
					level = c.m.CompactionLevel
				}
			}
			if len(run) >= cfg.MinInputBlocks {
				where := "older than 24h"
				if cs[i].active {
					where = fmt.Sprintf("level %d, within 24h", k.level)
				}
				jobs = append(jobs, Job{
					Tenant: tenant, Inputs: run, Level: level, Window: cs[i].win,
					Reason: fmt.Sprintf("%d %s blocks in window %s (%s): %d objects, %d bytes",
						len(run), cs[i].m.Version, time.Unix(cs[i].win*winSecs, 0).UTC().Format(time.RFC3339), where, objs, size),
				})
				i = j
				continue
			}
			skipped = append(skipped, Skipped{cs[i].m, "no other block to merge with in its window, level and format within the limits"})
			i++
		}
	}
	return jobs, skipped
}
