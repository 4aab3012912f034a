// Package rowread reads chosen rows of a parquet row group column by column,
// touching only the pages that hold them, and within a page only what leads
// up to the rows. The search's second pass and the lookup of one trace by
// ID share it.
//
// Data pages v2 are decoded here, forward and on demand (pageState): the
// levels run by run, counted rather than walked, up to the row; values
// skipped by their encoding (fixed widths by index, byte arrays by length,
// dictionary indexes by run, deltas by miniblock) and not decompressed at
// all when the row holds none. Pages whose column index says they are all
// null need not be read when another column has the same levels; pages
// whose bounds are equal give their value without decoding. Anything else
// (data pages v1, encrypted or unindexed chunks) goes through parquet-go.
//
//   - Cursor walks one column chunk forward row by row; it reads a page's
//     first bytes and more only as the rows asked for need. Reader reads
//     whole rows with one Cursor per column.
//   - RowGroup.ReadRow reads one row: the row's page in every column (and
//     the dictionaries) in a few coalesced reads, heavy rows in two halves
//     at once; columns a caller does not need are made up as zeros shaped
//     like the row.
//   - RowGroup.FindSorted finds the row holding a key of a sorted column
//     (TraceID) from the one page its statistics point to.
package rowread
