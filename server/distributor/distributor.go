package distributor

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"golang.org/x/time/rate"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tempoctl/tempoctl/model/otlpwire"
	"github.com/tempoctl/tempoctl/server/overrides"
	"github.com/tempoctl/tempoctl/server/pusher"
)

// PushRoute is the route label of ingest pushes in tempo_request_duration_seconds.
const PushRoute = "/tempo.Pusher/PushSpans"

// Distributor validates pushes, applies the tenant's rate limit and forwards
// to the ingester. It refuses rather than drops: a limit gives the client a
// retryable error and nothing of the request is kept.
type Distributor struct {
	next   pusher.Pusher
	limits *overrides.Overrides

	mu       sync.Mutex
	limiters map[string]*rate.Limiter

	// maxAttributeBytes is distributor.max_attribute_bytes: longer
	// attribute keys and string values are truncated (0: no limit).
	maxAttributeBytes int

	spansReceived *prometheus.CounterVec
	bytesReceived *prometheus.CounterVec
	discarded     *prometheus.CounterVec
	truncated     *prometheus.CounterVec
	observe       func(route, code string, d time.Duration)
}

// New returns a distributor that forwards to next. observe records each push
// in tempo_request_duration_seconds (nil: not recorded).
func New(next pusher.Pusher, limits *overrides.Overrides, reg prometheus.Registerer, observe func(route, code string, d time.Duration)) *Distributor {
	f := promauto.With(reg)
	return &Distributor{
		next: next, limits: limits, limiters: map[string]*rate.Limiter{}, observe: observe, maxAttributeBytes: DefaultMaxAttributeBytes,
		spansReceived: f.NewCounterVec(prometheus.CounterOpts{Name: "tempo_distributor_spans_received_total", Help: "Spans received per tenant."}, []string{"tenant"}),
		bytesReceived: f.NewCounterVec(prometheus.CounterOpts{Name: "tempo_distributor_bytes_received_total", Help: "Bytes of spans received per tenant."}, []string{"tenant"}),
		discarded:     f.NewCounterVec(prometheus.CounterOpts{Name: "tempo_discarded_spans_total", Help: "Spans refused, by reason and tenant."}, []string{"reason", "tenant"}),
		truncated:     f.NewCounterVec(prometheus.CounterOpts{Name: "tempo_distributor_attributes_truncated_total", Help: "Attribute keys and values truncated to max_attribute_bytes, per tenant."}, []string{"tenant"}),
	}
}

// SetMaxAttributeBytes sets distributor.max_attribute_bytes (default
// DefaultMaxAttributeBytes; 0 or less: no limit). Call it before the first
// Push.
func (d *Distributor) SetMaxAttributeBytes(n int) { d.maxAttributeBytes = max(n, 0) }

// Push implements pusher.Pusher for the receivers. The batch was checked by
// otlpwire.Parse (IDs, structure): what is left are the tenant's limits.
func (d *Distributor) Push(ctx context.Context, tenant string, b *otlpwire.Batch) (err error) {
	start := time.Now()
	defer func() {
		code := "200"
		if err != nil {
			code = "500"
			if _, ok := err.(*pusher.LimitError); ok {
				code = "429"
			} else if s, ok := status.FromError(err); ok && s.Code() == codes.InvalidArgument {
				code = "400"
			}
		}
		if d.observe != nil {
			d.observe(PushRoute, code, time.Since(start))
		}
	}()
	if m := d.maxAttributeBytes; m > 0 && b.LargestAttribute > m {
		// Truncated, not refused; the limits below apply to what is kept.
		nb, n, terr := truncateAttributes(b, m)
		if terr != nil {
			return status.Errorf(codes.Internal, "truncate attributes: %v", terr)
		}
		if n > 0 {
			b = nb
			d.truncated.WithLabelValues(tenant).Add(float64(n))
		}
	}
	spans := b.SpanCount
	size := len(b.Raw)
	l := d.limits.For(tenant)
	if l.IngestionRateLimitBytes > 0 && !d.limiter(tenant, l).AllowN(time.Now(), size) {
		d.discarded.WithLabelValues("rate_limited", tenant).Add(float64(spans))
		return &pusher.LimitError{Tenant: tenant, Limit: "ingestion_rate_limit_bytes",
			Detail: fmt.Sprintf("%d bytes/s (burst %d); this request is %d bytes", l.IngestionRateLimitBytes, l.IngestionBurstSizeBytes, size)}
	}
	if l.MaxBytesPerTrace > 0 && size > l.MaxBytesPerTrace {
		// Cheap bound: the whole request; a single trace cannot be larger.
		if err := checkTraceSizes(b, l.MaxBytesPerTrace); err != nil {
			d.discarded.WithLabelValues("trace_too_large", tenant).Add(float64(spans))
			return &pusher.LimitError{Tenant: tenant, Limit: "max_bytes_per_trace", Detail: err.Error()}
		}
	}
	if err := d.next.Push(ctx, tenant, b); err != nil {
		if le, ok := err.(*pusher.LimitError); ok {
			reason := "live_traces_exceeded"
			if le.Limit == "max_bytes_per_trace" {
				reason = "trace_too_large"
			}
			d.discarded.WithLabelValues(reason, tenant).Add(float64(spans))
		}
		return err
	}
	d.spansReceived.WithLabelValues(tenant).Add(float64(spans))
	d.bytesReceived.WithLabelValues(tenant).Add(float64(size))
	return nil
}

// Discarded counts spans refused before they reached Push (a receiver
// found the request invalid).
func (d *Distributor) Discarded(tenant, reason string, spans int) {
	d.discarded.WithLabelValues(reason, tenant).Add(float64(spans))
}

func (d *Distributor) limiter(tenant string, l overrides.Limits) *rate.Limiter {
	d.mu.Lock()
	defer d.mu.Unlock()
	lim := d.limiters[tenant]
	burst := max(l.IngestionBurstSizeBytes, l.IngestionRateLimitBytes)
	if lim == nil {
		lim = rate.NewLimiter(rate.Limit(l.IngestionRateLimitBytes), burst)
		d.limiters[tenant] = lim
	} else if lim.Limit() != rate.Limit(l.IngestionRateLimitBytes) || lim.Burst() != burst {
		lim.SetLimit(rate.Limit(l.IngestionRateLimitBytes))
		lim.SetBurst(burst)
	}
	return lim
}
