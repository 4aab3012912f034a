package receiver

import (
	"context"
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
type tenantError struct{ err error }

func (e *tenantError) Error() string { return e.err.Error() }
func (e *tenantError) Unwrap() error { return e.err }

// tenants resolves the tenant of a request.
type tenants struct {
	enabled bool
	header  string // canonical HTTP header name
	mdKey   string // gRPC metadata keys are lower case
}

func newTenants(enabled bool, header string) tenants {
	if header == "" {
		header = DefaultTenantHeader
	}
	return tenants{
		enabled: enabled,
		header:  http.CanonicalHeaderKey(header),
		mdKey:   strings.ToLower(header),
	}
}

// fromHTTP returns the tenant of an HTTP request and a context carrying it
// as the dskit org ID, so that a remote pusher can forward it.
func (t tenants) fromHTTP(r *http.Request) (string, context.Context, error) {
	if !t.enabled {
		return SingleTenant, user.InjectOrgID(r.Context(), SingleTenant), nil
	}
	return resolveTenant(r.Context(), r.Header.Values(t.header))
}

// fromGRPC is fromHTTP for incoming gRPC metadata.
func (t tenants) fromGRPC(ctx context.Context) (string, context.Context, error) {
	if !t.enabled {
		return SingleTenant, user.InjectOrgID(ctx, SingleTenant), nil
	}
	return resolveTenant(ctx, metadata.ValueFromIncomingContext(ctx, t.mdKey))
}

func resolveTenant(ctx context.Context, values []string) (string, context.Context, error) {
	switch {
	case len(values) == 0 || (len(values) == 1 && values[0] == ""):
		return "", ctx, &tenantError{user.ErrNoOrgID}
	case len(values) > 1:
		return "", ctx, &tenantError{user.ErrTooManyOrgIDs}
	}
	// dskit's rules, so that ingest accepts exactly the tenants the query
	// path does: valid characters, length, one tenant (no "a|b").
	id, err := tenant.TenantID(user.InjectOrgID(ctx, values[0]))
	if err != nil {
		return "", ctx, &tenantError{err}
	}
	return id, user.InjectOrgID(ctx, id), nil
}
