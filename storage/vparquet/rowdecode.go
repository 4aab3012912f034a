package vparquet

import (
	"reflect"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// rowDecoder fills a Trace from a row of a file's own schema for a lookup
// whose trace only goes on to OTLP. It walks the levels as parquet-go's
// Reconstruct does, but costs less: the row needs no conversion to the
// full read schema first (the columns a file lacks, its pruned dedicated
// slots, are left empty), empty lists stay nil instead of an allocation
// each, lists are allocated once at their length, and the row's strings
// and byte slices share one allocation.
//
// It is built per block from the file's schema and the row type; a schema
// it cannot map onto Trace (vParquet4's) has none, and decodes through the
// codec.
type rowDecoder struct {
	root    decodeNode
	columns int
}

type decodeKind uint8

const (
	dGroup decodeKind = iota
	dString
	dBytes
	dBool
	dInt
	dUint
	dFloat
)

// decodeNode is one node of the file schema with where its values go.
type decodeNode struct {
	kind     decodeKind
	repeated bool
	optional bool // a pointer in the row type
	field    int  // index of the Go field in its parent struct
	leaves   int  // leaf columns at and below this node
	children []decodeNode
}

// newRowDecoder maps the file schema onto the row type; nil when some
// node does not map (a name, a type, or a logical type it does not know).
func newRowDecoder(file *parquet.Schema) *rowDecoder {
	root, ok := mapGroup(file, reflect.TypeOf(Trace{}))
	if !ok {
		return nil
	}
	return &rowDecoder{root: root, columns: len(file.Columns())}
}

// parquetName is the column name parquet-go gives a struct field ("-"
// for none).
func parquetName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
	if name == "" {
		name = f.Name
	}
	return name
}

func mapGroup(n parquet.Node, t reflect.Type) (decodeNode, bool) {
	if t.Kind() != reflect.Struct || n.Leaf() {
		return decodeNode{}, false
	}
	out := decodeNode{kind: dGroup}
	for _, f := range n.Fields() {
		idx := -1
		for i := 0; i < t.NumField(); i++ {
			if sf := t.Field(i); sf.IsExported() && parquetName(sf) == f.Name() {
				idx = i
				break
			}
		}
		if idx < 0 {
			return decodeNode{}, false
		}
		c, ok := mapNode(f, t.Field(idx).Type)
		if !ok {
			return decodeNode{}, false
		}
		c.field = idx
		out.leaves += c.leaves
		out.children = append(out.children, c)
	}
	return out, true
}

func mapNode(n parquet.Node, t reflect.Type) (decodeNode, bool) {
	if lt := n.Type().LogicalType(); !n.Leaf() && lt != nil && lt.Value != nil {
		return decodeNode{}, false // a LIST, MAP or VARIANT group: not the row type's shape
	}
	var c decodeNode
	var ok bool
	switch {
	case n.Repeated():
		if t.Kind() != reflect.Slice || t.Elem().Kind() == reflect.Uint8 {
			return decodeNode{}, false
		}
		c, ok = mapElem(n, t.Elem())
		c.repeated = true
	case n.Optional():
		if t.Kind() != reflect.Pointer {
			return decodeNode{}, false
		}
		c, ok = mapElem(n, t.Elem())
		c.optional = true
	default:
		c, ok = mapElem(n, t)
	}
	return c, ok
}

// mapElem maps a node (its repetition aside) onto Go type t.
func mapElem(n parquet.Node, t reflect.Type) (decodeNode, bool) {
	if !n.Leaf() {
		return mapGroup(n, t)
	}
	kind := n.Type().Kind()
	c := decodeNode{leaves: 1}
	switch {
	case t.Kind() == reflect.String && kind == parquet.ByteArray:
		c.kind = dString
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 && (kind == parquet.ByteArray || kind == parquet.FixedLenByteArray):
		c.kind = dBytes
	case t.Kind() == reflect.Bool && kind == parquet.Boolean:
		c.kind = dBool
	case (t.Kind() == reflect.Int32 || t.Kind() == reflect.Int64) && (kind == parquet.Int32 || kind == parquet.Int64):
		c.kind = dInt
	case (t.Kind() == reflect.Uint32 || t.Kind() == reflect.Uint64) && (kind == parquet.Int32 || kind == parquet.Int64):
		c.kind = dUint
	case t.Kind() == reflect.Float64 && kind == parquet.Double:
		c.kind = dFloat
	default:
		return decodeNode{}, false
	}
	return c, true
}

