package vparquet

import (
	"fmt"
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tempoctl/tempoctl/storage/backend"
)

// Dedicated-column scopes and types as written in meta.json ("" = default).
const (
	ScopeResource = "resource"
	ScopeSpan     = "span"
	ScopeEvent    = "event"
	TypeString    = "string"
	TypeInt       = "int"
	OptionBlob    = "blob"
	OptionArray   = "array"
)

// Slot is where one dedicated attribute lives.
type Slot struct {
	Name  string
	Index int // 0-based: String01 is 0
	Int   bool
	Blob  bool
}

// Column is the leaf name, e.g. "String03".
func (s Slot) Column() string {
	if s.Int {
		return fmt.Sprintf("Int%02d", s.Index+1)
	}
	return fmt.Sprintf("String%02d", s.Index+1)
}

// ScopeSlots are a scope's slots in meta order.
type ScopeSlots []Slot

// Find returns the slot for key.
func (ss ScopeSlots) Find(key string) (Slot, bool) {
	for _, s := range ss {
		if s.Name == key {
			return s, true
		}
	}
	return Slot{}, false
}

// Assignment maps dedicated attributes to slots for one block (spec §8.2).
type Assignment struct {
	Resource, Span, Event ScopeSlots
	// ScalarOnly: only scalar values go to slots (vParquet4); otherwise
	// homogeneous arrays do too (vParquet5).
	ScalarOnly bool
}

// Limits bounds the slots per scope and type.
type Limits struct {
	Strings, Ints int
	Scopes        []string // scopes that have slots
	AllowOptions  bool
	Reserved      map[string]bool // names that can never be dedicated (vParquet4 well-known columns)
}

// NormScope returns the scope with its default filled in.
func NormScope(s string) string {
	if s == "" {
		return ScopeSpan
	}
	return s
}

// NormType returns the type with its default filled in.
func NormType(t string) string {
	if t == "" {
		return TypeString
	}
	return t
}

// Validate reports configuration errors in a dedicated-column list.
func Validate(dc backend.DedicatedColumns) error {
	seen := map[string]bool{}
	for i, c := range dc {
		if c.Name == "" {
			return fmt.Errorf("dedicated column %d: empty name", i)
		}
		sc, ty := NormScope(c.Scope), NormType(c.Type)
		switch sc {
		case ScopeResource, ScopeSpan, ScopeEvent:
		default:
			return fmt.Errorf("dedicated column %q: unknown scope %q (resource, span, event)", c.Name, c.Scope)
		}
		switch ty {
		case TypeString, TypeInt:
		default:
			return fmt.Errorf("dedicated column %q: unknown type %q (string, int)", c.Name, c.Type)
		}
		for _, o := range c.Options {
			if o != OptionBlob && o != OptionArray {
				return fmt.Errorf("dedicated column %q: unknown option %q (array, blob)", c.Name, o)
			}
		}
		k := sc + "/" + c.Name
		if seen[k] {
			return fmt.Errorf("dedicated column %q: duplicate in scope %s", c.Name, sc)
		}
		seen[k] = true
	}
	return nil
}

// Filter keeps the entries a version can store, in order: what a new block's
// meta records.
func Filter(dc backend.DedicatedColumns, l Limits) backend.DedicatedColumns {
	var out backend.DedicatedColumns
	for _, c := range dc {
		if !slices.Contains(l.Scopes, NormScope(c.Scope)) || l.Reserved[c.Name] {
			continue
		}
		if NormType(c.Type) == TypeInt && l.Ints == 0 {
			continue
		}
		if len(c.Options) > 0 && !l.AllowOptions {
			continue
		}
		out = append(out, c)
	}
	return out
}

