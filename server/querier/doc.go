// Package querier answers Tempo's read path for one process: trace by ID,
// TraceQL and legacy tag search, and tag names/values, over live data (the
// ingester's in-memory traces) and the tenant's backend blocks.
//
// Every source is queried on its own and the answers are merged: parts of a
// trace found in several places are combined with duplicate spans dropped,
// search results for the same trace are merged the way Tempo's frontend does
// (spec/traceql.md §9). A block that cannot be read is logged, counted in
// tempo_query_failed_blocks_total and skipped; a query fails only when every
// source it tried failed.
package querier
