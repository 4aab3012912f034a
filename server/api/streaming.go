package api

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/grafana/dskit/user"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tempoctl/tempoctl/server/querier"
	"github.com/tempoctl/tempoctl/server/tempopb"
	"github.com/tempoctl/tempoctl/traceql"
)

// TenantMetadataKey carries the tenant of a gRPC query.
const TenantMetadataKey = "x-scope-orgid"

// RegisterStreaming serves tempopb.StreamingQuerier (spec/http-api.md §8)
// over q on s. Requests mean what the HTTP parameters mean and the last
// message of a stream is the HTTP API's answer; before it, about every
// StreamInterval, a message carries what is new since the previous one and
// the metrics so far.
func RegisterStreaming(s grpc.ServiceRegistrar, q Querier, opts Options) {
	tempopb.RegisterStreamingQuerierServer(s, &streamer{h: &handlers{q: q, opts: opts.withDefaults()}})
}

type streamer struct{ h *handlers }

var _ tempopb.StreamingQuerierServer = (*streamer)(nil)

// tenants reads the tenant from the metadata, with the HTTP API's rules.
func (s *streamer) tenants(ctx context.Context) ([]string, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	ids, err := s.h.tenantsOf(ctx, md.Get(TenantMetadataKey))
	switch {
	case err == nil:
		return ids, nil
	case errors.Is(err, user.ErrNoOrgID) || errors.Is(err, user.ErrTooManyOrgIDs):
		return nil, status.Error(codes.Unauthenticated, err.Error())
	default:
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
}

// statusOf maps a querier error as queryError does for HTTP.
func statusOf(err error, prefix string) error {
	var inv *querier.InvalidRequestError
	switch {
	case errors.As(err, &inv):
		return status.Error(codes.InvalidArgument, prefix+inv.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "context canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	default:
		return status.Error(codes.Internal, err.Error())
	}
}

func invalid(err error) error { return status.Error(codes.InvalidArgument, err.Error()) }

// windowOf reads start/end seconds of a request: 0 and 0 is the recent
// window, as when the HTTP parameters are absent.
func (h *handlers) windowOf(start, end uint32) (time.Time, time.Time, error) {
	switch {
	case start == 0 && end == 0:
		s, e := h.recentWindow()
		return s, e, nil
	case start == 0 || end == 0:
		return time.Time{}, time.Time{}, errOnlyOneOfStartEnd
	}
	return h.window(uint64(start), uint64(end))
}

// run does work while sending progress every StreamInterval. Sends happen
// only on this goroutine (a gRPC stream is not safe for concurrent sends);
// a failed send (the client went away) cancels the work.
func (s *streamer) run(ctx context.Context, work func(context.Context) error, progress func() error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- work(ctx) }()
	t := time.NewTicker(s.h.opts.StreamInterval)
	defer t.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-t.C:
			if err := progress(); err != nil {
				cancel()
				<-done
				return err
			}
		}
	}
}

// sendAll sends the packets of one message.
func sendAll[T any](srv grpc.ServerStreamingServer[T], packets []*T) error {
	for _, p := range packets {
		if err := srv.Send(p); err != nil {
			return err
		}
	}
	return nil
}

func (h *handlers) searchFromProto(in *tempopb.SearchRequest) (querier.SearchRequest, error) {
	req := querier.SearchRequest{Query: strings.TrimSpace(in.Query)}
	if req.Query != "" && len(in.Tags) > 0 {
		return req, errTagsAndQuery
	}
	if req.Query == "" && len(in.Tags) > 0 {
		req.Tags = in.Tags
	}
	req.MinDuration = time.Duration(in.MinDurationMs) * time.Millisecond
	req.MaxDuration = time.Duration(in.MaxDurationMs) * time.Millisecond
	// Limit 0 is the default; SpansPerSpanSet is always given (0 = unlimited).
	if err := h.checkSearch(&req, int(in.Limit), in.Limit != 0, int(in.SpansPerSpanSet), true); err != nil {
		return req, err
	}
	var err error
	req.Start, req.End, err = h.windowOf(in.Start, in.End)
	return req, err
}

