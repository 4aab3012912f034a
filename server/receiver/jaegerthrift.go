package receiver

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/apache/thrift/lib/go/thrift"
	"github.com/jaegertracing/jaeger-idl/thrift-gen/jaeger"
	jaegertranslator "github.com/open-telemetry/opentelemetry-collector-contrib/pkg/translator/jaeger"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// JaegerThriftPath is where Jaeger clients post thrift batches.
const JaegerThriftPath = "/api/traces"

// decodeJaegerThrift decodes a Thrift binary-protocol jaeger.Batch.
func decodeJaegerThrift(body []byte) (ptrace.Traces, error) {
	// Read in place: the body is already in memory.
	buf := &thrift.TMemoryBuffer{Buffer: bytes.NewBuffer(body)}
	// Thrift checks every string and container size against the bytes
	// left and against MaxMessageSize, so a lying length cannot make it
	// allocate more than the body.
	proto := thrift.NewTBinaryProtocolConf(buf, &thrift.TConfiguration{MaxMessageSize: int32(min(len(body), 1<<30))})
	batch := &jaeger.Batch{}
	if err := batch.Read(context.Background(), proto); err != nil {
		return ptrace.Traces{}, badRequest(fmt.Errorf("decode jaeger thrift batch: %w", err))
	}
	td, err := jaegertranslator.ThriftToTraces(batch)
	if err != nil {
		return ptrace.Traces{}, badRequest(fmt.Errorf("convert jaeger thrift batch: %w", err))
	}
	return td, nil
}

// jaegerThriftHandler serves POST /api/traces.
type jaegerThriftHandler struct {
	*base
	maxBody int64
}

func newJaegerThriftHandler(b *base, cfg HTTPServerConfig) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(JaegerThriftPath, &jaegerThriftHandler{base: b, maxBody: cfg.maxBodySize()})
	return mux
}

func (h *jaegerThriftHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !requirePOST(w, r) {
		return
	}
	switch mt := mediaType(r); mt {
	case "application/x-thrift", "application/vnd.apache.thrift.binary":
	default:
		http.Error(w, fmt.Sprintf("unsupported Content-Type %q: use application/x-thrift", r.Header.Get("Content-Type")), http.StatusUnsupportedMediaType)
		return
	}
	tenant, ctx, err := h.tenants.fromHTTP(r)
	if err != nil {
		h.fail(JaegerThriftHTTP, err).writeText(w)
		return
	}
	body, _, err := readBody(w, r, h.maxBody, false)
	if err != nil {
		h.fail(JaegerThriftHTTP, err).writeText(w)
		return
	}
	td, err := guardDecode(func() (ptrace.Traces, error) { return decodeJaegerThrift(body) })
	if err != nil {
		h.fail(JaegerThriftHTTP, err).writeText(w)
		return
	}
	if err := h.push(ctx, JaegerThriftHTTP, tenant, td); err != nil {
		h.fail(JaegerThriftHTTP, err).writeText(w)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}
