package receiver

import (
	"bytes"
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Default listen addresses, used when a receiver is enabled without an
// endpoint. All interfaces, because serve usually runs in a container.
const (
	DefaultOTLPGRPCEndpoint         = "0.0.0.0:4317"
	DefaultOTLPHTTPEndpoint         = "0.0.0.0:4318"
	DefaultZipkinEndpoint           = "0.0.0.0:9411"
	DefaultJaegerThriftHTTPEndpoint = "0.0.0.0:14268"
	DefaultJaegerGRPCEndpoint       = "0.0.0.0:14250"

	// DefaultMaxRecvMsgSizeMiB is gRPC's own default, as in the collector.
	DefaultMaxRecvMsgSizeMiB = 4
	// DefaultMaxRequestBodySize is the collector's confighttp default.
	DefaultMaxRequestBodySize = 20 << 20
	// DefaultOTLPTracesPath is the OTLP/HTTP traces path.
	DefaultOTLPTracesPath = "/v1/traces"
)

// Config is `distributor.receivers`, in the OpenTelemetry Collector syntax
// that Tempo accepts. A receiver (or protocol) is enabled when its key is
// present, even with an empty value (`zipkin:`).
type Config struct {
	OTLP   *OTLPConfig   `yaml:"otlp,omitempty"`
	Zipkin *ZipkinConfig `yaml:"zipkin,omitempty"`
	Jaeger *JaegerConfig `yaml:"jaeger,omitempty"`
}

// OTLPConfig is `receivers.otlp`.
type OTLPConfig struct {
	Protocols OTLPProtocols `yaml:"protocols"`
}

// OTLPProtocols is `receivers.otlp.protocols`.
type OTLPProtocols struct {
	GRPC *GRPCServerConfig `yaml:"grpc,omitempty"`
	HTTP *OTLPHTTPConfig   `yaml:"http,omitempty"`
}

// OTLPHTTPConfig is `receivers.otlp.protocols.http`.
type OTLPHTTPConfig struct {
	HTTPServerConfig `yaml:",inline"`
	// TracesURLPath is the collector's `traces_url_path`; default /v1/traces.
	TracesURLPath string `yaml:"traces_url_path,omitempty"`
}

// ZipkinConfig is `receivers.zipkin`.
type ZipkinConfig struct {
	HTTPServerConfig `yaml:",inline"`
	// ParseStringTags turns string tags that look like numbers or booleans
	// into typed attributes (the collector's `parse_string_tags`).
	ParseStringTags bool `yaml:"parse_string_tags,omitempty"`
}

// JaegerConfig is `receivers.jaeger`.
type JaegerConfig struct {
	Protocols JaegerProtocols `yaml:"protocols"`
}

// JaegerProtocols is `receivers.jaeger.protocols`.
type JaegerProtocols struct {
	GRPC       *GRPCServerConfig `yaml:"grpc,omitempty"`
	ThriftHTTP *HTTPServerConfig `yaml:"thrift_http,omitempty"`
	// The UDP agent protocols are accepted in the YAML so that the error can
	// say they are unsupported instead of "unknown key".
	ThriftCompact *UDPServerConfig `yaml:"thrift_compact,omitempty"`
	ThriftBinary  *UDPServerConfig `yaml:"thrift_binary,omitempty"`
}

// HTTPServerConfig is the subset of the collector's confighttp we honour.
type HTTPServerConfig struct {
	Endpoint string `yaml:"endpoint,omitempty"`
	// MaxRequestBodySize bounds the body in bytes, before and after
	// decompression; larger requests get 413.
	MaxRequestBodySize int64 `yaml:"max_request_body_size,omitempty"`
}

// GRPCServerConfig is the subset of the collector's configgrpc we honour.
type GRPCServerConfig struct {
	Endpoint          string `yaml:"endpoint,omitempty"`
	MaxRecvMsgSizeMiB int    `yaml:"max_recv_msg_size_mib,omitempty"`
}

// UDPServerConfig is the shape of the Jaeger agent protocols (unsupported).
type UDPServerConfig struct {
	Endpoint string `yaml:"endpoint,omitempty"`
}

// DefaultConfig enables every supported receiver on its standard port, the
// way serve runs without a config file.
func DefaultConfig() Config {
	return Config{
		OTLP: &OTLPConfig{Protocols: OTLPProtocols{
			GRPC: &GRPCServerConfig{},
			HTTP: &OTLPHTTPConfig{},
		}},
		Zipkin: &ZipkinConfig{},
		Jaeger: &JaegerConfig{Protocols: JaegerProtocols{
			GRPC:       &GRPCServerConfig{},
			ThriftHTTP: &HTTPServerConfig{},
		}},
	}
}

// ParseConfig decodes the receivers section from the generic form the
// distributor config holds (map[string]any). Unknown keys are errors.
func ParseConfig(raw map[string]any) (Config, error) {
	var cfg Config
	if len(raw) == 0 {
		return cfg, nil
	}
	b, err := yaml.Marshal(raw)
	if err != nil {
		return cfg, fmt.Errorf("distributor.receivers: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("distributor.receivers: %w", err)
	}
	return cfg, cfg.Validate()
}

// Validate reports configurations serve cannot honour.
func (c Config) Validate() error {
	var errs []error
	if c.OTLP != nil && c.OTLP.Protocols.GRPC == nil && c.OTLP.Protocols.HTTP == nil {
		errs = append(errs, errors.New("receivers.otlp: must enable at least one protocol (grpc, http)"))
	}
	if c.Jaeger != nil {
		p := c.Jaeger.Protocols
		if p.ThriftCompact != nil {
			errs = append(errs, errors.New("receivers.jaeger.protocols.thrift_compact: the UDP agent protocol is not supported; use thrift_http, grpc or OTLP"))
		}
		if p.ThriftBinary != nil {
			errs = append(errs, errors.New("receivers.jaeger.protocols.thrift_binary: the UDP agent protocol is not supported; use thrift_http, grpc or OTLP"))
		}
		if p.GRPC == nil && p.ThriftHTTP == nil && p.ThriftCompact == nil && p.ThriftBinary == nil {
			errs = append(errs, errors.New("receivers.jaeger: must enable at least one protocol (thrift_http, grpc)"))
		}
	}
	for name, g := range map[string]*GRPCServerConfig{"otlp.protocols.grpc": c.otlpGRPC(), "jaeger.protocols.grpc": c.jaegerGRPC()} {
		if g != nil && g.MaxRecvMsgSizeMiB < 0 {
			errs = append(errs, fmt.Errorf("receivers.%s.max_recv_msg_size_mib: must not be negative", name))
		}
	}
	for name, h := range map[string]*HTTPServerConfig{"otlp.protocols.http": c.otlpHTTP(), "zipkin": c.zipkin(), "jaeger.protocols.thrift_http": c.jaegerThriftHTTP()} {
		if h != nil && h.MaxRequestBodySize < 0 {
			errs = append(errs, fmt.Errorf("receivers.%s.max_request_body_size: must not be negative", name))
		}
	}
	return errors.Join(errs...)
}

func (c Config) otlpGRPC() *GRPCServerConfig {
	if c.OTLP == nil {
		return nil
	}
	return c.OTLP.Protocols.GRPC
}

func (c Config) otlpHTTP() *HTTPServerConfig {
	if c.OTLP == nil || c.OTLP.Protocols.HTTP == nil {
		return nil
	}
	return &c.OTLP.Protocols.HTTP.HTTPServerConfig
}

func (c Config) zipkin() *HTTPServerConfig {
	if c.Zipkin == nil {
		return nil
	}
	return &c.Zipkin.HTTPServerConfig
}

func (c Config) jaegerGRPC() *GRPCServerConfig {
	if c.Jaeger == nil {
		return nil
	}
	return c.Jaeger.Protocols.GRPC
}

func (c Config) jaegerThriftHTTP() *HTTPServerConfig {
	if c.Jaeger == nil {
		return nil
	}
	return c.Jaeger.Protocols.ThriftHTTP
}

func (g GRPCServerConfig) endpointOr(def string) string {
	if g.Endpoint == "" {
		return def
	}
	return g.Endpoint
}

func (g GRPCServerConfig) maxRecvMsgSize() int {
	if g.MaxRecvMsgSizeMiB == 0 {
		return DefaultMaxRecvMsgSizeMiB << 20
	}
	return g.MaxRecvMsgSizeMiB << 20
}

func (h HTTPServerConfig) endpointOr(def string) string {
	if h.Endpoint == "" {
		return def
	}
	return h.Endpoint
}

func (h HTTPServerConfig) maxBodySize() int64 {
	if h.MaxRequestBodySize == 0 {
		return DefaultMaxRequestBodySize
	}
	return h.MaxRequestBodySize
}

// The UnmarshalYAML methods below exist because a YAML key with no value
// (`grpc:`) decodes to a nil pointer, yet in collector syntax it means
// "enabled with defaults". They use the function form, which both
// gopkg.in/yaml.v2 and v3 call, and keep strict-mode checks of the decoder.

// UnmarshalYAML enables receivers whose keys are present without a value.
func (c *Config) UnmarshalYAML(unmarshal func(any) error) error {
	type plain Config
	if err := unmarshal((*plain)(c)); err != nil {
		return err
	}
	keys, err := presentKeys(unmarshal)
	if err != nil {
		return err
	}
	if keys["otlp"] && c.OTLP == nil {
		c.OTLP = &OTLPConfig{}
	}
	if keys["zipkin"] && c.Zipkin == nil {
		c.Zipkin = &ZipkinConfig{}
	}
	if keys["jaeger"] && c.Jaeger == nil {
		c.Jaeger = &JaegerConfig{}
	}
	return nil
}

// UnmarshalYAML enables protocols whose keys are present without a value.
func (p *OTLPProtocols) UnmarshalYAML(unmarshal func(any) error) error {
	type plain OTLPProtocols
	if err := unmarshal((*plain)(p)); err != nil {
		return err
	}
	keys, err := presentKeys(unmarshal)
	if err != nil {
		return err
	}
	if keys["grpc"] && p.GRPC == nil {
		p.GRPC = &GRPCServerConfig{}
	}
	if keys["http"] && p.HTTP == nil {
		p.HTTP = &OTLPHTTPConfig{}
	}
	return nil
}

// UnmarshalYAML enables protocols whose keys are present without a value.
func (p *JaegerProtocols) UnmarshalYAML(unmarshal func(any) error) error {
	type plain JaegerProtocols
	if err := unmarshal((*plain)(p)); err != nil {
		return err
	}
	keys, err := presentKeys(unmarshal)
	if err != nil {
		return err
	}
	if keys["grpc"] && p.GRPC == nil {
		p.GRPC = &GRPCServerConfig{}
	}
	if keys["thrift_http"] && p.ThriftHTTP == nil {
		p.ThriftHTTP = &HTTPServerConfig{}
	}
	if keys["thrift_compact"] && p.ThriftCompact == nil {
		p.ThriftCompact = &UDPServerConfig{}
	}
	if keys["thrift_binary"] && p.ThriftBinary == nil {
		p.ThriftBinary = &UDPServerConfig{}
	}
	return nil
}

func presentKeys(unmarshal func(any) error) (map[string]bool, error) {
	var m map[string]any
	if err := unmarshal(&m); err != nil {
		return nil, err
	}
	keys := make(map[string]bool, len(m))
	for k := range m {
		keys[k] = true
	}
	return keys, nil
}
