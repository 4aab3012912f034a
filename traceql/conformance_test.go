package traceql

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const ms = uint64(1e6)

func sattr(s *tSpan, k string) any { return s.attrs[k] }
func rattr(s *tSpan, k string) any { return s.res[k] }
func uattr(s *tSpan, k string) any {
	if v, ok := s.attrs[k]; ok {
		return v
	}
	return s.res[k]
}
func isStr(v any, want string) bool { s, ok := v.(string); return ok && s == want }
func asStr(v any) (string, bool)    { s, ok := v.(string); return s, ok }
func asInt(v any) (int64, bool)     { n, ok := v.(int64); return n, ok }
func asNum(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}
func hasEvent(s *tSpan, fn func(tEvent) bool) bool {
	for _, e := range s.events {
		if fn(e) {
			return true
		}
	}
	return false
}
func hasLink(s *tSpan, fn func(tLink) bool) bool {
	for _, l := range s.links {
		if fn(l) {
			return true
		}
	}
	return false
}
func arrAny(v any, fn func(any) bool) (bool, bool) {
	arr, ok := v.([]any)
	if !ok {
		return false, false
	}
	for _, e := range arr {
		if fn(e) {
			return true, true
		}
	}
	return false, true
}
func full(re string) *regexp.Regexp { return regexp.MustCompile("^(?:" + re + ")$") }

type ccase struct {
	q         string
	span      func(*tSpan) bool
	trace     func(*tTrace) []*tSpan
	wantEmpty bool
}

// spansWhere returns the spans of tr satisfying fn.
func spansWhere(tr *tTrace, fn func(*tSpan) bool) []*tSpan {
	var out []*tSpan
	for _, s := range tr.spans {
		if fn(s) {
			out = append(out, s)
		}
	}
	return out
}

// relation evaluates {A} op {B} in the oracle.
func relation(a, b func(*tSpan) bool, rel func(tr *tTrace, bs, as *tSpan) bool, not, union bool) func(*tTrace) []*tSpan {
	return func(tr *tTrace) []*tSpan {
		as, bs := spansWhere(tr, a), spansWhere(tr, b)
		var out []*tSpan
		seen := map[*tSpan]bool{}
		var outB []*tSpan
		for _, bb := range bs {
			hit := false
			for _, aa := range as {
				if rel(tr, bb, aa) {
					hit = true
				}
			}
			if hit != not {
				outB = append(outB, bb)
			}
		}
		if !union {
			return outB
		}
		if len(outB) == 0 {
			return nil
		}
		for _, aa := range as {
			for _, bb := range bs {
				if rel(tr, bb, aa) && !seen[aa] {
					seen[aa] = true
					out = append(out, aa)
				}
			}
		}
		for _, bb := range outB {
			if !seen[bb] {
				seen[bb] = true
				out = append(out, bb)
			}
		}
		return out
	}
}

func childRel(tr *tTrace, b, a *tSpan) bool   { return tr.isChild(b, a) }
func parentRel(tr *tTrace, b, a *tSpan) bool  { return tr.isChild(a, b) }
func descRel(tr *tTrace, b, a *tSpan) bool    { return tr.isDescendant(b, a) }
func ancRel(tr *tTrace, b, a *tSpan) bool     { return tr.isDescendant(a, b) }
func siblingRel(tr *tTrace, b, a *tSpan) bool { return tr.isSibling(b, a) }

func both(a, b func(*tTrace) []*tSpan, and bool) func(*tTrace) []*tSpan {
	return func(tr *tTrace) []*tSpan {
		l, r := a(tr), b(tr)
		if and && (len(l) == 0 || len(r) == 0) {
			return nil
		}
		return append(l, r...)
	}
}
func where(fn func(*tSpan) bool) func(*tTrace) []*tSpan {
	return func(tr *tTrace) []*tSpan { return spansWhere(tr, fn) }
}

func isErr(s *tSpan) bool    { return s.status == 2 }
func isServer(s *tSpan) bool { return s.kind == 2 }
func isClient(s *tSpan) bool { return s.kind == 3 }
func anySpan(*tSpan) bool    { return true }
func svcIs(n string) func(*tSpan) bool {
	return func(s *tSpan) bool { return isStr(rattr(s, "service.name"), n) }
}

