// Package search runs TraceQL over vParquet blocks (both versions).
//
// Fetcher is a traceql.Fetcher. For each block it
//   - skips the block when its meta time range misses the request;
//   - skips a row group when the trace time statistics, or the statistics
//     and complete dictionaries of the condition columns (intrinsics,
//     dedicated slots, vParquet4 well-known columns, attribute keys), show
//     that nothing in it can match;
//   - reads only the condition columns, page by page, tracking rows by
//     repetition level 0 and rs/ss/span/attribute ordinals by the deeper
//     levels, so conditions combine per span, and keeps the rows where some
//     span can match (a superset: the engine evaluates the query again),
//     in chunks of rows growing eightfold from a small first one, so a
//     search that stops at its limit mostly reads little;
//   - reads those rows: from the columns the query names plus what every
//     result needs (IDs, times, nested sets, root names, service stats), or
//     whole for select-all. A partial row reads itself whole when asked for
//     anything else (in order, by the same cursors, while the search is in
//     its row group). Pages are decoded only as far as the rows read.
//
// Spans answer from the row model with the stored nested-set numbers.
// TagNames and TagValues list attribute names and values from the same
// columns, mostly from their dictionaries.
package search
