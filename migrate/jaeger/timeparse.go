package jaeger

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseTime reads a time flag: RFC3339 (fractions and offsets allowed), a
// date (2006-01-02, UTC midnight), "now", or now±DURATION where DURATION is
// a Go duration that may also use d (24h) and w (7d): now-2h, now-3d12h.
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "now"); ok {
		if rest == "" {
			return now, nil
		}
		sign := rest[0]
		if sign != '-' && sign != '+' {
			return time.Time{}, fmt.Errorf("time %q: use now, now-DURATION or now+DURATION", s)
		}
		d, err := ParseDuration(rest[1:])
		if err != nil {
			return time.Time{}, fmt.Errorf("time %q: %w", s, err)
		}
		if sign == '-' {
			d = -d
		}
		return now.Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("time %q: use RFC3339 (2026-11-23T18:06:12Z), a date, now or now-2h", s)
}

// ParseDuration is time.ParseDuration plus the units d and w, which people
// use for retention-sized windows (72h = 3d).
func ParseDuration(s string) (time.Duration, error) {
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9') {
			i++
		}
		if i > 0 && i < len(rest) && (rest[i] == 'd' || rest[i] == 'w') {
			n, err := strconv.ParseInt(rest[:i], 10, 64)
			if err != nil || n > 1<<20 {
				return 0, fmt.Errorf("duration %q out of range", s)
			}
			unit := 24 * time.Hour
			if rest[i] == 'w' {
				unit *= 7
			}
			total += time.Duration(n) * unit
			rest = rest[i+1:]
			continue
		}
		// The remainder has no d/w: let the standard parser have it.
		d, err := time.ParseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("duration %q: %w", s, err)
		}
		total += d
		rest = ""
	}
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if total < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	return total, nil
}
