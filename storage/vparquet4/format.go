package vparquet4

import (
	"io"
	"sync"

	"github.com/parquet-go/parquet-go"

	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/vparquet"
)

// Version is meta.json's format name.
const Version = backend.VersionVParquet4

// Format is vParquet4.
var Format vparquet.Format = format{}

type format struct{}

func (format) Version() string { return Version }

const dedicatedSlots = 10

func (format) Limits() vparquet.Limits {
	return vparquet.Limits{
		Strings: dedicatedSlots,
		Scopes:  []string{vparquet.ScopeResource, vparquet.ScopeSpan},
		Reserved: map[string]bool{
			"cluster": true, "namespace": true, "pod": true, "container": true,
			"k8s.cluster.name": true, "k8s.namespace.name": true, "k8s.pod.name": true, "k8s.container.name": true,
			"http.method": true, "http.url": true, "http.status_code": true,
		},
	}
}

// Schema is the vParquet4 file schema (never pruned).
var Schema = sync.OnceValue(func() *parquet.Schema { return parquet.SchemaOf(Trace{}) })

func (f format) NewCodec(dc backend.DedicatedColumns) (vparquet.Codec, error) {
	return &codec{schema: Schema(), a: vparquet.Assign(dc, f.Limits())}, nil
}

type codec struct {
	schema *parquet.Schema
	a      *vparquet.Assignment
	row    Trace
}

func (c *codec) WriteSchema() *parquet.Schema          { return c.schema }
func (c *codec) ReadSchema() *parquet.Schema           { return c.schema }
func (c *codec) Assignment() *vparquet.Assignment      { return c.a }
func (c *codec) WriterOptions() []parquet.WriterOption { return nil }

func (c *codec) NewRowWriter(w io.Writer, opts ...parquet.WriterOption) vparquet.RowWriter {
	return &rowWriter{w: parquet.NewGenericWriter[Trace](w, append(opts, c.schema)...)}
}

type rowWriter struct {
	w    *parquet.GenericWriter[Trace]
	rows []Trace
}

func (r *rowWriter) Write(rows []vparquet.Trace) error {
	if cap(r.rows) < len(rows) {
		r.rows = make([]Trace, len(rows))
	}
	r.rows = r.rows[:len(rows)]
	for i := range rows {
		fromRow(&rows[i], &r.rows[i])
	}
	_, err := r.w.Write(r.rows)
	return err
}
func (r *rowWriter) Flush() error { return r.w.Flush() }
func (r *rowWriter) Close() error { return r.w.Close() }

func (c *codec) Decode(row parquet.Row, tr *vparquet.Trace) error {
	c.row = Trace{}
	if err := c.schema.Reconstruct(&c.row, row); err != nil {
		return err
	}
	toRow(&c.row, tr)
	return nil
}
