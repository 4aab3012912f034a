// Package tracegen generates random but valid traces for tests and load: every
// attribute type, events, links, status, kinds, scopes, trace state and
// dropped counts, from a seed so failures reproduce.
package tracegen

import (
	"fmt"
	"math/rand/v2"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
)

// Config shapes generated traces.
type Config struct {
	MinSpans, MaxSpans int    // per trace; default 1..30
	Start              uint64 // unix ns of the first trace; default 2026-11-23T00:00:00Z
	// Spread is how far apart trace starts are, in ns (default 1s).
	Spread uint64
	// Services to draw from (default 6).
	Services int
	// Exotic adds kvlists, bytes, mixed arrays, empty values, links, trace
	// state and dropped counts (default on in New).
	Exotic bool
	// DB gives database spans (the "SELECT orders" operation) the database
	// attributes of the OpenTelemetry conventions (db.system.name,
	// db.query.text, …) and client kind, in place of the HTTP ones.
	DB bool
	// Shapes makes each trace's tree, at random, a chain (every span the
	// child of the one before: as deep as the trace has spans), a fan-out
	// (every span a child of the root: as wide) or a random tree. Without
	// it every tree is random (each span a child of an earlier one).
	Shapes bool
}

// Tree shapes with Config.Shapes.
const (
	shapeRandom = iota
	shapeDeep
	shapeWide
	nShapes
)

// dbOp is the database operation among ops.
const dbOp = "SELECT orders"

// Generator makes traces.
type Generator struct {
	cfg Config
	rnd *rand.Rand
	n   uint64
}

