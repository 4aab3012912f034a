package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tempoctl/tempoctl/client"
	"github.com/tempoctl/tempoctl/storage/backend"
)

// queryTarget is what the search/tags commands share: the bucket or a
// server, the tenant and the time window.
type queryTarget struct {
	Storage storageFlags
	Remote  serverFlags
	Tenant  string
	Since   time.Duration
	Start   string
	End     string

	cmd *cobra.Command // to tell an explicit --tenant from the default
}

func (q *queryTarget) register(cmd *cobra.Command) {
	q.Storage.register(cmd)
	q.Remote.register(cmd)
	q.cmd = cmd
	fl := cmd.Flags()
	fl.StringVar(&q.Tenant, "tenant", "single-tenant", "tenant to read (with a server: sent as X-Scope-OrgID when given)")
	fl.DurationVar(&q.Since, "since", 0, "only traces of the last DURATION (e.g. 15m, 1h); default: all time")
	fl.StringVar(&q.Start, "start", "", "window start: RFC 3339 (2026-11-23T20:25:00Z), unix seconds, now or now-DURATION")
	fl.StringVar(&q.End, "end", "", "window end, same forms as --start (default: open)")
}

// window checks the flags and returns the time range (zero = open).
func (q *queryTarget) window(now time.Time) (start, end time.Time, err error) {
	if q.Since != 0 && (q.Start != "" || q.End != "") {
		return start, end, usageErrorf("--since cannot be combined with --start/--end")
	}
	if q.Since < 0 {
		return start, end, usageErrorf("--since must be positive")
	}
	if q.Since > 0 {
		return now.Add(-q.Since), now, nil
	}
	if q.Start != "" {
		if start, err = parseTimeFlag(q.Start, now); err != nil {
			return start, end, usageErrorf("--start: %v", err)
		}
	}
	if q.End != "" {
		if end, err = parseTimeFlag(q.End, now); err != nil {
			return start, end, usageErrorf("--end: %v", err)
		}
	}
	if !start.IsZero() && !end.IsZero() && !end.After(start) {
		return start, end, usageErrorf("--end %s is not after --start %s", end.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	return start, end, nil
}

// useServer is true with --server, or with no bucket flag at all (the
// default server).
func (q *queryTarget) useServer() bool { return q.Remote.useServer(&q.Storage) }

// client is the API client for the server, sending --tenant only when it
// was given (a server with multitenancy off ignores it anyway).
func (q *queryTarget) client() (*client.Client, error) {
	tenant := ""
	if q.cmd != nil && q.cmd.Flags().Changed("tenant") {
		tenant = q.Tenant
	}
	return q.Remote.client(tenant)
}

// parseTimeFlag reads RFC 3339, unix seconds, "now" or "now-DURATION"
// (DURATION as Go durations, plus d for days).
func parseTimeFlag(s string, now time.Time) (time.Time, error) {
	if s == "now" {
		return now, nil
	}
	if rest, ok := strings.CutPrefix(s, "now-"); ok {
		d, err := parseDurationDays(rest)
		if err != nil {
			return time.Time{}, err
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	return time.Time{}, fmt.Errorf("%q is not RFC 3339 (2026-11-23T20:25:00Z), unix seconds, now or now-1h", s)
}

func parseDurationDays(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if days, err := strconv.Atoi(n); err == nil && days >= 0 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration such as 15m, 1h or 2d", s)
	}
	return d, nil
}

// blockWarning prints a skipped block on stderr (one line each).
func blockWarning(w io.Writer) func(*backend.BlockMeta, error) {
	return func(m *backend.BlockMeta, err error) {
		fmt.Fprintf(w, "warning: skipped unreadable block %s: %v\n", m.BlockID, err)
	}
}
