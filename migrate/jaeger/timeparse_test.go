package jaeger

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 11, 23, 20, 6, 12, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"now", now, false},
		{"now-2h", now.Add(-2 * time.Hour), false},
		{"now+30m", now.Add(30 * time.Minute), false},
		{"now-3d", now.Add(-72 * time.Hour), false},
		{"now-1w2d3h", now.Add(-(9*24 + 3) * time.Hour), false},
		{"2026-11-23T18:06:12Z", time.Date(2026, 11, 23, 18, 6, 12, 0, time.UTC), false},
		{"2026-11-23T18:06:12.5+01:00", time.Date(2026, 11, 23, 17, 6, 12, 5e8, time.UTC), false},
		{"2026-11-23", time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), false},
		{" now-1h ", now.Add(-time.Hour), false},
		{"now*2h", time.Time{}, true},
		{"now-", time.Time{}, true},
		{"now-2x", time.Time{}, true},
		{"yesterday", time.Time{}, true},
		{"1795457172000000", time.Time{}, true},
	}
	for _, tc := range tests {
		got, err := ParseTime(tc.in, now)
		if (err != nil) != tc.err {
			t.Errorf("%q: err %v", tc.in, err)
			continue
		}
		if !tc.err && !got.Equal(tc.want) {
			t.Errorf("%q = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"72h", 72 * time.Hour, false},
		{"3d", 72 * time.Hour, false},
		{"2w", 14 * 24 * time.Hour, false},
		{"1d12h30m", 36*time.Hour + 30*time.Minute, false},
		{"1.5h", 90 * time.Minute, false},
		{"", 0, true},
		{"-1h", 0, true},
		{"d", 0, true},
		{"99999999999d", 0, true},
	}
	for _, tc := range tests {
		got, err := ParseDuration(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("%q = %v, %v; want %v (err %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}
