package blocktools

import (
	"fmt"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// RedactAttr names attributes to redact, TraceQL style: "span.user.email",
// "resource.host.ip", "event.x", "link.x", "instrumentation.x", or ".x" for
// the name in every scope.
type RedactAttr struct {
	Scope string // span, resource, event, link, instrumentation; "" = all
	Name  string
}

func (r RedactAttr) String() string { return r.Scope + "." + r.Name }

var redactScopes = []string{"span", "resource", "event", "link", "instrumentation"}

// ParseRedactAttr parses one --redact value.
func ParseRedactAttr(s string) (RedactAttr, error) {
	scope, name, ok := strings.Cut(s, ".")
	if !ok || name == "" {
		return RedactAttr{}, fmt.Errorf("redact %q: want scope.name (span.user.email, resource.host.ip, .any.scope)", s)
	}
	if scope != "" {
		known := false
		for _, k := range redactScopes {
			known = known || k == scope
		}
		if !known {
			return RedactAttr{}, fmt.Errorf("redact %q: unknown scope %q (span, resource, event, link, instrumentation, or none as in .name)", s, scope)
		}
	}
	if strings.HasPrefix(name, `"`) {
		uq, err := strconv.Unquote(name)
		if err != nil {
			return RedactAttr{}, fmt.Errorf("redact %q: %v", s, err)
		}
		name = uq
	}
	return RedactAttr{Scope: scope, Name: name}, nil
}

// redactor removes (or overwrites) attributes in place.
type redactor struct {
	attrs []RedactAttr
	with  *string // nil: remove the attribute; else replace its value
}

func (r *redactor) in(scope string) []string {
	var names []string
	for _, a := range r.attrs {
		if a.Scope == "" || a.Scope == scope {
			names = append(names, a.Name)
		}
	}
	return names
}

func (r *redactor) apply(m pcommon.Map, names []string) int {
	n := 0
	for _, name := range names {
		v, ok := m.Get(name)
		if !ok {
			continue
		}
		if r.with == nil {
			m.Remove(name)
			n++
		} else if v.Type() != pcommon.ValueTypeStr || v.Str() != *r.with {
			v.SetStr(*r.with)
			n++
		}
	}
	return n
}

// redact changes td in place and returns how many values it redacted.
func (r *redactor) redact(td ptrace.Traces) int {
	if r == nil || len(r.attrs) == 0 {
		return 0
	}
	span, res, ev, link, inst := r.in("span"), r.in("resource"), r.in("event"), r.in("link"), r.in("instrumentation")
	n := 0
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		n += r.apply(rs.Resource().Attributes(), res)
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			ss := rs.ScopeSpans().At(j)
			n += r.apply(ss.Scope().Attributes(), inst)
			for k := 0; k < ss.Spans().Len(); k++ {
				s := ss.Spans().At(k)
				n += r.apply(s.Attributes(), span)
				for e := 0; e < s.Events().Len(); e++ {
					n += r.apply(s.Events().At(e).Attributes(), ev)
				}
				for l := 0; l < s.Links().Len(); l++ {
					n += r.apply(s.Links().At(l).Attributes(), link)
				}
			}
		}
	}
	return n
}
