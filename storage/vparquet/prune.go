package vparquet

import (
	"reflect"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
)

// LeafRule decides, per leaf path of a full schema, whether the leaf stays
// and whether its encoding and codec are overridden.
type LeafRule func(path []string) (keep bool, enc encoding.Encoding, codec compress.Codec)

// Prune returns the schema with leaves dropped by rule and groups left empty
// dropped too. Rows are written from the full row model: parquet-go maps the
// pruned schema's fields to struct fields by name.
func Prune(name string, full *parquet.Schema, rule LeafRule) *parquet.Schema {
	var walk func(n parquet.Node, path []string) (parquet.Node, bool)
	walk = func(n parquet.Node, path []string) (parquet.Node, bool) {
		if n.Leaf() {
			keep, enc, codec := rule(path)
			if !keep {
				return nil, false
			}
			if enc != nil || codec != nil {
				return &leafNode{Node: n, enc: enc, codec: codec}, true
			}
			return n, true
		}
		var fields []parquet.Field
		for _, f := range n.Fields() {
			c, ok := walk(f, append(path[:len(path):len(path)], f.Name()))
			if ok {
				fields = append(fields, namedField{Node: c, name: f.Name(), f: f})
			}
		}
		if len(fields) == 0 {
			return nil, false
		}
		return &groupNode{Node: n, fields: fields}, true
	}
	root, _ := walk(full, nil)
	return parquet.NewSchema(name, root)
}

type groupNode struct {
	parquet.Node
	fields []parquet.Field
}

func (g *groupNode) Fields() []parquet.Field { return g.fields }

type namedField struct {
	parquet.Node
	name string
	f    parquet.Field
}

func (f namedField) Name() string { return f.name }

func (f namedField) Value(base reflect.Value) reflect.Value { return f.f.Value(base) }

type leafNode struct {
	parquet.Node
	enc   encoding.Encoding
	codec compress.Codec
}

func (l *leafNode) Encoding() encoding.Encoding {
	if l.enc != nil {
		return l.enc
	}
	return l.Node.Encoding()
}

func (l *leafNode) Compression() compress.Codec {
	if l.codec != nil {
		return l.codec
	}
	return l.Node.Compression()
}