func conformanceCases() []ccase {
	cs := []ccase{
		// --- basics / intrinsics ---
		{q: `{}`, span: anySpan},
		{q: `{ }`, span: anySpan},
		{q: `{ true }`, span: anySpan},
		{q: `{ false }`, span: func(*tSpan) bool { return false }, wantEmpty: true},
		{q: `{ name = "HTTP GET" }`, span: func(s *tSpan) bool { return s.name == "HTTP GET" }},
		{q: `{ span:name = "HTTP GET" }`, span: func(s *tSpan) bool { return s.name == "HTTP GET" }},
		{q: `{ name != "HTTP GET" }`, span: func(s *tSpan) bool { return s.name != "HTTP GET" }},
		{q: `{ name =~ "HTTP.*" }`, span: func(s *tSpan) bool { return strings.HasPrefix(s.name, "HTTP") }},
		{q: `{ name =~ "HTTP" }`, span: func(s *tSpan) bool { return s.name == "HTTP" }, wantEmpty: true}, // anchored
		{q: `{ name =~ "GET" }`, span: func(s *tSpan) bool { return s.name == "GET" }, wantEmpty: true},   // anchored, no substring
		{q: `{ name =~ ".*GET.*" }`, span: func(s *tSpan) bool { return strings.Contains(s.name, "GET") }},
		{q: `{ name !~ "HTTP.*" }`, span: func(s *tSpan) bool { return !strings.HasPrefix(s.name, "HTTP") }},
		{q: `{ name =~ "postgres (SELECT|UPDATE)" }`, span: func(s *tSpan) bool { return s.name == "postgres SELECT" || s.name == "postgres UPDATE" }},
		{q: `{ name > "postgres" }`, span: func(s *tSpan) bool { return s.name > "postgres" }},
		{q: `{ name <= "HTTP POST" }`, span: func(s *tSpan) bool { return s.name <= "HTTP POST" }},
		{q: `{ status = error }`, span: isErr},
		{q: `{ span:status = error }`, span: isErr},
		{q: `{ status = ok }`, span: func(s *tSpan) bool { return s.status == 1 }},
		{q: `{ status = unset }`, span: func(s *tSpan) bool { return s.status == 0 }},
		{q: `{ status != error }`, span: func(s *tSpan) bool { return s.status != 2 }},
		{q: `{ status != nil }`, span: anySpan},
		{q: `{ statusMessage != "" }`, span: func(s *tSpan) bool { return s.statusMsg != "" }},
		{q: `{ statusMessage =~ ".+" }`, span: func(s *tSpan) bool { return s.statusMsg != "" }},
		{q: `{ span:statusMessage = "" }`, span: func(s *tSpan) bool { return s.statusMsg == "" }},
		{q: `{ kind = server }`, span: isServer},
		{q: `{ span:kind = client }`, span: isClient},
		{q: `{ kind = internal }`, span: func(s *tSpan) bool { return s.kind == 1 }},
		{q: `{ kind = producer }`, span: func(s *tSpan) bool { return s.kind == 4 }, wantEmpty: true},
		{q: `{ kind != server }`, span: func(s *tSpan) bool { return s.kind != 2 }},
		{q: `{ span:id = "a4f9243384528c5a" }`, span: func(s *tSpan) bool { return s.spanID == "a4f9243384528c5a" }},
		{q: `{ span:parentID = "a4f9243384528c5a" }`, span: func(s *tSpan) bool { return s.parentID == "a4f9243384528c5a" }},
		{q: `{ span:childCount = 0 }`, trace: func(tr *tTrace) []*tSpan {
			return spansWhere(tr, func(s *tSpan) bool {
				for _, o := range tr.spans {
					if o.parentID == s.spanID {
						return false
					}
				}
				return true
			})
		}},
		{q: `{ span:childCount > 3 }`, trace: func(tr *tTrace) []*tSpan {
			return spansWhere(tr, func(s *tSpan) bool {
				n := 0
				for _, o := range tr.spans {
					if o.parentID == s.spanID {
						n++
					}
				}
				return n > 3
			})
		}},
		{q: `{ nestedSetParent = -1 }`, span: func(s *tSpan) bool { return s.parentID == "" }},
		{q: `{ nestedSetParent != -1 }`, span: func(s *tSpan) bool { return s.parentID != "" }},
		{q: `{ nestedSetLeft = 1 }`, span: func(s *tSpan) bool { return s.tr.root == s }},
		{q: `{ nestedSetRight - nestedSetLeft = 1 }`, trace: func(tr *tTrace) []*tSpan { // leaves
			return spansWhere(tr, func(s *tSpan) bool {
				for _, o := range tr.spans {
					if o.parentID == s.spanID {
						return false
					}
				}
				return tr.connected(s)
			})
		}},
		// trace-level intrinsics: same value on every span
		{q: `{ rootName = "POST /api/checkout" }`, span: func(s *tSpan) bool { return s.tr.root != nil && s.tr.root.name == "POST /api/checkout" }},
		{q: `{ trace:rootName = "POST /api/checkout" }`, span: func(s *tSpan) bool { return s.tr.root != nil && s.tr.root.name == "POST /api/checkout" }},
		{q: `{ rootServiceName = "frontend" }`, span: func(s *tSpan) bool { return s.tr.root != nil && s.tr.root.svc == "frontend" }},
		{q: `{ trace:rootService = "frontend" && kind = server }`, span: func(s *tSpan) bool { return s.tr.root != nil && s.tr.root.svc == "frontend" && isServer(s) }},
		{q: `{ traceDuration > 10ms }`, span: func(s *tSpan) bool { return s.tr.end-s.tr.start > 10*ms }},
		{q: `{ trace:duration < 5ms }`, span: func(s *tSpan) bool { return s.tr.end-s.tr.start < 5*ms }},
		{q: `{ trace:id = "a6f8921c7b464e22e63337b4429e35b5" }`, span: func(s *tSpan) bool { return s.traceID == "a6f8921c7b464e22e63337b4429e35b5" }, wantEmpty: true},
		{q: `{ event:name = "exception" }`, span: func(s *tSpan) bool { return hasEvent(s, func(e tEvent) bool { return e.name == "exception" }) }},
		{q: `{ event:name = "cache.lookup" }`, span: func(s *tSpan) bool { return hasEvent(s, func(e tEvent) bool { return e.name == "cache.lookup" }) }},
		{q: `{ event:name != "exception" }`, span: func(s *tSpan) bool { return hasEvent(s, func(e tEvent) bool { return e.name != "exception" }) }},
		{q: `{ event.exception.type = nil }`, span: func(s *tSpan) bool {
			return !hasEvent(s, func(e tEvent) bool { _, ok := e.attrs["exception.type"]; return ok })
		}},
		{q: `{ event:timeSinceStart > 100us }`, span: func(s *tSpan) bool { return hasEvent(s, func(e tEvent) bool { return e.time-s.start > 100000 }) }},
		{q: `{ event.exception.type != nil }`, span: func(s *tSpan) bool {
			return hasEvent(s, func(e tEvent) bool { _, ok := e.attrs["exception.type"]; return ok })
		}},
		{q: `{ event.cache.hit = true }`, span: func(s *tSpan) bool { return hasEvent(s, func(e tEvent) bool { return e.attrs["cache.hit"] == true }) }},
		{q: `{ event.cache.hit = false }`, span: func(s *tSpan) bool { return hasEvent(s, func(e tEvent) bool { return e.attrs["cache.hit"] == false }) }},
		{q: `{ event.exception.message =~ ".*" }`, span: func(s *tSpan) bool {
			return hasEvent(s, func(e tEvent) bool { _, ok := asStr(e.attrs["exception.message"]); return ok })
		}},
		{q: `{ .cache.hit = true }`, span: func(s *tSpan) bool { return uattr(s, "cache.hit") == true }, wantEmpty: true}, // unscoped ignores events
		{q: `{ link:traceID != nil }`, span: func(s *tSpan) bool { return len(s.links) > 0 }},
		{q: `{ link:spanID =~ "[0-9a-f]{16}" }`, span: func(s *tSpan) bool { return len(s.links) > 0 }},
		{q: `{ link.link.reason != nil }`, span: func(s *tSpan) bool {
			return hasLink(s, func(l tLink) bool { _, ok := l.attrs["link.reason"]; return ok })
		}},
		{q: `{ link.reason != nil }`, span: func(s *tSpan) bool { return hasLink(s, func(l tLink) bool { _, ok := l.attrs["reason"]; return ok }) }, wantEmpty: true},
		{q: `{ link.reason = "nope-no-such" }`, span: func(s *tSpan) bool { return false }, wantEmpty: true},
		{q: `{ instrumentation:name = "shop/app" }`, span: func(s *tSpan) bool { return s.scopeName == "shop/app" }},
		{q: `{ instrumentation:name =~ "github.com/.*" }`, span: func(s *tSpan) bool { return strings.HasPrefix(s.scopeName, "github.com/") }},
		{q: `{ instrumentation:version = "0.49.0" }`, span: func(s *tSpan) bool { return s.scopeVersion == "0.49.0" }},
		{q: `{ instrumentation.language = "java" }`, span: func(s *tSpan) bool { return isStr(s.scopeAttrs["language"], "java") }, wantEmpty: true},
		{q: `{ instrumentation.language = nil }`, span: func(s *tSpan) bool { _, ok := s.scopeAttrs["language"]; return !ok }},

		// --- scopes ---
		{q: `{ resource.service.name = "checkout" }`, span: svcIs("checkout")},
		{q: `{ resource.service.name != "checkout" }`, span: func(s *tSpan) bool { v, ok := asStr(rattr(s, "service.name")); return ok && v != "checkout" }},
		{q: `{ .service.name = "checkout" }`, span: svcIs("checkout")},
		{q: `{ span.service.name = "checkout" }`, span: func(s *tSpan) bool { return isStr(sattr(s, "service.name"), "checkout") }, wantEmpty: true},
		{q: `{ resource.k8s.pod.name =~ "db-.*" }`, span: func(s *tSpan) bool { v, _ := asStr(rattr(s, "k8s.pod.name")); return full("db-.*").MatchString(v) }},
		{q: `{ resource.deployment.environment = "prod" }`, span: func(s *tSpan) bool { return isStr(rattr(s, "deployment.environment"), "prod") }},
		{q: `{ span.http.method = "GET" }`, span: func(s *tSpan) bool { return isStr(sattr(s, "http.method"), "GET") }},
		{q: `{ .http.method = "GET" }`, span: func(s *tSpan) bool { return isStr(uattr(s, "http.method"), "GET") }},
		{q: `{ resource.http.method = "GET" }`, span: func(s *tSpan) bool { return isStr(rattr(s, "http.method"), "GET") }, wantEmpty: true},
		{q: `{ span."http.method" = "GET" }`, span: func(s *tSpan) bool { return isStr(sattr(s, "http.method"), "GET") }},
		{q: `{ span.http."method" = "GET" }`, span: func(s *tSpan) bool { return isStr(sattr(s, "http.method"), "GET") }},
		{q: `{ resource."service.name" = "db" }`, span: svcIs("db")},
		{q: `{ span."no such attr" = "x" }`, span: func(*tSpan) bool { return false }, wantEmpty: true},

		// --- missing attributes and != ---
		{q: `{ span.nope != "x" }`, span: func(*tSpan) bool { return false }, wantEmpty: true},
		{q: `{ span.nope = nil }`, span: anySpan},
		{q: `{ span.nope != nil }`, span: func(*tSpan) bool { return false }, wantEmpty: true},
		{q: `{ .http.method != "POST" }`, span: func(s *tSpan) bool { v, ok := asStr(uattr(s, "http.method")); return ok && v != "POST" }},
		{q: `{ span.http.url = nil }`, span: func(s *tSpan) bool { _, ok := s.attrs["http.url"]; return !ok }},
		{q: `{ span.http.url != nil }`, span: func(s *tSpan) bool { _, ok := s.attrs["http.url"]; return ok }},
		{q: `{ span.db.system != "postgresql" }`, span: func(s *tSpan) bool { v, ok := asStr(sattr(s, "db.system")); return ok && v != "postgresql" }, wantEmpty: true},
		{q: `{ span.db.system < "z" }`, span: func(s *tSpan) bool { v, ok := asStr(sattr(s, "db.system")); return ok && v < "z" }},
		{q: `{ !(span.db.system = "postgresql") }`, span: func(s *tSpan) bool { return !isStr(sattr(s, "db.system"), "postgresql") }},
		{q: `{ span.nope > 1 }`, span: func(*tSpan) bool { return false }, wantEmpty: true},
		{q: `{ span.nope =~ ".*" }`, span: func(*tSpan) bool { return false }, wantEmpty: true},
		{q: `{ span.nope !~ "x" }`, span: func(*tSpan) bool { return false }, wantEmpty: true},

		// --- numbers, type mismatches ---
		{q: `{ span.http.status_code >= 500 }`, span: func(s *tSpan) bool { n, ok := asInt(sattr(s, "http.status_code")); return ok && n >= 500 }},
		{q: `{ span.http.status_code = 200 }`, span: func(s *tSpan) bool { n, ok := asInt(sattr(s, "http.status_code")); return ok && n == 200 }},
		{q: `{ span.http.status_code = 200.0 }`, span: func(s *tSpan) bool { n, ok := asInt(sattr(s, "http.status_code")); return ok && n == 200 }},
		{q: `{ span.http.status_code = "200" }`, span: func(*tSpan) bool { return false }, wantEmpty: true},
		{q: `{ span.http.status_code != "200" }`, span: func(*tSpan) bool { return false }, wantEmpty: true},
		{q: `{ span.http.status_code >= "200" }`, span: func(*tSpan) bool { return false }, wantEmpty: true},
		{q: `{ span.http.method = 1 }`, span: func(*tSpan) bool { return false }, wantEmpty: true},
		{q: `{ span.http.status_code != 200 }`, span: func(s *tSpan) bool { n, ok := asInt(sattr(s, "http.status_code")); return ok && n != 200 }},
		{q: `{ span.http.status_code > 200 && span.http.status_code < 503 }`, span: func(s *tSpan) bool { n, ok := asInt(sattr(s, "http.status_code")); return ok && n > 200 && n < 503 }},
		{q: `{ span.app.order.amount > 500 }`, span: func(s *tSpan) bool { f, ok := asNum(sattr(s, "app.order.amount")); return ok && f > 500 }},
		{q: `{ span.app.order.amount > 500.5 }`, span: func(s *tSpan) bool { f, ok := asNum(sattr(s, "app.order.amount")); return ok && f > 500.5 }},
		{q: `{ span.app.order.amount <= 100 }`, span: func(s *tSpan) bool { f, ok := asNum(sattr(s, "app.order.amount")); return ok && f <= 100 }},
		{q: `{ span.app.order.items = 3 }`, span: func(s *tSpan) bool { n, ok := asInt(sattr(s, "app.order.items")); return ok && n == 3 }},
		{q: `{ span.app.order.items = 3.0 }`, span: func(s *tSpan) bool { n, ok := asInt(sattr(s, "app.order.items")); return ok && n == 3 }},
		{q: `{ span.app.order.items % 2 = 0 }`, span: func(s *tSpan) bool { n, ok := asInt(sattr(s, "app.order.items")); return ok && n%2 == 0 }},
		{q: `{ span.app.order.items * 2 > 7 }`, span: func(s *tSpan) bool { n, ok := asInt(sattr(s, "app.order.items")); return ok && n*2 > 7 }},
		{q: `{ span.app.order.items ^ 2 > 4 }`, span: func(s *tSpan) bool { n, ok := asInt(sattr(s, "app.order.items")); return ok && n*n > 4 }},
		{q: `{ span.app.order.items / 2 = 1 }`, span: func(s *tSpan) bool { n, ok := asInt(sattr(s, "app.order.items")); return ok && n/2 == 1 }},
		{q: `{ span.app.order.items + 1 = span.app.order.items + 1 }`, span: func(s *tSpan) bool { _, ok := asInt(sattr(s, "app.order.items")); return ok }},
		{q: `{ span.app.order.items - 10 < -5 }`, span: func(s *tSpan) bool { n, ok := asInt(sattr(s, "app.order.items")); return ok && n-10 < -5 }},
		{q: `{ span.net.peer.port = 5432 }`, span: func(s *tSpan) bool { n, ok := asInt(sattr(s, "net.peer.port")); return ok && n == 5432 }},
		{q: `{ span.db.rows_affected > 10 * 2 }`, span: func(s *tSpan) bool { n, ok := asInt(sattr(s, "db.rows_affected")); return ok && n > 20 }},
		{q: `{ span.app.user.premium = true }`, span: func(s *tSpan) bool { return sattr(s, "app.user.premium") == true }},
		{q: `{ span.app.user.premium = false }`, span: func(s *tSpan) bool { return sattr(s, "app.user.premium") == false }},
		{q: `{ span.app.user.premium != true }`, span: func(s *tSpan) bool { return sattr(s, "app.user.premium") == false }},
		{q: `{ span.app.user.premium = "true" }`, span: func(*tSpan) bool { return false }, wantEmpty: true},
		{q: `{ span.app.user.premium }`, span: func(s *tSpan) bool { return sattr(s, "app.user.premium") == true }},
		{q: `{ span.app.cart.items >= 2 && span.app.user.premium = true }`, span: func(s *tSpan) bool {
			n, ok := asInt(sattr(s, "app.cart.items"))
			return ok && n >= 2 && sattr(s, "app.user.premium") == true
		}},
		{q: `{ span.http.status_code = 200 && span.http.method = "GET" }`, span: func(s *tSpan) bool {
			n, ok := asInt(sattr(s, "http.status_code"))
			return ok && n == 200 && isStr(sattr(s, "http.method"), "GET")
		}},

		// --- regex anchoring ---
		{q: `{ span.http.url =~ "http://cart.*" }`, span: func(s *tSpan) bool { v, _ := asStr(sattr(s, "http.url")); return strings.HasPrefix(v, "http://cart") }},
		{q: `{ span.http.url =~ "cart" }`, span: func(s *tSpan) bool { return isStr(sattr(s, "http.url"), "cart") }, wantEmpty: true},
		{q: `{ span.http.url !~ "http://cart.*" }`, span: func(s *tSpan) bool {
			v, ok := asStr(sattr(s, "http.url"))
			return ok && !strings.HasPrefix(v, "http://cart")
		}},
		{q: `{ span.db.system =~ "postgres|mysql" }`, span: func(s *tSpan) bool { return isStr(sattr(s, "db.system"), "postgres") }, wantEmpty: true},
		{q: `{ span.db.system =~ "postgres.*|mysql" }`, span: func(s *tSpan) bool { v, _ := asStr(sattr(s, "db.system")); return strings.HasPrefix(v, "postgres") }},
		{q: `{ span.db.statement =~ "(?i)update.*" }`, span: func(s *tSpan) bool {
			v, _ := asStr(sattr(s, "db.statement"))
			return full("(?i)update.*").MatchString(v)
		}},
		{q: "{ span.http.route =~ `/api/.*` }", span: func(s *tSpan) bool { v, _ := asStr(sattr(s, "http.route")); return strings.HasPrefix(v, "/api/") }},
		{q: `{ span.http.status_code =~ "200" }`, span: func(*tSpan) bool { return false }, wantEmpty: true},

		// --- arrays ---
		{q: `{ span.app.feature_flags = "new-checkout" }`, span: func(s *tSpan) bool {
			ok, _ := arrAny(sattr(s, "app.feature_flags"), func(e any) bool { return e == "new-checkout" })
			return ok
		}},
		{q: `{ span.app.feature_flags != "new-checkout" }`, span: func(s *tSpan) bool {
			ok, isArr := arrAny(sattr(s, "app.feature_flags"), func(e any) bool { return e == "new-checkout" })
			return isArr && !ok
		}, wantEmpty: true}, // every array holds new-checkout: != means no element equals
		{q: `{ span.app.feature_flags != "dark-mode" }`, span: func(s *tSpan) bool {
			ok, isArr := arrAny(sattr(s, "app.feature_flags"), func(e any) bool { return e == "dark-mode" })
			return isArr && !ok
		}},
		{q: `{ span.app.feature_flags = "dark-mode" }`, span: func(s *tSpan) bool {
			ok, _ := arrAny(sattr(s, "app.feature_flags"), func(e any) bool { return e == "dark-mode" })
			return ok
		}},
		{q: `{ span.app.feature_flags =~ "beta-.*" }`, span: func(s *tSpan) bool {
			ok, _ := arrAny(sattr(s, "app.feature_flags"), func(e any) bool { v, _ := e.(string); return strings.HasPrefix(v, "beta-") })
			return ok
		}},
		{q: `{ span.app.feature_flags !~ "beta-.*" }`, span: func(s *tSpan) bool {
			ok, isArr := arrAny(sattr(s, "app.feature_flags"), func(e any) bool { v, _ := e.(string); return strings.HasPrefix(v, "beta-") })
			return isArr && !ok
		}},
		{q: `{ span.app.feature_flags > "m" }`, span: func(s *tSpan) bool {
			ok, _ := arrAny(sattr(s, "app.feature_flags"), func(e any) bool { v, _ := e.(string); return v > "m" })
			return ok
		}},
		{q: `{ span.app.feature_flags = "new-checkout" || span.app.feature_flags = "beta-search" }`, span: func(s *tSpan) bool {
			ok, _ := arrAny(sattr(s, "app.feature_flags"), func(e any) bool { return e == "new-checkout" || e == "beta-search" })
			return ok
		}},
		{q: `{ span.app.feature_flags != "new-checkout" && span.app.feature_flags != "beta-search" }`, span: func(s *tSpan) bool {
			ok, isArr := arrAny(sattr(s, "app.feature_flags"), func(e any) bool { return e == "new-checkout" || e == "beta-search" })
			return isArr && !ok
		}, wantEmpty: true},
		{q: `{ span.app.feature_flags != "x" && span.app.feature_flags != "beta-search" }`, span: func(s *tSpan) bool {
			ok, isArr := arrAny(sattr(s, "app.feature_flags"), func(e any) bool { return e == "x" || e == "beta-search" })
			return isArr && !ok
		}},
		{q: `{ span.app.feature_flags = 1 }`, span: func(*tSpan) bool { return false }, wantEmpty: true},
		{q: `{ span.app.feature_flags != nil }`, span: func(s *tSpan) bool { _, ok := s.attrs["app.feature_flags"]; return ok }},

		// --- precedence of && and || (same level, left-assoc) ---
		{q: `{ kind = server || kind = client && status = error }`, span: func(s *tSpan) bool { return (isServer(s) || isClient(s)) && isErr(s) }},
		{q: `{ kind = server || (kind = client && status = error) }`, span: func(s *tSpan) bool { return isServer(s) || (isClient(s) && isErr(s)) }},
		{q: `{ status = error && kind = server || kind = client }`, span: func(s *tSpan) bool { return (isErr(s) && isServer(s)) || isClient(s) }},
		{q: `{ (span.http.method = "GET" || span.http.method = "POST") && !(kind = server) }`, span: func(s *tSpan) bool {
			return (isStr(sattr(s, "http.method"), "GET") || isStr(sattr(s, "http.method"), "POST")) && !isServer(s)
		}},
		{q: `{ !(kind = server) }`, span: func(s *tSpan) bool { return !isServer(s) }},
		{q: `{ span.http.method = "GET" || span.db.system = "postgresql" }`, span: func(s *tSpan) bool {
			return isStr(sattr(s, "http.method"), "GET") || isStr(sattr(s, "db.system"), "postgresql")
		}},

		// --- duration literals ---
		{q: `{ duration > 1ms }`, span: func(s *tSpan) bool { return s.dur() > ms }},
		{q: `{ span:duration >= 1000us }`, span: func(s *tSpan) bool { return s.dur() >= ms }},
		{q: `{ duration > 1000µs }`, span: func(s *tSpan) bool { return s.dur() > ms }},
		{q: `{ duration < 500000ns }`, span: func(s *tSpan) bool { return s.dur() < 500000 }},
		{q: `{ duration > 0.001s }`, span: func(s *tSpan) bool { return s.dur() > ms }},
		{q: `{ duration > 1.5ms }`, span: func(s *tSpan) bool { return s.dur() > 1500000 }},
		{q: `{ duration < 1h30m }`, span: anySpan},
		{q: `{ duration > 1d }`, span: func(*tSpan) bool { return false }, wantEmpty: true},
		{q: `{ duration > 1000000 }`, span: func(s *tSpan) bool { return s.dur() > ms }},
		{q: `{ duration * 2 > 4ms }`, span: func(s *tSpan) bool { return s.dur()*2 > 4*ms }},

		// --- spanset operators ---
		{q: `{ status = error } && { kind = server }`, trace: both(where(isErr), where(isServer), true)},
		{q: `{ status = error } || { name = "fraud-check" }`, trace: both(where(isErr), where(func(s *tSpan) bool { return s.name == "fraud-check" }), false)},
		{q: `{ resource.service.name = "db" } && { resource.service.name = "payment" }`, trace: both(where(svcIs("db")), where(svcIs("payment")), true)},
		{q: `{ resource.service.name = "db" } && { resource.service.name = "nope" }`, trace: both(where(svcIs("db")), where(svcIs("nope")), true), wantEmpty: true},
		{q: `{ resource.service.name = "db" } && { resource.service.name = "payment" } || { status = error }`, trace: both(both(where(svcIs("db")), where(svcIs("payment")), true), where(isErr), false)},
		{q: `{ resource.service.name = "db" } && ({ resource.service.name = "payment" } || { status = error })`, trace: both(where(svcIs("db")), both(where(svcIs("payment")), where(isErr), false), true)},
		// a filter reading no attribute selects every span: pushdown must keep them
		{q: `{ true } || { span.nope = 1 }`, trace: both(where(anySpan), where(func(*tSpan) bool { return false }), false)},
		{q: `{ span.nope = 1 } || { 1 = 1 }`, trace: both(where(func(*tSpan) bool { return false }), where(anySpan), false)},
		{q: `{ status = error } && { true }`, trace: both(where(isErr), where(anySpan), true)},

		// --- structural ---
		{q: `{ kind = server } > { kind = client }`, trace: relation(isServer, isClient, childRel, false, false)},
		{q: `{ kind = client } > { kind = server }`, trace: relation(isClient, isServer, childRel, false, false)},
		{q: `{ kind = server } < { kind = client }`, trace: relation(isServer, isClient, parentRel, false, false)},
		{q: `{ resource.service.name = "db" } < { }`, trace: relation(svcIs("db"), anySpan, parentRel, false, false)},
		{q: `{ resource.service.name = "frontend" } >> { resource.service.name = "db" }`, trace: relation(svcIs("frontend"), svcIs("db"), descRel, false, false)},
		{q: `{ resource.service.name = "db" } << { kind = server }`, trace: relation(svcIs("db"), isServer, ancRel, false, false)},
		{q: `{ } ~ { name = "render-page" }`, trace: relation(anySpan, func(s *tSpan) bool { return s.name == "render-page" }, siblingRel, false, false)},
		{q: `{ kind = client } ~ { kind = client }`, trace: relation(isClient, isClient, siblingRel, false, false)},
		{q: `{ nestedSetParent = -1 } ~ { }`, trace: relation(func(s *tSpan) bool { return s.parentID == "" }, anySpan, siblingRel, false, false), wantEmpty: true},
		{q: `{ } !< { resource.service.name = "db" }`, trace: relation(anySpan, svcIs("db"), parentRel, true, false)},
		{q: `{ } !> { }`, trace: relation(anySpan, anySpan, childRel, true, false)},
		{q: `{ kind = server } !> { kind = client }`, trace: relation(isServer, isClient, childRel, true, false)},
		{q: `{ resource.service.name = "frontend" } !>> { resource.service.name = "db" }`, trace: relation(svcIs("frontend"), svcIs("db"), descRel, true, false), wantEmpty: true},
		{q: `{ resource.service.name = "checkout" } !>> { resource.service.name = "db" }`, trace: relation(svcIs("checkout"), svcIs("db"), descRel, true, false)},
		{q: `{ status = error } !<< { }`, trace: relation(isErr, anySpan, ancRel, true, false)},
		{q: `{ kind = client } !~ { kind = client }`, trace: relation(isClient, isClient, siblingRel, true, false)},
		{q: `{ kind = server } &> { kind = client }`, trace: relation(isServer, isClient, childRel, false, true)},
		{q: `{ kind = server } &< { kind = client }`, trace: relation(isServer, isClient, parentRel, false, true)},
		{q: `{ resource.service.name = "frontend" } &>> { resource.service.name = "db" }`, trace: relation(svcIs("frontend"), svcIs("db"), descRel, false, true)},
		{q: `{ resource.service.name = "db" } &<< { kind = server }`, trace: relation(svcIs("db"), isServer, ancRel, false, true)},
		{q: `{ kind = client } &~ { kind = internal }`, trace: relation(isClient, func(s *tSpan) bool { return s.kind == 1 }, siblingRel, false, true)},
		{q: `{ status = error } &>> { status = error }`, trace: relation(isErr, isErr, descRel, false, true)},
		{q: `{ kind = server } > { kind = client } > { kind = server }`, trace: func(tr *tTrace) []*tSpan {
			mid := relation(isServer, isClient, childRel, false, false)(tr)
			in := map[*tSpan]bool{}
			for _, s := range mid {
				in[s] = true
			}
			return relation(func(s *tSpan) bool { return in[s] }, isServer, childRel, false, false)(tr)
		}},
		{q: `{ rootServiceName = "frontend" } >> { status = error }`, trace: relation(func(s *tSpan) bool { return s.tr.root != nil && s.tr.root.svc == "frontend" }, isErr, descRel, false, false)},

		// --- pipelines ---
		{q: `{ } | { status = error }`, span: isErr},
		{q: `{ kind = server } | { resource.service.name = "checkout" }`, span: func(s *tSpan) bool { return isServer(s) && svcIs("checkout")(s) }},
		{q: `{ } | count() > 18`, trace: func(tr *tTrace) []*tSpan {
			if len(tr.spans) > 18 {
				return tr.spans
			}
			return nil
		}},
		{q: `{ status = error } | count() >= 2`, trace: func(tr *tTrace) []*tSpan {
			if e := spansWhere(tr, isErr); len(e) >= 2 {
				return e
			}
			return nil
		}},
		{q: `count() >= 20`, trace: func(tr *tTrace) []*tSpan {
			if len(tr.spans) >= 20 {
				return tr.spans
			}
			return nil
		}},
		{q: `{ } | avg(duration) > 2ms`, trace: func(tr *tTrace) []*tSpan {
			var sum uint64
			for _, s := range tr.spans {
				sum += s.dur()
			}
			if float64(sum)/float64(len(tr.spans)) > float64(2*ms) {
				return tr.spans
			}
			return nil
		}},
		{q: `{ } | max(duration) > 10ms`, trace: func(tr *tTrace) []*tSpan {
			for _, s := range tr.spans {
				if s.dur() > 10*ms {
					return tr.spans
				}
			}
			return nil
		}},
		{q: `{ } | min(duration) < 100us`, trace: func(tr *tTrace) []*tSpan {
			for _, s := range tr.spans {
				if s.dur() < 100000 {
					return tr.spans
				}
			}
			return nil
		}},
		{q: `{ } | sum(span.app.order.items) >= 4`, trace: func(tr *tTrace) []*tSpan {
			var sum int64
			for _, s := range tr.spans {
				if n, ok := asInt(sattr(s, "app.order.items")); ok {
					sum += n
				}
			}
			if sum >= 4 {
				return tr.spans
			}
			return nil
		}},
		{q: `{ span.app.order.amount != nil } | avg(span.app.order.amount) > 500`, trace: func(tr *tTrace) []*tSpan {
			var sum float64
			ss := spansWhere(tr, func(s *tSpan) bool { _, ok := s.attrs["app.order.amount"]; return ok })
			for _, s := range ss {
				f, _ := asNum(sattr(s, "app.order.amount"))
				sum += f
			}
			if len(ss) > 0 && sum/float64(len(ss)) > 500 {
				return ss
			}
			return nil
		}},
		{q: `{ } | by(resource.service.name) | count() > 5`, trace: func(tr *tTrace) []*tSpan {
			groups := map[string][]*tSpan{}
			for _, s := range tr.spans {
				groups[s.svc] = append(groups[s.svc], s)
			}
			var out []*tSpan
			for _, g := range groups {
				if len(g) > 5 {
					out = append(out, g...)
				}
			}
			return out
		}},
		{q: `{ } | by(span.http.method) | coalesce()`, span: anySpan},
		{q: `{ status = error } | select(span.http.url, resource.service.name)`, span: isErr},
		{q: `({ resource.service.name = "db" } | count() > 2) && { status = error }`, trace: func(tr *tTrace) []*tSpan {
			db := spansWhere(tr, svcIs("db"))
			e := spansWhere(tr, isErr)
			if len(db) > 2 && len(e) > 0 {
				return append(db, e...)
			}
			return nil
		}},
		{q: `{ } >> { resource.service.name = "db" } | count() > 3`, trace: func(tr *tTrace) []*tSpan {
			r := relation(anySpan, svcIs("db"), descRel, false, false)(tr)
			if len(r) > 3 {
				return r
			}
			return nil
		}},
		{q: `{ status = error } with (most_recent=true)`, span: isErr},
		{q: "// comment\n{ /* inline */ status = error }", span: isErr},
	}

	// generated families: every service by scope spelling, operators on durations
	for _, svc := range []string{"frontend", "cart", "checkout", "payment", "db"} {
		svc := svc
		cs = append(cs,
			ccase{q: fmt.Sprintf(`{ resource.service.name = %q }`, svc), span: svcIs(svc)},
			ccase{q: fmt.Sprintf(`{ .service.name = %q && kind = server }`, svc), span: func(s *tSpan) bool { return svcIs(svc)(s) && isServer(s) }},
			ccase{q: fmt.Sprintf(`{ resource.service.name = %q } > { resource.service.name != %q }`, svc, svc),
				trace:     relation(svcIs(svc), func(s *tSpan) bool { v, ok := asStr(rattr(s, "service.name")); return ok && v != svc }, childRel, false, false),
				wantEmpty: svc == "db"},
		)
	}
	for _, d := range []uint64{100000, 500000, 2 * ms, 5 * ms} {
		d := d
		lit := fmt.Sprintf("%dus", d/1000)
		cs = append(cs,
			ccase{q: "{ duration > " + lit + " }", span: func(s *tSpan) bool { return s.dur() > d }},
			ccase{q: "{ duration >= " + lit + " }", span: func(s *tSpan) bool { return s.dur() >= d }},
			ccase{q: "{ duration < " + lit + " }", span: func(s *tSpan) bool { return s.dur() < d }},
			ccase{q: "{ duration <= " + lit + " && kind = client }", span: func(s *tSpan) bool { return s.dur() <= d && isClient(s) }},
		)
	}
	for _, m := range []string{"GET", "POST"} {
		m := m
		cs = append(cs,
			ccase{q: fmt.Sprintf(`{ span.http.method = %q && span.http.status_code = 200 }`, m), span: func(s *tSpan) bool {
				n, ok := asInt(sattr(s, "http.status_code"))
				return isStr(sattr(s, "http.method"), m) && ok && n == 200
			}},
			ccase{q: fmt.Sprintf(`{ span.http.method != %q }`, m), span: func(s *tSpan) bool { v, ok := asStr(sattr(s, "http.method")); return ok && v != m }},
		)
	}
	return cs
}

