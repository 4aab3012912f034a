package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/grafana/dskit/tenant"
	"github.com/grafana/dskit/user"
)

// SingleTenant is the tenant of every query when multitenancy is off.
const SingleTenant = "single-tenant"

// tenants returns the tenants a query reads: "single-tenant" with
// multitenancy off (the header is ignored), else the header's value, where
// "a|b" reads several tenants and merges (dskit's rules for valid IDs).
func (h *handlers) tenants(r *http.Request) ([]string, error) {
	return h.tenantsOf(r.Context(), r.Header.Values(h.opts.TenantHeader))
}

func (h *handlers) tenantHeader() string {
	if h.opts.TenantHeader == "" {
		return "X-Scope-OrgID"
	}
	return h.opts.TenantHeader
}

// tenantsOf applies the tenant rules to the values of the tenant header
// (HTTP) or of the x-scope-orgid metadata key (gRPC).
func (h *handlers) tenantsOf(ctx context.Context, vals []string) ([]string, error) {
	if !h.opts.MultitenancyEnabled {
		return []string{SingleTenant}, nil
	}
	switch {
	case len(vals) == 0 || (len(vals) == 1 && vals[0] == ""):
		// Tempo's words first (clients may match them), then what to do.
		return nil, fmt.Errorf("%w: multitenancy is enabled and the request has no %s header naming the tenant", user.ErrNoOrgID, h.tenantHeader())
	case len(vals) > 1:
		return nil, fmt.Errorf("%w: the %s header is given more than once", user.ErrTooManyOrgIDs, h.tenantHeader())
	}
	ids, err := tenant.TenantIDs(user.InjectOrgID(ctx, vals[0]))
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// tenantsOr401 writes 401 (no tenant) or 400 (malformed tenant ID) and
// returns false when there is no usable tenant.
func (h *handlers) tenantsOr401(w http.ResponseWriter, r *http.Request) ([]string, bool) {
	ids, err := h.tenants(r)
	if err != nil {
		code := http.StatusBadRequest // a malformed tenant ID
		if errors.Is(err, user.ErrNoOrgID) || errors.Is(err, user.ErrTooManyOrgIDs) {
			code = http.StatusUnauthorized
		}
		textError(w, err.Error(), code)
		return nil, false
	}
	return ids, true
}
