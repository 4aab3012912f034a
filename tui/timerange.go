package tui

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// TimeRange is the search window: relative to now (Last > 0), absolute
// (Start/End), or unbounded (All, for files whose traces are old).
type TimeRange struct {
	Last       time.Duration
	Start, End time.Time
	All        bool
}

// presets are the relative windows `t` cycles through.
var presets = []time.Duration{15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour}

// Bounds resolves the window at now; zero times mean open.
func (r TimeRange) Bounds(now time.Time) (start, end time.Time) {
	switch {
	case r.All:
		return time.Time{}, time.Time{}
	case r.Last > 0:
		return now.Add(-r.Last), now
	}
	return r.Start, r.End
}

// Label is what the title bar shows.
func (r TimeRange) Label(loc *time.Location) string {
	switch {
	case r.All:
		return "all time"
	case r.Last > 0:
		return "last " + shortDuration(r.Last)
	}
	f := "2006-01-02 15:04:05"
	if r.Start.In(loc).YearDay() == r.End.In(loc).YearDay() && r.Start.Year() == r.End.Year() {
		return r.Start.In(loc).Format(f) + " → " + r.End.In(loc).Format("15:04:05")
	}
	return r.Start.In(loc).Format(f) + " → " + r.End.In(loc).Format(f)
}

func (r TimeRange) custom() bool { return !r.All && r.Last == 0 }

// shortDuration prints 1h30m rather than 1h30m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// nextRange cycles 15m → 1h → 6h → 24h → custom (when one was given) →
// all → 15m.
func nextRange(cur TimeRange, custom *TimeRange) TimeRange {
	if cur.Last > 0 {
		for i, p := range presets {
			if p == cur.Last && i+1 < len(presets) {
				return TimeRange{Last: presets[i+1]}
			}
			if cur.Last < p {
				return TimeRange{Last: p}
			}
		}
		if custom != nil {
			return *custom
		}
		return TimeRange{All: true}
	}
	if cur.custom() {
		return TimeRange{All: true}
	}
	return TimeRange{Last: presets[0]}
}

// ParseRange reads a window typed by the user or given on the command line:
//
//	2h | 90m            the last 2 hours / 90 minutes (a leading "-" is allowed)
//	all                 no bounds
//	START END           RFC 3339 times, or now / now-DURATION
func ParseRange(s string, now time.Time) (TimeRange, error) {
	f := strings.Fields(s)
	switch len(f) {
	case 1:
		if f[0] == "all" {
			return TimeRange{All: true}, nil
		}
		d, err := time.ParseDuration(strings.TrimPrefix(f[0], "-"))
		if err != nil || d <= 0 {
			return TimeRange{}, fmt.Errorf("range %q: want a duration like 2h, \"all\", or START END", s)
		}
		return TimeRange{Last: d}, nil
	case 2:
		start, err := ParseTime(f[0], now)
		if err != nil {
			return TimeRange{}, err
		}
		end, err := ParseTime(f[1], now)
		if err != nil {
			return TimeRange{}, err
		}
		if !end.After(start) {
			return TimeRange{}, errors.New("range: end must be after start")
		}
		return TimeRange{Start: start, End: end}, nil
	}
	return TimeRange{}, fmt.Errorf("range %q: want a duration like 2h, \"all\", or START END", s)
}

// ParseTime reads RFC 3339 (with or without seconds' fraction or zone: then
// UTC), Unix seconds, "now" or "now-DURATION".
func ParseTime(s string, now time.Time) (time.Time, error) {
	if s == "now" {
		return now, nil
	}
	if rest, ok := strings.CutPrefix(s, "now-"); ok {
		d, err := time.ParseDuration(rest)
		if err != nil {
			return time.Time{}, fmt.Errorf("time %q: %v", s, err)
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	var sec int64
	if _, err := fmt.Sscanf(s, "%d", &sec); err == nil && fmt.Sprint(sec) == s {
		return time.Unix(sec, 0), nil
	}
	return time.Time{}, fmt.Errorf("time %q: want RFC 3339 (2006-01-02T15:04:05Z), Unix seconds, now or now-1h", s)
}
