// Package tempopb is the wire side of Tempo's gRPC query API
// (spec/http-api.md §8, §9): the tempopb request and response messages of
// the StreamingQuerier service, encoded by hand with protowire (Tempo's
// generated code is AGPL and there is no protoc here), a gRPC codec that
// carries them, and the service descriptor and client.
//
// Encoding follows proto3: zero scalars and empty lists are left out, map
// entries are written in key order so output is deterministic. Decoding
// skips unknown fields and fields of an unexpected wire type, as protobuf
// runtimes do; later occurrences of a scalar win, repeated fields append.
package tempopb
