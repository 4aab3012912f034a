package receiver

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/grafana/dskit/tenant"
	"github.com/grafana/dskit/user"
	"google.golang.org/grpc/metadata"
)

const (
	// SingleTenant is the tenant of every push when multitenancy is off.
	SingleTenant = "single-tenant"
	// DefaultTenantHeader carries the tenant when multitenancy is on.
	DefaultTenantHeader = "X-Scope-OrgID"
)

// tenantError is a missing or unusable tenant: 401 / Unauthenticated.
type tenantError struct {
	err    error
	header string // set when the header was missing or repeated
}

func (e *tenantError) Error() string {
	switch {
	case errors.Is(e.err, user.ErrNoOrgID):
		// Tempo's words first (clients may match them), then what to do.
		return e.err.Error() + ": multitenancy is enabled and the request has no " + e.header + " header naming the tenant"
	case errors.Is(e.err, user.ErrTooManyOrgIDs):
		return e.err.Error() + ": the " + e.header + " header is given more than once"
	}
	return e.err.Error()
}
func (e *tenantError) Unwrap() error { return e.err }

// tenants resolves the tenant of a request.
type tenants struct {
	enabled bool
	header  string // canonical HTTP header name
	mdKey   string // gRPC metadata keys are lower case
	name    string // as configured, for messages
}

func newTenants(enabled bool, header string) tenants {
	if header == "" {
		header = DefaultTenantHeader
	}
	return tenants{
		enabled: enabled,
		header:  http.CanonicalHeaderKey(header),
		mdKey:   strings.ToLower(header),
		name:    header,
	}
}

// fromHTTP returns the tenant of an HTTP request and a context carrying it
// as the dskit org ID, so that a remote pusher can forward it.
func (t tenants) fromHTTP(r *http.Request) (string, context.Context, error) {
	if !t.enabled {
		return SingleTenant, user.InjectOrgID(r.Context(), SingleTenant), nil
	}
	return resolveTenant(r.Context(), r.Header.Values(t.header), t.name)
}

// fromGRPC is fromHTTP for incoming gRPC metadata.
func (t tenants) fromGRPC(ctx context.Context) (string, context.Context, error) {
	if !t.enabled {
		return SingleTenant, user.InjectOrgID(ctx, SingleTenant), nil
	}
	return resolveTenant(ctx, metadata.ValueFromIncomingContext(ctx, t.mdKey), t.name)
}

func resolveTenant(ctx context.Context, values []string, header string) (string, context.Context, error) {
	switch {
	case len(values) == 0 || (len(values) == 1 && values[0] == ""):
		return "", ctx, &tenantError{user.ErrNoOrgID, header}
	case len(values) > 1:
		return "", ctx, &tenantError{user.ErrTooManyOrgIDs, header}
	}
	// dskit's rules, so that ingest accepts exactly the tenants the query
	// path does: valid characters, length, one tenant (no "a|b").
	id, err := tenant.TenantID(user.InjectOrgID(ctx, values[0]))
	if err != nil {
		return "", ctx, &tenantError{err: err}
	}
	return id, user.InjectOrgID(ctx, id), nil
}
