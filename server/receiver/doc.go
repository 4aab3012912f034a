// Package receiver holds the trace receivers of `tempoctl serve`: OTLP over
// gRPC and HTTP, Zipkin, and Jaeger (thrift over HTTP, gRPC). Each receiver
// listens on its own address, turns what it receives into ptrace.Traces and
// hands them with the request's tenant to a pusher.Pusher (the distributor).
//
// The wire mapping of Zipkin and Jaeger to OTLP is done by the
// OpenTelemetry Collector contrib translators, so spans look the same as
// they would after Tempo's (collector-based) receivers.
//
// The receivers only decode and route: ID validation, limits and sharding
// are the distributor's job behind the Pusher.
package receiver