// traceFree keeps decoded traces for reuse: a lookup's trace lives only
// until it is turned into OTLP, and its lists (spans, attributes, the
// dedicated slots of each span) are most of what a lookup allocates.
var traceFree = make(chan *Trace, 2*runtime.GOMAXPROCS(0)+2)

// maxKeptSpans bounds the traces kept: a huge trace's memory goes back to
// the collector.
const maxKeptSpans = 4096

// newTrace returns a trace for decode: a used one when there is one.
func newTrace() *Trace {
	select {
	case tr := <-traceFree:
		return tr
	default:
		return new(Trace)
	}
}

// freeTrace gives tr back for reuse. Nothing may hold any of its slices
// (ToOTLP copies what it keeps; strings are the decode's own and stay).
func freeTrace(tr *Trace) {
	spans := 0
	for i := range tr.ResourceSpans {
		for j := range tr.ResourceSpans[i].ScopeSpans {
			spans += len(tr.ResourceSpans[i].ScopeSpans[j].Spans)
		}
	}
	if spans > maxKeptSpans {
		return
	}
	select {
	case traceFree <- tr:
	default:
	}
}

// decodeState is one decode's scratch.
type decodeState struct {
	bytes []byte // the row's byte arrays, copied once (not pooled)
	cols  [][]parquet.Value
	stack [][]parquet.Value
}

var decodeStates = sync.Pool{New: func() any { return new(decodeState) }}

// decode fills tr from row, a row of the file's schema (values in column
// order). tr may be a used trace: everything in it is reset first, its
// lists to length zero so that their memory serves again.
func (d *rowDecoder) decode(row parquet.Row, tr *Trace) {
	st := decodeStates.Get().(*decodeState)
	defer func() {
		// The pool keeps no slice of the row.
		clear(st.cols)
		clear(st.stack[:cap(st.stack)])
		st.bytes = nil
		decodeStates.Put(st)
	}()
	if cap(st.cols) < d.columns {
		st.cols = make([][]parquet.Value, d.columns)
	}
	cols := st.cols[:d.columns]
	size := 0
	for i := 0; i < len(row); {
		c := row[i].Column()
		j := i + 1
		for j < len(row) && row[j].Column() == c {
			j++
		}
		if c >= 0 && c < len(cols) {
			cols[c] = row[i:j:j]
		}
		for _, v := range row[i:j] {
			if k := v.Kind(); k == parquet.ByteArray || k == parquet.FixedLenByteArray {
				size += len(v.ByteArray())
			}
		}
		i = j
	}
	st.bytes = make([]byte, 0, size)
	// The stack holds two lists of columns per level of lists (three in
	// the row type) and rarely grows; when it does, the levels below keep
	// the lists they hold.
	if cap(st.stack) < 8*d.columns {
		st.stack = make([][]parquet.Value, 0, 8*d.columns)
	}
	st.stack = st.stack[:0]
	v := reflect.ValueOf(tr).Elem()
	reset(v)
	st.group(&d.root, v, 0, 0, cols)
}

// node decodes n into v. rep and def are the levels of v's parent.
func (st *decodeState) node(n *decodeNode, v reflect.Value, rep, def int, cols [][]parquet.Value) {
	switch {
	case n.repeated:
		st.repeated(n, v, rep+1, def+1, cols)
	case n.optional:
		def++
		if len(cols) > 0 && len(cols[0]) > 0 && cols[0][0].DefinitionLevel() < def {
			return // nil
		}
		p := reflect.New(v.Type().Elem())
		v.Set(p)
		st.elem(n, p.Elem(), rep, def, cols)
	default:
		st.elem(n, v, rep, def, cols)
	}
}

