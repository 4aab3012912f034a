// Package vparquet5 is Tempo's vParquet5 block format (spec/block-format.md
// §7–§8): the row model of package vparquet stored as is, with unused
// dedicated-column slots pruned from the file schema.
package vparquet5

import (
	"io"
	"sync"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"

	"github.com/tempoctl/tempoctl/storage/backend"
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
	c.write = vparquet.Prune("Trace", c.full, func(path []string) (bool, encoding.Encoding, compress.Codec) {
		scope := DedicatedScope(path)
		if scope == "" {
			return true, nil, nil
		}
		s, ok := used[scope+"/"+path[len(path)-1]]
		if !ok {
			return false, nil, nil
		}
		if s.Blob {
			c.blob = append(c.blob, append([]string(nil), path...))
			if s.Int {
				return true, &parquet.Plain, &parquet.Zstd
			}
			return true, &parquet.DeltaLengthByteArray, &parquet.Zstd
		}
		return true, nil, nil
	})
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

// NewRowWriter writes the row model straight into the pruned schema's
// columns: parquet-go maps schema fields to struct fields by name, so pruned
// slots are simply never visited.
func (c *codec) NewRowWriter(w io.Writer, opts ...parquet.WriterOption) vparquet.RowWriter {
	return rowWriter{parquet.NewGenericWriter[vparquet.Trace](w, append(opts, c.write)...)}
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

func (c *codec) Decode(row parquet.Row, tr *vparquet.Trace) error {
	*tr = vparquet.Trace{}
	return c.full.Reconstruct(tr, row)
}
