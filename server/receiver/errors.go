package receiver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/server/pusher"
)

// DefaultRetryAfter is Tempo's distributor.retry_after_on_resource_exhausted.
const DefaultRetryAfter = 5 * time.Second

// badRequestError is a payload we cannot decode: 400 / InvalidArgument.
type badRequestError struct{ err error }

func (e *badRequestError) Error() string { return e.err.Error() }
func (e *badRequestError) Unwrap() error { return e.err }

func badRequest(err error) error { return &badRequestError{err} }

// failure is how a receiver answers an error, in both transports' terms.
type failure struct {
	code       codes.Code
	httpStatus int
	msg        string
	retryAfter time.Duration // 0: no retry hint
}

// classify maps an error from decoding, tenant resolution or Push to a
// response. Push errors that carry a gRPC status (a remote distributor's)
// keep their code, so a client sees the same answer on either path.
func classify(err error, retryAfter time.Duration) failure {
	var (
		limitErr  *pusher.LimitError
		tenantErr *tenantError
		badReq    *badRequestError
		tooLarge  *bodyTooLargeError
		encErr    *unsupportedEncodingError
		invalid   *otlpwire.InvalidError
		malformed *otlpwire.MalformedError
	)
	switch {
	case errors.As(err, &limitErr):
		return failure{codes.ResourceExhausted, http.StatusTooManyRequests, err.Error(), retryAfter}
	case errors.As(err, &tenantErr):
		return failure{codes.Unauthenticated, http.StatusUnauthorized, err.Error(), 0}
	case errors.As(err, &badReq), errors.As(err, &invalid), errors.As(err, &malformed):
		return failure{codes.InvalidArgument, http.StatusBadRequest, err.Error(), 0}
	case errors.As(err, &tooLarge):
		return failure{codes.ResourceExhausted, http.StatusRequestEntityTooLarge, err.Error(), 0}
	case errors.As(err, &encErr):
		return failure{codes.InvalidArgument, http.StatusUnsupportedMediaType, err.Error(), 0}
	case errors.Is(err, context.Canceled):
		return failure{codes.Canceled, 499, err.Error(), 0}
	case errors.Is(err, context.DeadlineExceeded):
		return failure{codes.DeadlineExceeded, http.StatusGatewayTimeout, err.Error(), 0}
	}
	if st, ok := status.FromError(err); ok && st.Code() != codes.Unknown {
		f := failure{code: st.Code(), msg: st.Message()}
		switch st.Code() {
		case codes.InvalidArgument, codes.OutOfRange, codes.FailedPrecondition:
			f.httpStatus = http.StatusBadRequest
		case codes.Unauthenticated:
			f.httpStatus = http.StatusUnauthorized
		case codes.PermissionDenied:
			f.httpStatus = http.StatusForbidden
		case codes.ResourceExhausted:
			f.httpStatus, f.retryAfter = http.StatusTooManyRequests, retryAfter
		case codes.Unavailable, codes.Aborted:
			f.httpStatus, f.retryAfter = http.StatusServiceUnavailable, retryAfter
		case codes.DeadlineExceeded:
			f.httpStatus = http.StatusGatewayTimeout
		default:
			f.httpStatus = http.StatusInternalServerError
		}
		return f
	}
	return failure{codes.Internal, http.StatusInternalServerError, err.Error(), 0}
}

// grpcStatus is the failure as a gRPC status; a retry hint travels as
// RetryInfo, which OTLP exporters honour for RESOURCE_EXHAUSTED.
func (f failure) grpcStatus() *status.Status {
	st := status.New(f.code, f.msg)
	if f.retryAfter > 0 {
		if withInfo, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(f.retryAfter)}); err == nil {
			st = withInfo
		}
	}
	return st
}

// setRetryAfter writes the Retry-After header (whole seconds, at least 1).
func (f failure) setRetryAfter(h http.Header) {
	if f.retryAfter <= 0 {
		return
	}
	secs := int64((f.retryAfter + time.Second - 1) / time.Second)
	h.Set("Retry-After", strconv.FormatInt(secs, 10))
}

// writeText answers with the plain-text body used by the Zipkin and Jaeger
// endpoints (and OTLP/HTTP before its encoding is known).
func (f failure) writeText(w http.ResponseWriter) {
	f.setRetryAfter(w.Header())
	http.Error(w, f.msg, f.httpStatus)
}

// guardDecode runs a decoder (ours or a translator's) so that a panic on
// hostile input becomes a 400 rather than a dropped connection or, on
// gRPC, a crashed process. Fuzz tests call the decoders without it, so
// such panics are still found and fixed.
func guardDecode(decode func() (ptrace.Traces, error)) (td ptrace.Traces, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = badRequest(fmt.Errorf("malformed payload: %v", p))
		}
	}()
	return decode()
}
