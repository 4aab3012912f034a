package frontend

import (
	"context"
	"log/slog"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// A querier on its own finds its frontend by querier.frontend_worker.
// frontend_address (the frontend's gRPC port, as in Tempo) and registers
// there every RegisterInterval; the frontend then sends it jobs over HTTP.
// The registration is one unary call carrying the querier's HTTP address;
// its messages are protobuf's well-known wrappers, so no generated code.

const (
	registerMethod = "/tempoctl.frontend.v1.Frontend/RegisterQuerier"
	// An ingester in its own process registers the same way and is sent
	// the live parts of jobs.
	registerIngesterMethod = "/tempoctl.frontend.v1.Frontend/RegisterIngester"
	// RegisterInterval is how often a querier renews its registration; a
	// frontend forgets one not renewed for three intervals.
	RegisterInterval = 5 * time.Second
)

// Registrar takes registrations: *Remote, or a narrower one.
type Registrar interface {
	Register(addr string)
	RegisterIngester(addr string)
}

// RegisterQuerierService serves the registration on a gRPC server: each
// call registers (or renews) the caller's HTTP address with r. An
// unspecified host in the address is replaced by the caller's.
func RegisterQuerierService(s grpc.ServiceRegistrar, r Registrar) {
	s.RegisterService(&grpc.ServiceDesc{
		ServiceName: "tempoctl.frontend.v1.Frontend",
		HandlerType: (*Registrar)(nil),
		Methods: []grpc.MethodDesc{
			{MethodName: "RegisterQuerier", Handler: registerHandler(Registrar.Register)},
			{MethodName: "RegisterIngester", Handler: registerHandler(Registrar.RegisterIngester)},
		},
		Metadata: "tempoctl/frontend.proto",
	}, r)
}

// registerHandler decodes a registration and passes the caller's HTTP
// address to register (an unspecified host replaced by the caller's).
func registerHandler(register func(Registrar, string)) grpc.MethodHandler {
	return func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
		in := &wrapperspb.StringValue{}
		if err := dec(in); err != nil {
			return nil, err
		}
		addr := in.GetValue()
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			if p, ok := peer.FromContext(ctx); ok {
				if ph, _, err := net.SplitHostPort(p.Addr.String()); err == nil {
					addr = net.JoinHostPort(ph, port)
				}
			}
		}
		register(srv.(Registrar), addr)
		return &emptypb.Empty{}, nil
	}
}

// RegisterWithFrontend renews this querier's registration (its HTTP
// host:port) at the frontend's gRPC address until ctx ends.
func RegisterWithFrontend(ctx context.Context, frontendAddr, httpAddr string, log *slog.Logger) error {
	return registerLoop(ctx, registerMethod, frontendAddr, httpAddr, log)
}

// RegisterIngesterWithFrontend is RegisterWithFrontend for an ingester in
// its own process: the frontend sends it the live parts of jobs.
func RegisterIngesterWithFrontend(ctx context.Context, frontendAddr, httpAddr string, log *slog.Logger) error {
	return registerLoop(ctx, registerIngesterMethod, frontendAddr, httpAddr, log)
}

func registerLoop(ctx context.Context, method, frontendAddr, httpAddr string, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	conn, err := grpc.NewClient(frontendAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	failing := false
	for {
		cctx, cancel := context.WithTimeout(ctx, RegisterInterval)
		err := conn.Invoke(cctx, method, wrapperspb.String(httpAddr), &emptypb.Empty{})
		cancel()
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			log.Warn("cannot register with the query frontend; retrying", "frontend", frontendAddr, "err", err)
			failing = true
		case err == nil && failing:
			log.Info("registered with the query frontend", "frontend", frontendAddr)
			failing = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(RegisterInterval):
		}
	}
}
