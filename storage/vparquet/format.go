package vparquet

import (
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

// Codec converts between the row model and one version's parquet rows.
type Codec interface {
	// WriteSchema is the file schema of new blocks.
	WriteSchema() *parquet.Schema
	// ReadSchema is what rows are decoded from; files whose schema differs
	// (pruned dedicated slots) are converted to it on read.
	ReadSchema() *parquet.Schema
	// Encode appends tr as a row of WriteSchema to dst.
	Encode(dst parquet.Row, tr *Trace) (parquet.Row, error)
	// Decode fills tr (reset first) from a row of ReadSchema.
	Decode(row parquet.Row, tr *Trace) error
	// Assignment of dedicated attributes to slots.
	Assignment() *Assignment
	// WriterOptions are per-column writer settings (e.g. blob columns).
	WriterOptions() []parquet.WriterOption
}
