package api

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tempoctl/tempoctl/model"
)

// FuzzSearchParams: any /api/search query string is either accepted or
// refused with a one-line message; never a panic, never a window the
// querier cannot use.
func FuzzSearchParams(f *testing.F) {
	for _, s := range []string{"q=%7B%7D", "tags=a%3Db%20c%3D%22d%20e%22", "minDuration=1s&maxDuration=2s",
		"q=%7B%7D&start=1&end=2&limit=5&spss=0", "since=1h", "service.name=x&limit=0", "tags=%22", "start=10", "spss=101"} {
		f.Add(s)
	}
	h := &handlers{opts: Options{Now: func() time.Time { return time.Unix(2e9, 0) }}.withDefaults()}
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest("GET", "/api/search", nil)
		r.URL.RawQuery = raw
		req, err := h.parseSearch(r)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if req.Limit <= 0 || req.SpansPerSpanSet < 0 || req.Start.IsZero() {
			t.Fatalf("accepted an unusable request: %+v", req)
		}
		if !req.End.IsZero() && !req.End.After(req.Start) {
			t.Fatalf("end %v not after start %v", req.End, req.Start)
		}
	})
}

// FuzzTraceID: {traceID} parsing agrees with the model's parser on
// every accepted ID and refuses everything else with Tempo's messages.
func FuzzTraceID(f *testing.F) {
	for _, s := range []string{"0123456789abcdef", "ABC", "zz", strings.Repeat("f", 33), "", "1", " 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := parseTraceID(s)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "trace IDs can") {
				t.Fatalf("%q: message %q", s, msg)
			}
			return
		}
		want, err := model.ParseTraceID(s)
		if err != nil || want != id {
			t.Fatalf("%q: %v vs model %v (%v)", s, id, want, err)
		}
	})
}
