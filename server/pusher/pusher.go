// Package pusher is the seam between the distributor and the ingesters: in
// process for -target=all, over gRPC for -target=distributor (the ring will
// pick ingesters by trace ID behind the same interface).
package pusher

import (
	"context"
	"fmt"

	"github.com/tempoctl/tempoctl/model/otlpwire"
)

// Pusher stores spans for a tenant. Push returns only once the spans are
// durable (in the WAL) or with an error; it never accepts and then drops.
// The batch is the request in OTLP wire form, already checked by
// otlpwire.Parse; its bytes must not be modified afterwards.
type Pusher interface {
	Push(ctx context.Context, tenant string, b *otlpwire.Batch) error
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

// Discarder is implemented by pushers that count spans refused before Push
// (the distributor, for requests a receiver found invalid).
type Discarder interface {
	Discarded(tenant, reason string, spans int)
}
