// Package jaeger migrates traces out of a Jaeger into Tempo-format storage or
// an OTLP endpoint (`tempoctl migrate jaeger`).
//
// Sources: a running Jaeger's HTTP query API (api/v3 OTLP JSON preferred,
// the v1 UI JSON API as the fallback, picked by probing) enumerated window
// by window, or JSON files (UI exports, api/v3 responses, OTLP JSON).
// Jaeger's model is mapped to OTLP by the OpenTelemetry collector-contrib
// Jaeger translator, so spans look exactly as they would after Tempo's own
// Jaeger receiver. Sinks: a bucket (blocks partitioned by time, tenant index
// rewritten) or an OTLP gRPC endpoint. A JSON-lines journal makes a run
// resumable without duplicates.
//
// The observed behaviour of Jaeger's APIs that this package relies on
// (inclusive µs bounds, newest-first results capped by the limit, no
// pagination, 404 for an empty v3 search) is described in the fixtures'
// README (../shared/fixtures/jaeger).
package jaeger