// Search streams the traces new or changed since the previous message,
// then the complete result.
func (s *streamer) Search(in *tempopb.SearchRequest, srv grpc.ServerStreamingServer[tempopb.SearchResponse]) error {
	ctx := srv.Context()
	tenants, err := s.tenants(ctx)
	if err != nil {
		return err
	}
	req, err := s.h.searchFromProto(in)
	if err != nil {
		return invalid(err)
	}
	p := &querier.SearchProgress{}
	req.Progress = p
	max := s.h.opts.MaxStreamPacketSize
	var (
		final *traceql.SearchResponse
		sent  traceql.SearchMetrics
	)
	err = s.run(ctx, func(ctx context.Context) error {
		resp, err := s.h.searchTenants(ctx, tenants, req)
		if err != nil {
			return statusOf(err, searchErrorPrefix(req))
		}
		final = resp
		return nil
	}, func() error {
		traces, m := p.Diff()
		if len(traces) == 0 && m == sent {
			return nil
		}
		sent = m
		diff := &tempopb.SearchResponse{Traces: traces, Metrics: &m}
		return sendAll(srv, diff.Split(max))
	})
	if err != nil {
		return err
	}
	return sendAll(srv, (*tempopb.SearchResponse)(final).Split(max))
}

func (h *handlers) tagsFromProto(in *tempopb.SearchTagsRequest) (querier.TagsRequest, error) {
	req := querier.TagsRequest{Scope: in.Scope, Query: in.Query,
		Limit: int(in.MaxTagsPerScope), MaxStaleValues: int(in.StaleValuesThreshold)}
	if !querier.ValidScope(req.Scope) {
		return req, errors.New("invalid scope: " + req.Scope)
	}
	var err error
	req.Start, req.End, err = h.windowOf(in.Start, in.End)
	return req, err
}

// tagNames runs a tag-names query, sending names as they are found (each
// once), then calls final with the complete answer.
func (s *streamer) tagNames(ctx context.Context, in *tempopb.SearchTagsRequest, partial func(scopes map[string][]string, bytes uint64) error, final func(scopes map[string][]string, bytes uint64) error) error {
	tenants, err := s.tenants(ctx)
	if err != nil {
		return err
	}
	req, err := s.h.tagsFromProto(in)
	if err != nil {
		return invalid(err)
	}
	p := &querier.TagProgress{}
	req.Progress = p
	var (
		scopes    map[string][]string
		bytes     uint64
		sent      = map[string]map[string]bool{}
		sentBytes uint64
	)
	err = s.run(ctx, func(ctx context.Context) error {
		var err error
		if scopes, bytes, err = s.h.tagNames(ctx, tenants, req); err != nil {
			return statusOf(err, "")
		}
		return nil
	}, func() error {
		found, n := p.Names()
		news := map[string][]string{}
		changed := false
		for scope, names := range found {
			if sent[scope] == nil {
				sent[scope] = map[string]bool{}
			}
			for _, name := range names {
				if !sent[scope][name] {
					sent[scope][name] = true
					news[scope] = append(news[scope], name)
					changed = true
				}
			}
		}
		if !changed && n == sentBytes {
			return nil
		}
		sentBytes = n
		return partial(news, n)
	})
	if err != nil {
		return err
	}
	return final(scopes, bytes)
}

// SearchTags streams tag names as one flat list.
func (s *streamer) SearchTags(in *tempopb.SearchTagsRequest, srv grpc.ServerStreamingServer[tempopb.SearchTagsResponse]) error {
	send := func(scopes map[string][]string, bytes uint64) error {
		resp := tagsV1{TagNames: flatNames(scopes, in.Scope), Metrics: metadataMetrics{InspectedBytes: bytes}}
		return sendAll(srv, resp.proto().Split(s.h.opts.MaxStreamPacketSize))
	}
	return s.tagNames(srv.Context(), in, send, send)
}

// SearchTagsV2 streams tag names by scope.
func (s *streamer) SearchTagsV2(in *tempopb.SearchTagsRequest, srv grpc.ServerStreamingServer[tempopb.SearchTagsV2Response]) error {
	send := func(scopes map[string][]string, bytes uint64) error {
		resp := tagsV2{Scopes: scopesInOrder(scopes), Metrics: metadataMetrics{InspectedBytes: bytes}}
		return sendAll(srv, resp.proto().Split(s.h.opts.MaxStreamPacketSize))
	}
	return s.tagNames(srv.Context(), in, send, send)
}