type result map[string]map[string]bool

func runSearch(t *testing.T, f Fetcher, q string) (result, *SearchResponse) {
	t.Helper()
	resp, err := NewEngine().ExecuteSearch(context.Background(), q, f, SearchOptions{Limit: 1 << 30})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	got := result{}
	for _, tr := range resp.Traces {
		m := map[string]bool{}
		for _, ss := range tr.SpanSets {
			for _, s := range ss.Spans {
				m[s.SpanID] = true
			}
		}
		got[tr.TraceID] = m
	}
	return got, resp
}

func expected(traces []*tTrace, c ccase) result {
	want := result{}
	for _, tr := range traces {
		var spans []*tSpan
		if c.span != nil {
			spans = spansWhere(tr, c.span)
		} else {
			spans = c.trace(tr)
		}
		if len(spans) == 0 {
			continue
		}
		m := map[string]bool{}
		for _, s := range spans {
			m[s.spanID] = true
		}
		want[strings.TrimLeft(tr.id, "0")] = m
	}
	return want
}

func diff(want, got result) string {
	var out []string
	for id, ws := range want {
		gs, ok := got[id]
		if !ok {
			out = append(out, "missing trace "+id)
			continue
		}
		for s := range ws {
			if !gs[s] {
				out = append(out, "trace "+id+": missing span "+s)
			}
		}
		for s := range gs {
			if !ws[s] {
				out = append(out, "trace "+id+": unexpected span "+s)
			}
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			out = append(out, "unexpected trace "+id)
		}
	}
	sort.Strings(out)
	if len(out) > 8 {
		out = append(out[:8], fmt.Sprintf("… %d more", len(out)-8))
	}
	return strings.Join(out, "\n")
}

func TestConformance(t *testing.T) {
	traces, f := fixture(t)
	cases := conformanceCases()
	if len(cases) < 150 {
		t.Fatalf("only %d conformance cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.q, func(t *testing.T) {
			want := expected(traces, c)
			if (len(want) == 0) != c.wantEmpty {
				t.Fatalf("oracle gives %d traces but wantEmpty=%v: fix the case", len(want), c.wantEmpty)
			}
			got, _ := runSearch(t, f, c.q)
			if d := diff(want, got); d != "" {
				t.Errorf("%s\n%s", c.q, d)
			}
		})
	}
}
