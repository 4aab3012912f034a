package jaeger

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tempoctl/tempoctl/model"
)

// OTLPConfig configures the OTLP gRPC sink.
type OTLPConfig struct {
	Endpoint string // host:port
	Tenant   string // sent as X-Scope-OrgID ("" sends none)
	TLS      bool
	// SpansPerSecond limits the send rate (0: unlimited).
	SpansPerSecond float64
	// BatchBytes bounds one export request (default 3 MiB, under gRPC's
	// default 4 MiB receive limit).
	BatchBytes int
	// Timeout bounds one export (default 30s); Retries transient failures
	// (default 5), first waiting Backoff (default 500ms).
	Timeout time.Duration
	Retries int
	Backoff time.Duration
}

// OTLPSink sends traces to an OTLP gRPC endpoint (tempoctl serve, Tempo, a
// collector) with the tenant header and a rate limit. Delivery is at least
// once: a flush cut short by a crash is sent again on resume, which Tempo
// absorbs (identical spans are deduplicated when traces are combined).
type OTLPSink struct {
	cfg     OTLPConfig
	conn    *grpc.ClientConn
	client  ptraceotlp.GRPCClient
	limiter *rate.Limiter
	buf     []Trace
	bytes   int
	sizer   ptrace.ProtoMarshaler
}

// DefaultOTLPBatchBytes keeps requests under gRPC's 4 MiB default limit.
const DefaultOTLPBatchBytes = 3 << 20

// NewOTLPSink connects lazily (gRPC dials on first use).
func NewOTLPSink(cfg OTLPConfig) (*OTLPSink, error) {
	if cfg.BatchBytes <= 0 {
		cfg.BatchBytes = DefaultOTLPBatchBytes
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Retries == 0 {
		cfg.Retries = 5
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	creds := insecure.NewCredentials()
	if cfg.TLS {
		creds = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	}
	conn, err := grpc.NewClient(cfg.Endpoint, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, fmt.Errorf("OTLP endpoint %q: %w", cfg.Endpoint, err)
	}
	s := &OTLPSink{cfg: cfg, conn: conn, client: ptraceotlp.NewGRPCClient(conn)}
	if cfg.SpansPerSecond > 0 {
		burst := max(int(cfg.SpansPerSecond), 1)
		s.limiter = rate.NewLimiter(rate.Limit(cfg.SpansPerSecond), burst)
	}
	return s, nil
}

func (s *OTLPSink) Describe() string { return "otlp " + s.cfg.Endpoint + " tenant " + s.cfg.Tenant }

func (s *OTLPSink) Add(tr Trace) {
	s.buf = append(s.buf, tr)
	s.bytes += s.sizer.TracesSize(tr.Data)
}

func (s *OTLPSink) Full() bool    { return s.bytes >= s.cfg.BatchBytes }
func (s *OTLPSink) Buffered() int { return len(s.buf) }

// Flush sends the buffer in requests of at most BatchBytes. A request the
// endpoint refuses for good is resent trace by trace so one bad trace is
// skipped (and reported) without the others.
func (s *OTLPSink) Flush(ctx context.Context) (FlushResult, error) {
	var res FlushResult
	for len(s.buf) > 0 {
		n, size := 0, 0
		for n < len(s.buf) && (n == 0 || size+s.sizer.TracesSize(s.buf[n].Data) <= s.cfg.BatchBytes) {
			size += s.sizer.TracesSize(s.buf[n].Data)
			n++
		}
		batch := s.buf[:n]
		err := s.send(ctx, batch, &res)
		if err != nil && isPermanent(err) && len(batch) > 1 {
			for _, tr := range batch {
				if err := s.send(ctx, []Trace{tr}, &res); err != nil {
					if !isPermanent(err) {
						return res, err
					}
					res.Skipped = append(res.Skipped, Skip{What: "trace " + tr.ID.String(), Reason: "refused by the OTLP endpoint: " + err.Error()})
				}
			}
		} else if err != nil && isPermanent(err) {
			res.Skipped = append(res.Skipped, Skip{What: "trace " + batch[0].ID.String(), Reason: "refused by the OTLP endpoint: " + err.Error()})
		} else if err != nil {
			return res, err
		}
		res.Bytes += uint64(size)
		s.buf = s.buf[n:]
	}
	s.buf, s.bytes = nil, 0
	return res, nil
}

func (s *OTLPSink) send(ctx context.Context, batch []Trace, res *FlushResult) error {
	td := ptrace.NewTraces()
	spans := 0
	for _, tr := range batch {
		rss := tr.Data.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			rss.At(i).CopyTo(td.ResourceSpans().AppendEmpty())
		}
		spans += tr.Data.SpanCount()
	}
	if err := s.wait(ctx, spans); err != nil {
		return err
	}
	if s.cfg.Tenant != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "x-scope-orgid", s.cfg.Tenant)
	}
	delay := s.cfg.Backoff
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		resp, err := s.client.Export(actx, ptraceotlp.NewExportRequestFromTraces(td))
		cancel()
		if err == nil {
			if ps := resp.PartialSuccess(); ps.RejectedSpans() > 0 {
				res.Skipped = append(res.Skipped, Skip{What: fmt.Sprintf("%d span(s) of %d trace(s) starting %s", ps.RejectedSpans(), len(batch), batch[0].ID),
					Reason: "rejected by the OTLP endpoint: " + ps.ErrorMessage()})
			}
			return nil
		}
		if isPermanent(err) || attempt >= s.cfg.Retries || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 30*time.Second)
	}
}

// wait takes n spans from the rate limiter, in bursts it can grant.
func (s *OTLPSink) wait(ctx context.Context, n int) error {
	if s.limiter == nil {
		return nil
	}
	for n > 0 {
		k := min(n, s.limiter.Burst())
		if err := s.limiter.WaitN(ctx, k); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

func isPermanent(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.ResourceExhausted, codes.DeadlineExceeded, codes.Aborted, codes.Canceled, codes.Internal, codes.Unknown:
		return false
	}
	return true
}

func (s *OTLPSink) Has(context.Context, model.TraceID) (bool, bool, error) { return false, false, nil }

func (s *OTLPSink) Close(context.Context) error { return s.conn.Close() }
