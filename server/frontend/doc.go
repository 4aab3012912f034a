// Package frontend is the query frontend: it answers the query API by
// splitting each query into jobs, running them on a bounded pool of
// queriers and merging the answers.
//
// A search becomes one job for the live data (when the range reaches into
// the last query_ingesters_until) and, for each block overlapping the
// range, newest first, jobs of about target_bytes_per_job of its row
// groups. At most concurrent_jobs jobs of a search are dispatched at once;
// once limit distinct traces are merged (and the query has no most_recent
// hint) the remaining jobs are cancelled. A trace-by-ID lookup becomes one
// shard for the live data and query_shards-1 shards of the block list by
// block-ID range, run at once; their parts are combined.
//
// Jobs run on an Executor: a Worker (a querier in this process, at most
// querier.max_concurrent_queries jobs at once, with the querier's
// timeouts), or queriers in other processes that registered with this
// frontend and are sent jobs over HTTP (/querier/api/..., spec/http-api.md
// §7.3).
package frontend
