package traceql

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// StaticType is the type of a value.
type StaticType int

const (
	TypeNil       StaticType = iota
	TypeAttribute            // unknown until runtime (attribute references)
	TypeInt
	TypeFloat
	TypeString
	TypeBoolean
	TypeDuration
	TypeStatus
	TypeKind
	TypeArray // elements in Static.Arr
	TypeMulti // one value per event/link of a span: a test holds if it holds for any
)

var typeNames = [...]string{"nil", "attribute", "int", "float", "string", "bool", "duration", "status", "kind", "array", "multi"}

func (t StaticType) String() string { return typeNames[t] }

func (t StaticType) numeric() bool { return t == TypeInt || t == TypeFloat || t == TypeDuration }

// Status codes (OTLP numbering).
const (
	StatusUnset = 0
	StatusOk    = 1
	StatusError = 2
)

var statusNames = []string{"unset", "ok", "error"}
var kindNames = []string{"unspecified", "internal", "server", "client", "producer", "consumer"}

// Static is a typed value. Durations are nanoseconds in N; status and kind
// use OTLP numbering in N.
type Static struct {
	Type StaticType
	N    int64
	F    float64
	S    string
	B    bool
	Arr  []Static
}

// Constructors.
func NewInt(n int64) Static              { return Static{Type: TypeInt, N: n} }
func NewFloat(f float64) Static          { return Static{Type: TypeFloat, F: f} }
func NewString(s string) Static          { return Static{Type: TypeString, S: s} }
func NewBool(b bool) Static              { return Static{Type: TypeBoolean, B: b} }
func NewDuration(d time.Duration) Static { return Static{Type: TypeDuration, N: int64(d)} }
func NewStatus(c int64) Static           { return Static{Type: TypeStatus, N: c} }
func NewKind(k int64) Static             { return Static{Type: TypeKind, N: k} }
func NewArray(v []Static) Static         { return Static{Type: TypeArray, Arr: v} }

// NewMulti wraps the values of an event/link-scoped field; Nil when empty.
func NewMulti(v []Static) Static {
	if len(v) == 0 {
		return Nil
	}
	if len(v) == 1 {
		return v[0]
	}
	return Static{Type: TypeMulti, Arr: v}
}

// Nil is the missing value.
var Nil = Static{}

// IsNil reports a missing value.
func (s Static) IsNil() bool { return s.Type == TypeNil }

func (s Static) float() float64 {
	switch s.Type {
	case TypeInt, TypeDuration:
		return float64(s.N)
	case TypeFloat:
		return s.F
	}
	return math.NaN()
}

// String renders the value in query syntax.
func (s Static) String() string {
	switch s.Type {
	case TypeNil:
		return "nil"
	case TypeInt:
		if s.N == math.MinInt64 {
			return "minInt"
		}
		return strconv.FormatInt(s.N, 10)
	case TypeFloat:
		return strconv.FormatFloat(s.F, 'g', -1, 64)
	case TypeString:
		return strconv.Quote(s.S)
	case TypeBoolean:
		return strconv.FormatBool(s.B)
	case TypeDuration:
		return time.Duration(s.N).String()
	case TypeStatus:
		if s.N >= 0 && int(s.N) < len(statusNames) {
			return statusNames[s.N]
		}
	case TypeKind:
		if s.N >= 0 && int(s.N) < len(kindNames) {
			return kindNames[s.N]
		}
	case TypeArray, TypeMulti:
		p := make([]string, len(s.Arr))
		for i, v := range s.Arr {
			p[i] = v.String()
		}
		return "[" + strings.Join(p, ", ") + "]"
	}
	return "?"
}

// equal compares two scalars; numbers compare numerically.
func (s Static) equal(o Static) bool {
	if s.Type.numeric() && o.Type.numeric() {
		if s.Type != TypeFloat && o.Type != TypeFloat {
			return s.N == o.N
		}
		return s.float() == o.float()
	}
	if s.Type != o.Type {
		return false
	}
	switch s.Type {
	case TypeString:
		return s.S == o.S
	case TypeBoolean:
		return s.B == o.B
	case TypeStatus, TypeKind:
		return s.N == o.N
	case TypeNil:
		return true
	}
	return false
}

// order compares two scalars for < <= > >=; ok is false for types that
// have no order (bool, status, kind) or mismatching types.
func (s Static) order(o Static) (c int, ok bool) {
	if s.Type.numeric() && o.Type.numeric() {
		if s.Type != TypeFloat && o.Type != TypeFloat {
			return cmpInt(s.N, o.N), true
		}
		a, b := s.float(), o.float()
		switch {
		case a < b:
			return -1, true
		case a > b:
			return 1, true
		case a == b:
			return 0, true
		}
		return 0, false
	}
	if s.Type == TypeString && o.Type == TypeString {
		return strings.Compare(s.S, o.S), true
	}
	return 0, false
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parseDuration accepts Prometheus-style durations first, then Go ones.
func parseDuration(s string) (int64, bool) {
	if d, ok := parsePromDuration(s); ok {
		return d, true
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, false
	}
	return int64(d), true
}

var promUnits = []struct {
	unit string
	d    time.Duration
}{
	{"y", 365 * 24 * time.Hour}, {"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour},
	{"h", time.Hour}, {"ms", time.Millisecond}, {"m", time.Minute}, {"s", time.Second},
}

// parsePromDuration: integer parts with units y w d h m s ms, in that order.
func parsePromDuration(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var total time.Duration
	last := -1
	rank := map[string]int{"y": 0, "w": 1, "d": 2, "h": 3, "m": 4, "s": 5, "ms": 6}
	for s != "" {
		j := 0
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j == 0 {
			return 0, false
		}
		n, err := strconv.ParseInt(s[:j], 10, 64)
		if err != nil {
			return 0, false
		}
		s = s[j:]
		found := false
		for _, u := range promUnits {
			if strings.HasPrefix(s, u.unit) && !(u.unit == "m" && strings.HasPrefix(s, "ms")) {
				r := rank[u.unit]
				if r <= last {
					return 0, false
				}
				last = r
				if n > math.MaxInt64/int64(u.d) {
					return 0, false
				}
				total += time.Duration(n) * u.d
				s = s[len(u.unit):]
				found = true
				break
			}
		}
		if !found {
			return 0, false
		}
	}
	return int64(total), true
}
