// Package rowread reads chosen rows of a parquet row group column by column,
// touching only the pages that hold them. The search's second pass and the
// lookup of one trace by ID share it.
//
// Reader walks each column forward with a Cursor: pages holding no wanted
// row are skipped by the offset index, rows before a wanted one within a
// page by counting repetition levels (nothing is materialized). ReadRow
// reads one row: it fetches the byte ranges of the row's page in every
// column (and the dictionaries) in a few coalesced reads, then decodes
// data pages v2 straight from those bytes.
package rowread