// Assign derives slots from a block's dedicated-column list. Entries past the
// last slot of their scope and type are ignored.
func Assign(dc backend.DedicatedColumns, l Limits) *Assignment {
	a := &Assignment{ScalarOnly: l.Ints == 0}
	type key struct{ scope, typ string }
	next := map[key]int{}
	for _, c := range dc {
		sc, ty := NormScope(c.Scope), NormType(c.Type)
		if !slices.Contains(l.Scopes, sc) || l.Reserved[c.Name] {
			continue
		}
		if len(c.Options) > 0 && !l.AllowOptions {
			continue
		}
		limit := l.Strings
		if ty == TypeInt {
			limit = l.Ints
		}
		k := key{sc, ty}
		i := next[k]
		if i >= limit {
			continue
		}
		next[k] = i + 1
		s := Slot{Name: c.Name, Index: i, Int: ty == TypeInt, Blob: slices.Contains(c.Options, OptionBlob)}
		switch sc {
		case ScopeResource:
			a.Resource = append(a.Resource, s)
		case ScopeSpan:
			a.Span = append(a.Span, s)
		case ScopeEvent:
			a.Event = append(a.Event, s)
		}
	}
	return a
}

// put stores v in its slot when the type fits, reporting whether it did.
func (a *Assignment) put(d *DedicatedAttributes, s Slot, v pcommon.Value) bool {
	if s.Int {
		switch v.Type() {
		case pcommon.ValueTypeInt:
			*d.Int(s.Index) = []int64{v.Int()}
			return true
		case pcommon.ValueTypeSlice:
			if a.ScalarOnly {
				return false
			}
			sl := v.Slice()
			out := make([]int64, 0, sl.Len())
			for i := 0; i < sl.Len(); i++ {
				if sl.At(i).Type() != pcommon.ValueTypeInt {
					return false
				}
				out = append(out, sl.At(i).Int())
			}
			*d.Int(s.Index) = out
			return true
		}
		return false
	}
	switch v.Type() {
	case pcommon.ValueTypeStr:
		*d.Str(s.Index) = []string{v.Str()}
		return true
	case pcommon.ValueTypeSlice:
		if a.ScalarOnly {
			return false
		}
		sl := v.Slice()
		out := make([]string, 0, sl.Len())
		for i := 0; i < sl.Len(); i++ {
			if sl.At(i).Type() != pcommon.ValueTypeStr {
				return false
			}
			out = append(out, sl.At(i).Str())
		}
		*d.Str(s.Index) = out
		return true
	}
	return false
}

// readBack appends the dedicated values of a scope to m in meta order:
// empty → absent, one value → scalar, more → array (lossy by design, §8.3).
func readBack(d *DedicatedAttributes, slots ScopeSlots, m pcommon.Map) {
	for _, s := range slots {
		if s.Int {
			vs := *d.Int(s.Index)
			switch len(vs) {
			case 0:
			case 1:
				m.PutInt(s.Name, vs[0])
			default:
				sl := m.PutEmptySlice(s.Name)
				for _, x := range vs {
					sl.AppendEmpty().SetInt(x)
				}
			}
			continue
		}
		vs := *d.Str(s.Index)
		switch len(vs) {
		case 0:
		case 1:
			m.PutStr(s.Name, vs[0])
		default:
			sl := m.PutEmptySlice(s.Name)
			for _, x := range vs {
				sl.AppendEmpty().SetStr(x)
			}
		}
	}
}

// DefaultDedicatedColumns is Tempo's default list (spec §8.1), in order.
func DefaultDedicatedColumns() backend.DedicatedColumns {
	return backend.DedicatedColumns{
		{Scope: ScopeResource, Name: "k8s.cluster.name"},
		{Scope: ScopeResource, Name: "k8s.namespace.name"},
		{Scope: ScopeResource, Name: "k8s.pod.name"},
		{Scope: ScopeResource, Name: "k8s.container.name"},
		{Name: "http.request.method"},
		{Name: "http.response.status_code", Type: TypeInt},
		{Name: "url.path"},
		{Name: "url.route"},
		{Name: "server.address"},
		{Name: "server.port", Type: TypeInt},
		{Name: "http.method"},
		{Name: "http.url"},
		{Name: "http.route"},
		{Name: "http.status_code", Type: TypeInt},
	}
}
