package tui

import (
	"testing"
	"time"
)

func TestParseRange(t *testing.T) {
	now := time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in      string
		want    TimeRange
		wantErr bool
	}{
		{in: "2h", want: TimeRange{Last: 2 * time.Hour}},
		{in: "-90m", want: TimeRange{Last: 90 * time.Minute}},
		{in: "all", want: TimeRange{All: true}},
		{in: "2026-11-23T20:00:00Z 2026-11-23T20:30:00Z", want: TimeRange{
			Start: time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 23, 20, 30, 0, 0, time.UTC)}},
		{in: "now-2h now-1h", want: TimeRange{Start: now.Add(-2 * time.Hour), End: now.Add(-time.Hour)}},
		{in: "1795465538 now", want: TimeRange{Start: time.Unix(1795465538, 0), End: now}},
		{in: "2026-11-23T20:00 2026-11-23", wantErr: true}, // end before start
		{in: "0s", wantErr: true},
		{in: "yesterday", wantErr: true},
		{in: "now now-1x", wantErr: true},
		{in: "a b c", wantErr: true},
		{in: "", wantErr: true},
	} {
		got, err := ParseRange(tc.in, now)
		if (err != nil) != tc.wantErr {
			t.Errorf("%q: err %v, wantErr %v", tc.in, err, tc.wantErr)
			continue
		}
		if !tc.wantErr && (got.Last != tc.want.Last || got.All != tc.want.All || !got.Start.Equal(tc.want.Start) || !got.End.Equal(tc.want.End)) {
			t.Errorf("%q = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestRangeCycleAndBounds(t *testing.T) {
	now := time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)
	custom := &TimeRange{Start: now.Add(-3 * time.Hour), End: now.Add(-2 * time.Hour)}
	r := TimeRange{Last: 15 * time.Minute}
	var labels []string
	for range 7 {
		labels = append(labels, r.Label(time.UTC))
		r = nextRange(r, custom)
	}
	want := []string{"last 15m", "last 1h", "last 6h", "last 24h", "2026-11-23 18:00:00 → 19:00:00", "all time", "last 15m"}
	for i := range want {
		if labels[i] != want[i] {
			t.Fatalf("cycle = %q, want %q", labels, want)
		}
	}
	if got := nextRange(TimeRange{Last: 3 * time.Hour}, nil); got.Last != 6*time.Hour {
		t.Errorf("an odd --since moves to the next larger preset, got %+v", got)
	}
	if got := nextRange(TimeRange{Last: 24 * time.Hour}, nil); !got.All {
		t.Errorf("without a custom window 24h goes to all time, got %+v", got)
	}
	s, e := TimeRange{Last: time.Hour}.Bounds(now)
	if !s.Equal(now.Add(-time.Hour)) || !e.Equal(now) {
		t.Errorf("bounds of last 1h: %v %v", s, e)
	}
	if s, e := (TimeRange{All: true}).Bounds(now); !s.IsZero() || !e.IsZero() {
		t.Error("all time must be unbounded")
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"2h", "all", "now-2h now", "2026-11-23T20:00:00Z 2026-11-23T21:00:00Z", "1 2", "-"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRange(s, now)
		if err != nil {
			return
		}
		if start, end := r.Bounds(now); !r.All && !end.After(start) {
			t.Fatalf("%q gave an empty window %v..%v", s, start, end)
		}
	})
}