// repeated decodes a list: one element per value of the first column that
// does not repeat deeper than the list.
func (st *decodeState) repeated(n *decodeNode, v reflect.Value, rep, def int, cols [][]parquet.Value) {
	if len(cols) == 0 || len(cols[0]) == 0 || cols[0][0].DefinitionLevel() < def {
		return // empty: left nil
	}
	count := 0
	first := cols[0]
	for i := 0; i < len(first); {
		i++
		count++
		for i < len(first) && first[i].RepetitionLevel() > rep {
			i++
		}
	}
	v.Grow(count)
	v.SetLen(count)
	// Each column's values of the element being decoded, taken from the
	// front of rest as the elements go by.
	base := len(st.stack)
	st.stack = append(st.stack, cols...)
	st.stack = append(st.stack, cols...)
	rest, cur := st.stack[base:base+len(cols)], st.stack[base+len(cols):]
	for e := range count {
		for j, col := range rest {
			if len(col) == 0 {
				cur[j] = col
				continue
			}
			k := 1
			for k < len(col) && col[k].RepetitionLevel() > rep {
				k++
			}
			cur[j], rest[j] = col[:k], col[k:]
		}
		x := v.Index(e)
		reset(x) // a used list's element holds an earlier trace's values
		st.elem(n, x, rep, def, cur)
	}
	st.stack = st.stack[:base]
}

// elem decodes a node's value (a struct or a leaf) into v.
func (st *decodeState) elem(n *decodeNode, v reflect.Value, rep, def int, cols [][]parquet.Value) {
	if n.kind == dGroup {
		st.group(n, v, rep, def, cols)
		return
	}
	if len(cols) == 0 || len(cols[0]) == 0 {
		return
	}
	x := cols[0][0]
	switch n.kind {
	case dString:
		if b := x.ByteArray(); len(b) > 0 {
			v.SetString(unsafe.String(unsafe.SliceData(st.copy(b)), len(b)))
		}
	case dBytes:
		v.SetBytes(st.copy(x.ByteArray()))
	case dBool:
		v.SetBool(x.Boolean())
	case dInt:
		if x.Kind() == parquet.Int32 {
			v.SetInt(int64(x.Int32()))
		} else {
			v.SetInt(x.Int64())
		}
	case dUint:
		if x.Kind() == parquet.Int32 {
			v.SetUint(uint64(x.Uint32()))
		} else {
			v.SetUint(x.Uint64())
		}
	case dFloat:
		v.SetFloat(x.Double())
	}
}

// reset zeroes v keeping the memory of its lists: a struct field by
// field, a list to length zero (its elements are reset as they are used
// again).
func reset(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			reset(v.Field(i))
		}
	case reflect.Slice:
		if v.Len() > 0 {
			v.SetLen(0)
		}
	default:
		if !v.IsZero() {
			v.SetZero()
		}
	}
}

// copy returns b copied into the row's byte arrays (never written again).
func (st *decodeState) copy(b []byte) []byte {
	if cap(st.bytes)-len(st.bytes) < len(b) {
		st.bytes = make([]byte, 0, max(len(b), 4096))
	}
	at := len(st.bytes)
	st.bytes = append(st.bytes, b...)
	return st.bytes[at:len(st.bytes):len(st.bytes)]
}

func (st *decodeState) group(n *decodeNode, v reflect.Value, rep, def int, cols [][]parquet.Value) {
	off := 0
	for i := range n.children {
		c := &n.children[i]
		end := min(off+c.leaves, len(cols))
		st.node(c, v.Field(c.field), rep, def, cols[off:end:end])
		off = end
	}
}
