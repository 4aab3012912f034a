// Package pusher is the seam between the distributor and the ingesters: in
// process for -target=all, over gRPC for -target=distributor (the ring will
// pick ingesters by trace ID behind the same interface).
package pusher

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Pusher stores spans for a tenant. Push returns only once the spans are
// durable (in the WAL) or with an error; it never accepts and then drops.
type Pusher interface {
	Push(ctx context.Context, tenant string, td ptrace.Traces) error
}

// LimitError is returned when a per-tenant limit refuses a push. Receivers map
// it to HTTP 429 / gRPC RESOURCE_EXHAUSTED with the message and a retry hint.
type LimitError struct {
	Tenant string
	Limit  string // the limit's config name, e.g. "max_traces_per_user"
	Detail string
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("tenant %q: %s reached: %s", e.Tenant, e.Limit, e.Detail)
}
