package receiver

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/grafana/dskit/user"
	"github.com/tempoctl/tempoctl/server/pusher"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestClassify(t *testing.T) {
	const retry = 7 * time.Second
	tests := []struct {
		name      string
		err       error
		code      codes.Code
		http      int
		wantRetry bool
	}{
		{"limit", &pusher.LimitError{Tenant: "t", Limit: "max_traces_per_user"}, codes.ResourceExhausted, 429, true},
		{"wrapped limit", fmt.Errorf("push: %w", &pusher.LimitError{}), codes.ResourceExhausted, 429, true},
		{"tenant", &tenantError{err: user.ErrNoOrgID, header: "X-Scope-OrgID"}, codes.Unauthenticated, 401, false},
		{"bad request", badRequest(errBoom), codes.InvalidArgument, 400, false},
		{"too large", &bodyTooLargeError{10}, codes.ResourceExhausted, 413, false},
		{"encoding", &unsupportedEncodingError{"br"}, codes.InvalidArgument, 415, false},
		{"canceled", context.Canceled, codes.Canceled, 499, false},
		{"deadline", fmt.Errorf("push: %w", context.DeadlineExceeded), codes.DeadlineExceeded, 504, false},
		{"status invalid", status.Error(codes.InvalidArgument, "x"), codes.InvalidArgument, 400, false},
		{"status exhausted", status.Error(codes.ResourceExhausted, "x"), codes.ResourceExhausted, 429, true},
		{"status unavailable", status.Error(codes.Unavailable, "x"), codes.Unavailable, 503, true},
		{"status permission", status.Error(codes.PermissionDenied, "x"), codes.PermissionDenied, 403, false},
		{"status internal", status.Error(codes.Internal, "x"), codes.Internal, 500, false},
		{"plain", errBoom, codes.Internal, 500, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := classify(tt.err, retry)
			if f.code != tt.code || f.httpStatus != tt.http {
				t.Errorf("got %v/%d, want %v/%d", f.code, f.httpStatus, tt.code, tt.http)
			}
			if (f.retryAfter == retry) != tt.wantRetry {
				t.Errorf("retry after %v, want hint: %v", f.retryAfter, tt.wantRetry)
			}
			h := http.Header{}
			f.setRetryAfter(h)
			if want := map[bool]string{true: "7"}[tt.wantRetry]; h.Get("Retry-After") != want {
				t.Errorf("Retry-After %q, want %q", h.Get("Retry-After"), want)
			}
		})
	}
}

func TestGuardDecode(t *testing.T) {
	_, err := guardDecode(func() (ptrace.Traces, error) { panic("index out of range") })
	if f := classify(err, 0); f.httpStatus != 400 {
		t.Fatalf("panicking decoder answered %d (%v), want 400", f.httpStatus, err)
	}
}
