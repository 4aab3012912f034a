// Package traceql parses and evaluates TraceQL (see docs/traceql.md).
//
// The parser is hand-written recursive descent producing the AST in ast.go.
// Evaluation is storage-agnostic: the Engine asks a Fetcher for candidate
// spans, passing the conditions it could push down (FetchRequest), and then
// evaluates the full query on what comes back. NewMemoryFetcher serves
// in-memory ptrace.Traces (live data, WAL, tests); block readers implement the
// same interface over Parquet columns.
package traceql
