// Package search runs TraceQL over vParquet blocks: a traceql.Fetcher that
// prunes blocks by their meta time range and row groups by column
// statistics and dictionaries, reads only the columns of the pushed-down
// conditions to find candidate traces (tracking rows and nested entities by
// repetition levels), and decodes only the candidate rows into spans that
// answer the engine from the row model, with the stored nested-set numbers.
// It also lists tag names and values over the same columns.
package search
