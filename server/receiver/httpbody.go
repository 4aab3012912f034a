package receiver

import (
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/tempoctl/tempoctl/internal/slab"
)

// bodyTooLargeError is a body over the receiver's limit: 413.
type bodyTooLargeError struct{ limit int64 }

func (e *bodyTooLargeError) Error() string {
	return fmt.Sprintf("request body too large: limit is %d bytes", e.limit)
}

// unsupportedEncodingError is a Content-Encoding we cannot undo: 415.
type unsupportedEncodingError struct{ encoding string }

func (e *unsupportedEncodingError) Error() string {
	return fmt.Sprintf("unsupported Content-Encoding %q: supported are gzip, deflate, identity", e.encoding)
}

// readBody reads the request body, undoing Content-Encoding. The limit
// applies to the compressed and to the decompressed size, so a small
// gzip bomb cannot make us allocate without bound. A body the write path
// keeps as received (kept) goes into slab.Requests when its length is
// known; a body only decoded must not pin a slab.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, kept bool) ([]byte, slab.Ref, error) {
	if r.ContentLength > limit {
		return nil, slab.Ref{}, &bodyTooLargeError{limit}
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, limit)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		if kept && r.ContentLength > 0 {
			b, ref := slab.Requests.Alloc(int(r.ContentLength))
			if err := readSized(body, b, limit); err != nil {
				ref.Release()
				return nil, slab.Ref{}, err
			}
			return b, ref, nil
		}
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, slab.Ref{}, decodeBodyError("gzip", err, limit)
		}
		defer zr.Close()
		body = zr
	case "deflate":
		// HTTP "deflate" is zlib-wrapped (RFC 9110 §8.4.1.2).
		zr, err := zlib.NewReader(body)
		if err != nil {
			return nil, slab.Ref{}, decodeBodyError("deflate", err, limit)
		}
		defer zr.Close()
		body = zr
	default:
		return nil, slab.Ref{}, &unsupportedEncodingError{enc}
	}
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, slab.Ref{}, decodeBodyError("body", err, limit)
	}
	if int64(len(b)) > limit {
		return nil, slab.Ref{}, &bodyTooLargeError{limit}
	}
	return b, slab.Ref{}, nil
}

// readSized reads a body of known length into b (net/http ends the body at
// its Content-Length; a shorter one is an unexpected EOF).
func readSized(body io.Reader, b []byte, limit int64) error {
	if _, err := io.ReadFull(body, b); err != nil {
		return decodeBodyError("body", err, limit)
	}
	return nil
}

func decodeBodyError(what string, err error, limit int64) error {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return &bodyTooLargeError{limit}
	}
	return badRequest(fmt.Errorf("read %s: %w", what, err))
}

// mediaType is the lower-cased media type of Content-Type, without
// parameters such as charset.
func mediaType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		// Keep what is before ';' so "application/json;" still works.
		mt, _, _ = strings.Cut(ct, ";")
	}
	return strings.ToLower(strings.TrimSpace(mt))
}

// requirePOST answers 405 for any other method and reports whether the
// request may proceed.
func requirePOST(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodPost {
		return true
	}
	w.Header().Set("Allow", http.MethodPost)
	http.Error(w, fmt.Sprintf("method %s not allowed, use POST", r.Method), http.StatusMethodNotAllowed)
	return false
}
