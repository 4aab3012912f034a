package vparquet

import (
	"io"

	"github.com/parquet-go/parquet-go"

	"github.com/tempoctl/tempoctl/storage/backend"
)

// Format is what a block version supplies to the shared writer and reader.
type Format interface {
	// Version is meta.json's "format".
	Version() string
	// Limits are the version's dedicated-column rules.
	Limits() Limits
	// NewCodec maps rows for a block with these dedicated columns.
	NewCodec(dc backend.DedicatedColumns) (Codec, error)
}

// RowWriter writes rows of the row model into one parquet file.
type RowWriter interface {
	// Write buffers rows; they may be reused once it returns.
	Write(rows []Trace) error
	// Flush ends the current row group.
	Flush() error
	Close() error
}

// Codec converts between the row model and one version's parquet rows.
type Codec interface {
	// WriteSchema is the file schema of new blocks.
	WriteSchema() *parquet.Schema
	// ReadSchema is what rows are decoded from; files whose schema differs
	// (pruned dedicated slots) are converted to it on read.
	ReadSchema() *parquet.Schema
	// NewRowWriter writes rows to a parquet file of WriteSchema.
	NewRowWriter(w io.Writer, opts ...parquet.WriterOption) RowWriter
	// Decode fills tr (reset first) from a row of ReadSchema.
	Decode(row parquet.Row, tr *Trace) error
	// Assignment of dedicated attributes to slots.
	Assignment() *Assignment
	// WriterOptions are per-column writer settings (e.g. blob columns).
	WriterOptions() []parquet.WriterOption
}
