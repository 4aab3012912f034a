// Package model holds the small trace utilities every path of tempoctl shares:
// trace-ID parsing and formatting (Tempo's rules), combining partial traces
// with duplicate spans dropped, and splitting OTLP batches by trace ID.
//
// The in-memory trace model at package boundaries is pdata's ptrace.Traces:
// receivers, the Jaeger/Zipkin translators, the storage reader and the OTLP
// JSON encoders all speak it.
package model
