package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/tempoctl/tempoctl/server/querier"
)

const (
	contentTypeJSON     = "application/json"
	contentTypeProtobuf = "application/protobuf"
)

// wantsProtobuf reads the Accept header (spec/http-api.md §0).
func wantsProtobuf(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), contentTypeProtobuf)
}

// textError writes Tempo's error shape: a one-line text/plain body.
func textError(w http.ResponseWriter, msg string, code int) {
	http.Error(w, strings.ReplaceAll(msg, "\n", " "), code)
}

func writeBody(w http.ResponseWriter, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// jsonString encodes s as a JSON string without HTML escaping.
func jsonString(s string) ([]byte, error) { return marshalJSON(s) }

// marshalJSON is json.Marshal without HTML escaping and without the
// trailing newline of an Encoder.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := marshalJSON(v)
	if err != nil {
		textError(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeBody(w, contentTypeJSON, b)
}

// statusClientClosed is the de-facto status for a request the client gave up.
const statusClientClosed = 499

// queryError maps a querier error to a status; prefix is put before the
// message of a bad request (e.g. "invalid TraceQL query: ").
func queryError(w http.ResponseWriter, r *http.Request, err error, prefix string) {
	var inv *querier.InvalidRequestError
	var tl *querier.TooLargeError
	var st interface{ HTTPStatus() int } // e.g. the frontend's 429
	switch {
	case errors.As(err, &inv):
		textError(w, prefix+inv.Error(), http.StatusBadRequest)
	case errors.As(err, &tl):
		textError(w, tl.Error(), http.StatusUnprocessableEntity)
	case errors.As(err, &st):
		textError(w, err.Error(), st.HTTPStatus())
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		textError(w, "context canceled", statusClientClosed)
	case errors.Is(err, context.DeadlineExceeded):
		textError(w, "deadline exceeded", http.StatusGatewayTimeout)
	default:
		textError(w, err.Error(), http.StatusInternalServerError)
	}
}