// New returns a generator seeded with seed.
func New(seed uint64, cfg Config) *Generator {
	if cfg.MaxSpans <= 0 {
		cfg.MinSpans, cfg.MaxSpans = 1, 30
	}
	if cfg.MinSpans <= 0 {
		cfg.MinSpans = 1
	}
	if cfg.Start == 0 {
		cfg.Start = 1795392000_000000000
	}
	if cfg.Spread == 0 {
		cfg.Spread = 1e9
	}
	if cfg.Services <= 0 {
		cfg.Services = 6
	}
	return &Generator{cfg: cfg, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

var (
	ops     = []string{"GET /api/cart", "POST /api/checkout", "SELECT orders", "publish order.created", "charge", "render", "cache.get"}
	methods = []string{"GET", "POST", "PUT", "DELETE"}
)

// TraceID returns a random trace ID.
func (g *Generator) TraceID() model.TraceID {
	var id model.TraceID
	for i := range id {
		id[i] = byte(g.rnd.UintN(256))
	}
	return id
}

// Trace returns the next trace: one root and a random tree of children spread
// over several services.
func (g *Generator) Trace() (model.TraceID, ptrace.Traces) {
	id := g.TraceID()
	start := g.cfg.Start + g.n*g.cfg.Spread + g.rnd.Uint64N(g.cfg.Spread)
	g.n++
	td := ptrace.NewTraces()
	nSpans := g.cfg.MinSpans + g.rnd.IntN(g.cfg.MaxSpans-g.cfg.MinSpans+1)

	shape := shapeRandom
	if g.cfg.Shapes {
		shape = g.rnd.IntN(nShapes)
	}
	services := map[int]ptrace.SpanSlice{}
	var ids []pcommon.SpanID
	var starts []uint64
	for i := 0; i < nSpans; i++ {
		s := g.rnd.IntN(g.cfg.Services)
		sl, ok := services[s]
		if !ok {
			sl = g.resource(td, s)
			services[s] = sl
		}
		sp := sl.AppendEmpty()
		var sid pcommon.SpanID
		for j := range sid {
			sid[j] = byte(g.rnd.UintN(256))
		}
		sid[0] |= 1 // never the empty ID
		sp.SetTraceID(pcommon.TraceID(id))
		sp.SetSpanID(sid)
		st := start
		if i > 0 {
			var p int
			switch shape {
			case shapeDeep:
				p = i - 1
			case shapeWide:
				p = 0
			default:
				p = g.rnd.IntN(i)
			}
			sp.SetParentSpanID(ids[p])
			st = starts[p] + g.rnd.Uint64N(5e6)
		}
		ids, starts = append(ids, sid), append(starts, st)
		name := ops[g.rnd.IntN(len(ops))]
		db := g.cfg.DB && name == dbOp
		sp.SetName(name)
		sp.SetKind(ptrace.SpanKind(g.rnd.IntN(6)))
		if db {
			sp.SetKind(ptrace.SpanKindClient)
		}
		sp.SetStartTimestamp(pcommon.Timestamp(st))
		sp.SetEndTimestamp(pcommon.Timestamp(st + 1000 + g.rnd.Uint64N(2e8)))
		switch g.rnd.IntN(5) {
		case 0:
			sp.Status().SetCode(ptrace.StatusCodeError)
			sp.Status().SetMessage("boom")
		case 1:
			sp.Status().SetCode(ptrace.StatusCodeOk)
		}
		if db {
			g.dbAttrs(sp.Attributes())
		} else {
			g.spanAttrs(sp.Attributes())
		}
		for e := g.rnd.IntN(3); e > 0; e-- {
			ev := sp.Events().AppendEmpty()
			ev.SetName("event")
			ev.SetTimestamp(pcommon.Timestamp(st + g.rnd.Uint64N(1000)))
			ev.Attributes().PutStr("exception.message", "x")
			if g.cfg.Exotic {
				ev.Attributes().PutInt("n", g.rnd.Int64())
				ev.SetDroppedAttributesCount(uint32(g.rnd.IntN(2)))
			}
		}
		if g.cfg.Exotic {
			if g.rnd.IntN(4) == 0 {
				l := sp.Links().AppendEmpty()
				l.SetTraceID(pcommon.TraceID(g.TraceID()))
				l.SetSpanID(sid)
				l.TraceState().FromRaw("k=v")
				l.Attributes().PutStr("opentracing.ref_type", "follows_from")
				l.SetDroppedAttributesCount(1)
			}
			if g.rnd.IntN(5) == 0 {
				sp.TraceState().FromRaw("vendor=abc,other=1")
			}
			sp.SetDroppedAttributesCount(uint32(g.rnd.IntN(2)))
			sp.SetDroppedEventsCount(uint32(g.rnd.IntN(2)))
			sp.SetDroppedLinksCount(uint32(g.rnd.IntN(2)))
		}
	}
	return id, td
}

func (g *Generator) resource(td ptrace.Traces, s int) ptrace.SpanSlice {
	rs := td.ResourceSpans().AppendEmpty()
	a := rs.Resource().Attributes()
	a.PutStr("service.name", fmt.Sprintf("svc-%d", s))
	a.PutStr("k8s.namespace.name", "shop")
	a.PutStr("k8s.pod.name", fmt.Sprintf("svc-%d-%x", s, g.rnd.UintN(4)))
	a.PutStr("cluster", "eu-1")
	a.PutInt("host.cpus", int64(2+g.rnd.IntN(4)))
	if g.cfg.Exotic {
		a.PutEmptySlice("process.command_args").FromRaw([]any{"app", "-v"})
		rs.Resource().SetDroppedAttributesCount(uint32(g.rnd.IntN(2)))
	}
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("tracegen")
	ss.Scope().SetVersion("1.0")
	if g.cfg.Exotic {
		ss.Scope().Attributes().PutBool("sampled", true)
		ss.Scope().SetDroppedAttributesCount(uint32(g.rnd.IntN(2)))
	}
	return ss.Spans()
}

// dbAttrs are a database client span's attributes.
func (g *Generator) dbAttrs(a pcommon.Map) {
	sys := []string{"postgresql", "mysql"}[g.rnd.IntN(2)]
	a.PutStr("db.system.name", sys)
	a.PutStr("db.namespace", "shop")
	a.PutStr("db.operation.name", "SELECT")
	a.PutStr("db.collection.name", "orders")
	a.PutStr("db.query.text", "SELECT id, status, total FROM orders WHERE customer_id = ? LIMIT 20")
	a.PutInt("db.response.returned_rows", int64(g.rnd.IntN(21)))
	a.PutStr("server.address", sys+".shop.svc.cluster.local")
}

func (g *Generator) spanAttrs(a pcommon.Map) {
	a.PutStr("http.request.method", methods[g.rnd.IntN(len(methods))])
	a.PutInt("http.response.status_code", int64([]int{200, 201, 404, 500}[g.rnd.IntN(4)]))
	a.PutStr("url.path", fmt.Sprintf("/api/items/%d", g.rnd.IntN(100)))
	a.PutStr("http.method", methods[g.rnd.IntN(len(methods))])
	a.PutInt("http.status_code", 200)
	a.PutDouble("load", g.rnd.Float64())
	a.PutBool("cache.hit", g.rnd.IntN(2) == 0)
	if !g.cfg.Exotic {
		return
	}
	a.PutEmptySlice("tags").FromRaw([]any{"a", "b", "c"})
	a.PutEmptySlice("ints").FromRaw([]any{int64(1), int64(2)})
	a.PutEmptySlice("floats").FromRaw([]any{1.5, -2.25})
	a.PutEmptySlice("bools").FromRaw([]any{true, false})
	a.PutEmptySlice("empty")
	a.PutEmptySlice("mixed").FromRaw([]any{"a", int64(1)})
	a.PutEmptyMap("kv").FromRaw(map[string]any{"a": "b", "n": int64(3), "nested": map[string]any{"x": 1.25}})
	a.PutEmptyBytes("raw").FromRaw([]byte{1, 2, 3})
	a.PutEmpty("unset")
	a.PutStr("unicode", "żółw \"q\" \n\t\x01 <>&")
	// Dedicated slots holding arrays of ≥2 values round-trip exactly.
	a.PutEmptySlice("url.route").FromRaw([]any{"/a", "/b"})
	a.PutEmptySlice("server.port").FromRaw([]any{int64(80), int64(443)})
	a.PutDouble("server.address", 1.5) // wrong type for its string slot: stays generic
}
