// Package jaegertest is a stand-in for a Jaeger v2 query service (Badger
// storage) for tests: it holds the traces of the recorded fixtures
// (../shared/fixtures/jaeger/expected.jsonl) in Jaeger's domain model, as
// Jaeger stores them after its OTLP receiver, and answers the v1 and api/v3
// HTTP endpoints with the behaviour the fixtures' README documents: inclusive
// µs bounds, newest-first results cut at the limit (default 100), no
// pagination, 404 for an empty api/v3 search, the same error bodies. A
// request whose URL was recorded is answered with the recorded response.
package jaegertest
