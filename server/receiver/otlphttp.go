package receiver

import (
	"context"
	"fmt"
	"net/http"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/tempoctl/tempoctl/internal/slab"
)

// otlpEncoding is one of the two OTLP/HTTP body encodings; responses,
// errors included, use the request's encoding (OTLP/HTTP spec).
type otlpEncoding int

const (
	otlpProto otlpEncoding = iota
	otlpJSON
)

func otlpEncodingOf(r *http.Request) (otlpEncoding, bool) {
	switch mediaType(r) {
	case "application/x-protobuf", "application/protobuf":
		return otlpProto, true
	case "application/json":
		return otlpJSON, true
	}
	return 0, false
}

func (e otlpEncoding) contentType() string {
	if e == otlpJSON {
		return "application/json"
	}
	return "application/x-protobuf"
}

// decodeOTLP decodes an ExportTraceServiceRequest body.
func decodeOTLP(enc otlpEncoding, body []byte) (ptrace.Traces, error) {
	req := ptraceotlp.NewExportRequest()
	var err error
	if enc == otlpJSON {
		err = req.UnmarshalJSON(body)
	} else {
		err = req.UnmarshalProto(body)
	}
	if err != nil {
		return ptrace.Traces{}, badRequest(fmt.Errorf("decode OTLP %s: %w", encodingName(enc), err))
	}
	return req.Traces(), nil
}

func encodingName(e otlpEncoding) string {
	if e == otlpJSON {
		return "JSON"
	}
	return "protobuf"
}

// otlpHTTP serves POST {traces_url_path}.
type otlpHTTP struct {
	*base
	maxBody int64
}

func (h *otlpHTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !requirePOST(w, r) {
		return
	}
	enc, ok := otlpEncodingOf(r)
	if !ok {
		http.Error(w, fmt.Sprintf("unsupported Content-Type %q: use application/x-protobuf or application/json", r.Header.Get("Content-Type")), http.StatusUnsupportedMediaType)
		return
	}
	tenant, ctx, err := h.tenants.fromHTTP(r)
	if err != nil {
		h.writeError(w, enc, err)
		return
	}
	// Protobuf bodies are kept as received; JSON is only decoded.
	body, ref, err := readBody(w, r, h.maxBody, enc == otlpProto)
	if err != nil {
		h.writeError(w, enc, err)
		return
	}
	if err := h.pushBody(ctx, enc, tenant, body, ref); err != nil {
		h.writeError(w, enc, err)
		return
	}
	resp := ptraceotlp.NewExportResponse()
	var out []byte
	if enc == otlpJSON {
		out, err = resp.MarshalJSON()
	} else {
		out, err = resp.MarshalProto()
	}
	if err != nil {
		h.writeError(w, enc, err)
		return
	}
	w.Header().Set("Content-Type", enc.contentType())
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

// pushBody pushes a request body: protobuf goes to the write path as
// received; JSON is decoded and encoded once.
func (h *otlpHTTP) pushBody(ctx context.Context, enc otlpEncoding, tenant string, body []byte, ref slab.Ref) error {
	if enc == otlpProto {
		b, err := h.parse(tenant, body, ref)
		if err != nil {
			return err
		}
		return h.pushBatch(ctx, OTLPHTTP, tenant, b)
	}
	td, err := guardDecode(func() (ptrace.Traces, error) { return decodeOTLP(enc, body) })
	if err != nil {
		return err
	}
	return h.push(ctx, OTLPHTTP, tenant, td)
}

// writeError answers with a google.rpc.Status in the request's encoding.
func (h *otlpHTTP) writeError(w http.ResponseWriter, enc otlpEncoding, err error) {
	f := h.fail(OTLPHTTP, err)
	if f.httpStatus == http.StatusUnsupportedMediaType {
		f.writeText(w)
		return
	}
	st := f.grpcStatus().Proto()
	var (
		out  []byte
		merr error
	)
	if enc == otlpJSON {
		out, merr = protojson.Marshal(st)
	} else {
		out, merr = proto.Marshal(st)
	}
	if merr != nil {
		f.writeText(w)
		return
	}
	f.setRetryAfter(w.Header())
	w.Header().Set("Content-Type", enc.contentType())
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(f.httpStatus)
	_, _ = w.Write(out)
}

func newOTLPHTTPHandler(b *base, cfg OTLPHTTPConfig) http.Handler {
	path := cfg.TracesURLPath
	if path == "" {
		path = DefaultOTLPTracesPath
	}
	if path[0] != '/' {
		path = "/" + path
	}
	mux := http.NewServeMux()
	// No method in the pattern: otlpHTTP answers 405 itself, with Allow.
	mux.Handle(path, &otlpHTTP{base: b, maxBody: cfg.maxBodySize()})
	return mux
}