func (h *handlers) tagValuesFromProto(in *tempopb.SearchTagValuesRequest, v2 bool) (querier.TagValuesRequest, error) {
	req := querier.TagValuesRequest{Query: in.Query, Limit: int(in.MaxTagValues), MaxStaleValues: int(in.StaleValueThreshold)}
	if in.TagName == "" {
		return req, errors.New("please provide a non-empty tagName")
	}
	if v2 {
		attr, err := tagNameV2(in.TagName)
		if err != nil {
			return req, err
		}
		req.Tag = attr
	} else {
		req.V1, req.Name = true, in.TagName
	}
	var err error
	req.Start, req.End, err = h.windowOf(in.Start, in.End)
	return req, err
}

// tagValues runs a tag-values query, sending values as they are found
// (each once), then calls final with the complete answer.
func (s *streamer) tagValues(ctx context.Context, in *tempopb.SearchTagValuesRequest, v2 bool, send func(vals []querier.TagValue, bytes uint64) error) error {
	tenants, err := s.tenants(ctx)
	if err != nil {
		return err
	}
	req, err := s.h.tagValuesFromProto(in, v2)
	if err != nil {
		return invalid(err)
	}
	p := &querier.TagProgress{}
	req.Progress = p
	var (
		vals      []querier.TagValue
		bytes     uint64
		sent      = map[querier.TagValue]bool{}
		sentBytes uint64
	)
	err = s.run(ctx, func(ctx context.Context) error {
		var err error
		if vals, bytes, err = s.h.tagValuesOf(ctx, tenants, req); err != nil {
			return statusOf(err, "")
		}
		return nil
	}, func() error {
		found, n := p.Values()
		var news []querier.TagValue
		for _, v := range found {
			if !sent[v] {
				sent[v] = true
				news = append(news, v)
			}
		}
		if len(news) == 0 && n == sentBytes {
			return nil
		}
		sentBytes = n
		return send(news, n)
	})
	if err != nil {
		return err
	}
	return send(vals, bytes)
}

// SearchTagValues streams the string values of a raw attribute name.
func (s *streamer) SearchTagValues(in *tempopb.SearchTagValuesRequest, srv grpc.ServerStreamingServer[tempopb.SearchTagValuesResponse]) error {
	return s.tagValues(srv.Context(), in, false, func(vals []querier.TagValue, bytes uint64) error {
		resp := tagValuesV1{Metrics: metadataMetrics{InspectedBytes: bytes}}
		for _, v := range vals {
			resp.TagValues = append(resp.TagValues, v.Value)
		}
		return sendAll(srv, resp.proto().Split(s.h.opts.MaxStreamPacketSize))
	})
}

// SearchTagValuesV2 streams the typed values of a TraceQL identifier.
func (s *streamer) SearchTagValuesV2(in *tempopb.SearchTagValuesRequest, srv grpc.ServerStreamingServer[tempopb.SearchTagValuesV2Response]) error {
	return s.tagValues(srv.Context(), in, true, func(vals []querier.TagValue, bytes uint64) error {
		resp := tagValuesV2{TagValues: vals, Metrics: metadataMetrics{InspectedBytes: bytes}}
		return sendAll(srv, resp.proto().Split(s.h.opts.MaxStreamPacketSize))
	})
}

const errNoMetrics = "TraceQL metrics are not supported by tempoctl: "

// MetricsQueryRange is not built: TraceQL metrics are not in tempoctl.
func (s *streamer) MetricsQueryRange(*tempopb.QueryRangeRequest, grpc.ServerStreamingServer[tempopb.RawMessage]) error {
	return status.Error(codes.Unimplemented, errNoMetrics+"MetricsQueryRange is not implemented")
}

// MetricsQueryInstant is not built: TraceQL metrics are not in tempoctl.
func (s *streamer) MetricsQueryInstant(*tempopb.QueryInstantRequest, grpc.ServerStreamingServer[tempopb.RawMessage]) error {
	return status.Error(codes.Unimplemented, errNoMetrics+"MetricsQueryInstant is not implemented")
}
