// Package vparquet5 is Tempo's vParquet5 block format (spec/block-format.md
// §7–§8): the row model of package vparquet stored as is, with unused
// dedicated-column slots pruned from the file schema.
package vparquet5

import (
	"io"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"

	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/colwriter"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

// Version is meta.json's format name.
const Version = backend.VersionVParquet5

// Format is vParquet5.
var Format vparquet.Format = format{}

type format struct{}

func (format) Version() string { return Version }

func (format) Limits() vparquet.Limits {
	return vparquet.Limits{
		Strings:      vparquet.StringSlots,
		Ints:         vparquet.IntSlots,
		Scopes:       []string{vparquet.ScopeResource, vparquet.ScopeSpan, vparquet.ScopeEvent},
		AllowOptions: true,
	}
}

// FullSchema has every dedicated slot; files hold a pruned copy.
var FullSchema = sync.OnceValue(func() *parquet.Schema { return parquet.SchemaOf(vparquet.Trace{}) })

func (f format) NewCodec(dc backend.DedicatedColumns) (vparquet.Codec, error) {
	a := vparquet.Assign(dc, f.Limits())
	c := &codec{full: FullSchema(), a: a}
	used := map[string]vparquet.Slot{}
	for scope, slots := range map[string]vparquet.ScopeSlots{vparquet.ScopeResource: a.Resource, vparquet.ScopeSpan: a.Span, vparquet.ScopeEvent: a.Event} {
		for _, s := range slots {
			used[scope+"/"+s.Column()] = s
		}
	}
	groups := map[string][]string{} // dedicated group path of each scope
	kept := map[string]bool{}
	c.write = vparquet.Prune("Trace", c.full, func(path []string) (bool, encoding.Encoding, compress.Codec) {
		scope := DedicatedScope(path)
		if scope == "" {
			return true, nil, nil
		}
		p := append([]string(nil), path...)
		groups[scope] = p[:len(p)-1]
		s, ok := used[scope+"/"+path[len(path)-1]]
		kept[scope] = kept[scope] || ok
		if !ok {
			c.tags = append(c.tags, parquet.StructTag(`parquet:"-"`, p...))
			return false, nil, nil
		}
		if s.Blob {
			c.blob = append(c.blob, p)
			if s.Int {
				c.tags = append(c.tags, parquet.StructTag(`parquet:",plain,zstd"`, p...))
				return true, &parquet.Plain, &parquet.Zstd
			}
			// No dictionary; the writer's default for byte arrays,
			// DELTA_LENGTH_BYTE_ARRAY, is the encoding.
			c.tags = append(c.tags, parquet.StructTag(`parquet:",zstd"`, p...))
			return true, &parquet.DeltaLengthByteArray, &parquet.Zstd
		}
		return true, nil, nil
	})
	for scope, g := range groups {
		if !kept[scope] { // pruned whole, as Prune drops empty groups
			c.tags = append(c.tags, parquet.StructTag(`parquet:"-"`, g...))
		}
	}
	return c, nil
}

// DedicatedScope returns the scope of a dedicated-slot leaf path, or "".
func DedicatedScope(path []string) string {
	if len(path) < 2 || path[len(path)-2] != "DedicatedAttributes" {
		return ""
	}
	switch path[len(path)-3] {
	case "Resource":
		return vparquet.ScopeResource
	case "Spans":
		return vparquet.ScopeSpan
	case "Events":
		return vparquet.ScopeEvent
	}
	return ""
}

type codec struct {
	full, write *parquet.Schema
	a           *vparquet.Assignment
	blob        [][]string
	// tags give the row struct the pruned schema's shape (unused slots
	// skipped, blob slots re-tagged), so parquet-go derives that schema from
	// the type and writes rows with its columnar path instead of walking
	// each value by reflection.
	tags []parquet.SchemaOption
}

func (c *codec) WriteSchema() *parquet.Schema     { return c.write }
func (c *codec) ReadSchema() *parquet.Schema      { return c.full }
func (c *codec) Assignment() *vparquet.Assignment { return c.a }
func (c *codec) WriterOptions() []parquet.WriterOption {
	var opts []parquet.WriterOption
	for _, p := range c.blob {
		opts = append(opts, parquet.SkipPageBounds(p...))
	}
	return opts
}

// NewRowWriter writes the row model into the pruned schema's columns,
// walking each row once (shred.go).
func (c *codec) NewRowWriter(w io.Writer, opts ...parquet.WriterOption) vparquet.RowWriter {
	cfg, err := parquet.NewWriterConfig(opts...)
	if err != nil {
		return failedWriter{err}
	}
	o := colwriter.Options{PageSize: cfg.PageBufferSize, CreatedBy: cfg.CreatedBy}
	for _, p := range c.blob {
		o.SkipBounds = append(o.SkipBounds, strings.Join(p, "."))
	}
	sw, err := newShredWriter(w, c.write, o)
	if err != nil {
		return failedWriter{err}
	}
	return sw
}

// newGenericRowWriter writes rows with parquet-go's row writer: the row
// struct re-tagged to the pruned schema's shape, so parquet-go derives that
// schema from the type. Tests compare the shredding writer with it.
func (c *codec) newGenericRowWriter(w io.Writer, opts ...parquet.WriterOption) vparquet.RowWriter {
	for _, t := range c.tags {
		opts = append(opts, t.(parquet.WriterOption))
	}
	return rowWriter{parquet.NewGenericWriter[vparquet.Trace](w, opts...)}
}

type rowWriter struct {
	w *parquet.GenericWriter[vparquet.Trace]
}

func (r rowWriter) Write(rows []vparquet.Trace) error {
	_, err := r.w.Write(rows)
	return err
}
func (r rowWriter) Flush() error { return r.w.Flush() }
func (r rowWriter) Close() error { return r.w.Close() }

// failedWriter reports a writer that could not be made.
type failedWriter struct{ err error }

func (f failedWriter) Write([]vparquet.Trace) error { return f.err }
func (f failedWriter) Flush() error                 { return f.err }
func (f failedWriter) Close() error                 { return f.err }

func (c *codec) Decode(row parquet.Row, tr *vparquet.Trace) error {
	*tr = vparquet.Trace{}
	return c.full.Reconstruct(tr, row)
}
