package receiver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/translator/zipkin/zipkinv1"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/translator/zipkin/zipkinv2"
	zipkinmodel "github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/proto/zipkin_proto3"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// zipkinFormat is one of the bodies the Zipkin endpoint takes.
type zipkinFormat int

const (
	zipkinV2JSON zipkinFormat = iota
	zipkinV2Proto
	zipkinV1JSON
	zipkinV1Thrift
)

func (f zipkinFormat) String() string {
	return [...]string{"v2 JSON", "v2 protobuf", "v1 JSON", "v1 thrift"}[f]
}

// zipkinFormatOf picks the format as Zipkin servers do: any path
// containing api/v1/spans is v1, everything else v2; the content type
// then tells binary from JSON, and anything not binary is tried as JSON.
func zipkinFormatOf(r *http.Request) zipkinFormat {
	mt := mediaType(r)
	if strings.Contains(r.URL.Path, "api/v1/spans") {
		if mt == "application/x-thrift" || mt == "application/vnd.apache.thrift.binary" {
			return zipkinV1Thrift
		}
		return zipkinV1JSON
	}
	if mt == "application/x-protobuf" || mt == "application/protobuf" {
		return zipkinV2Proto
	}
	return zipkinV2JSON
}

// zipkinDecoder holds the translators; they are stateless.
type zipkinDecoder struct {
	v2               zipkinv2.ToTranslator
	v1JSON, v1Thrift ptrace.Unmarshaler
}

func newZipkinDecoder(parseStringTags bool) zipkinDecoder {
	return zipkinDecoder{
		v2:       zipkinv2.ToTranslator{ParseStringTags: parseStringTags},
		v1JSON:   zipkinv1.NewJSONTracesUnmarshaler(parseStringTags),
		v1Thrift: zipkinv1.NewThriftTracesUnmarshaler(),
	}
}

// decode turns a Zipkin body into traces. debug is the X-B3-Flags debug
// bit, which only the protobuf format cannot carry in the body.
func (d zipkinDecoder) decode(f zipkinFormat, debug bool, body []byte) (ptrace.Traces, error) {
	var (
		td  ptrace.Traces
		err error
	)
	switch f {
	case zipkinV2JSON, zipkinV2Proto:
		td, err = d.decodeV2(f, debug, body)
	case zipkinV1JSON:
		td, err = d.v1JSON.UnmarshalTraces(body)
	case zipkinV1Thrift:
		td, err = d.v1Thrift.UnmarshalTraces(body)
	}
	if err != nil {
		return ptrace.Traces{}, badRequest(fmt.Errorf("decode zipkin %s: %w", f, err))
	}
	return td, nil
}

// decodeV2 parses v2 spans itself, rather than through the translator's
// unmarshalers, to fix status tags on the way (see normalizeStatusTag).
func (d zipkinDecoder) decodeV2(f zipkinFormat, debug bool, body []byte) (ptrace.Traces, error) {
	var spans []*zipkinmodel.SpanModel
	if f == zipkinV2Proto {
		var err error
		if spans, err = zipkin_proto3.ParseSpans(body, debug); err != nil {
			return ptrace.Traces{}, err
		}
	} else if err := json.Unmarshal(body, &spans); err != nil {
		return ptrace.Traces{}, err
	}
	for _, s := range spans {
		if s != nil {
			normalizeStatusTag(s.Tags)
		}
	}
	return d.v2.ToTraces(spans)
}

// normalizeStatusTag rewrites otel.status_code "OK"/"ERROR", the values
// the OpenTelemetry Zipkin mapping (and so the OTel SDK exporters) write,
// to names the translator knows; it would otherwise drop an OK status.
func normalizeStatusTag(tags map[string]string) {
	switch tags["otel.status_code"] {
	case "OK":
		tags["otel.status_code"] = "STATUS_CODE_OK"
	case "ERROR":
		tags["otel.status_code"] = "STATUS_CODE_ERROR"
	case "UNSET":
		tags["otel.status_code"] = "STATUS_CODE_UNSET"
	}
}

// zipkinHandler serves POST /api/v2/spans and /api/v1/spans.
type zipkinHandler struct {
	*base
	maxBody int64
	dec     zipkinDecoder
}

func newZipkinHandler(b *base, cfg ZipkinConfig) http.Handler {
	return &zipkinHandler{base: b, maxBody: cfg.maxBodySize(), dec: newZipkinDecoder(cfg.ParseStringTags)}
}

func (h *zipkinHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !requirePOST(w, r) {
		return
	}
	tenant, ctx, err := h.tenants.fromHTTP(r)
	if err != nil {
		h.fail(Zipkin, err).writeText(w)
		return
	}
	body, _, err := readBody(w, r, h.maxBody, false)
	if err != nil {
		h.fail(Zipkin, err).writeText(w)
		return
	}
	td, err := guardDecode(func() (ptrace.Traces, error) {
		return h.dec.decode(zipkinFormatOf(r), r.Header.Get("X-B3-Flags") == "1", body)
	})
	if err != nil {
		h.fail(Zipkin, err).writeText(w)
		return
	}
	if err := h.push(ctx, Zipkin, tenant, td); err != nil {
		h.fail(Zipkin, err).writeText(w)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}
