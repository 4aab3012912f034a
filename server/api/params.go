package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	tmodel "github.com/tempoctl/tempoctl/model"
)

// parseTraceID reads {traceID} as Tempo does: 1–32 hex characters, any case,
// left-padded to 16 bytes; the messages are Tempo's.
func parseTraceID(s string) (tmodel.TraceID, error) {
	if len(s) > 32 {
		return tmodel.TraceID{}, errors.New("trace IDs can't be larger than 128 bits")
	}
	for i, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return tmodel.TraceID{}, fmt.Errorf("trace IDs can only contain hex characters: invalid character '%c' at position %d", c, i+1)
		}
	}
	if s == "" {
		return tmodel.TraceID{}, errors.New("trace IDs can't be empty")
	}
	return tmodel.ParseTraceID(s)
}

// traceRange reads trace by ID's optional start/end (Unix seconds).
func traceRange(r *http.Request) (start, end time.Time, err error) {
	q := r.URL.Query()
	var s, e int64
	if v := q.Get("start"); v != "" {
		if s, err = strconv.ParseInt(v, 10, 64); err != nil {
			return start, end, fmt.Errorf("invalid start: %w", err)
		}
		start = time.Unix(s, 0)
	}
	if v := q.Get("end"); v != "" {
		if e, err = strconv.ParseInt(v, 10, 64); err != nil {
			return start, end, fmt.Errorf("invalid end: %w", err)
		}
		end = time.Unix(e, 0)
	}
	if !start.IsZero() && !end.IsZero() && e <= s {
		return start, end, fmt.Errorf("http parameter start must be before end. received start=%d end=%d", s, e)
	}
	return start, end, nil
}

// searchRange reads the window of search and tag queries (spec §3): both
// start and end (Unix seconds), or since (a duration back from now), or
// neither (the recent window). End is open unless given: live data has no
// end cut-off.
func (h *handlers) searchRange(r *http.Request) (start, end time.Time, err error) {
	q := r.URL.Query()
	sv, ev := q.Get("start"), q.Get("end")
	switch {
	case sv == "" && ev == "":
		if v := q.Get("since"); v != "" {
			d, err := model.ParseDuration(v)
			if err != nil {
				return start, end, fmt.Errorf("invalid since: %w", err)
			}
			return h.opts.Now().Add(-time.Duration(d)), time.Time{}, nil
		}
		start, end = h.recentWindow()
		return start, end, nil
	case sv == "" || ev == "":
		return start, end, errOnlyOneOfStartEnd
	}
	s, err := strconv.ParseUint(sv, 10, 32)
	if err != nil {
		return start, end, fmt.Errorf("invalid start: %w", err)
	}
	e, err := strconv.ParseUint(ev, 10, 32)
	if err != nil {
		return start, end, fmt.Errorf("invalid end: %w", err)
	}
	return h.window(s, e)
}

var errOnlyOneOfStartEnd = errors.New("error parsing date range: only one of start and end provided: must provide both or neither")

// recentWindow is the window of a query without start and end.
func (h *handlers) recentWindow() (start, end time.Time) {
	return h.opts.Now().Add(-h.opts.RecentWindow), time.Time{}
}

// window checks an explicit range in Unix seconds.
func (h *handlers) window(s, e uint64) (start, end time.Time, err error) {
	if e <= s {
		return start, end, fmt.Errorf("http parameter start must be before end. received start=%d end=%d", s, e)
	}
	if d := time.Duration(e-s) * time.Second; d > h.opts.MaxSearchDuration {
		return start, end, fmt.Errorf("range specified by start and end exceeds %s. received start=%d end=%d", h.opts.MaxSearchDuration, s, e)
	}
	return time.Unix(int64(s), 0), time.Unix(int64(e), 0), nil
}

// uintParam reads an optional uint32 parameter.
func uintParam(r *http.Request, name string) (n int, set bool, err error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, false, nil
	}
	u, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return 0, true, fmt.Errorf("invalid %s: %w", name, err)
	}
	return int(u), true, nil
}
