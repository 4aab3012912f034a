package receiver

import (
	"context"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	yamlv2 "gopkg.in/yaml.v2"
	"gopkg.in/yaml.v3"
)

// enabledEndpoints summarises a config as receiver name → listen address,
// which is what serve acts on.
func enabledEndpoints(t *testing.T, cfg Config) map[string]string {
	t.Helper()
	r, err := New(cfg, &recordingPusher{}, Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	out := map[string]string{}
	for _, l := range r.build() {
		out[l.name] = l.endpoint
	}
	return out
}

func TestConfigYAML(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want map[string]string
	}{
		{name: "tempo example, all receivers", yaml: `
otlp:
  protocols:
    grpc:
      endpoint: 0.0.0.0:4317
    http:
      endpoint: 0.0.0.0:4318
zipkin:
  endpoint: 0.0.0.0:9411
jaeger:
  protocols:
    thrift_http:
      endpoint: 0.0.0.0:14268
    grpc:
      endpoint: 0.0.0.0:14250
`, want: map[string]string{OTLPGRPC: "0.0.0.0:4317", OTLPHTTP: "0.0.0.0:4318", Zipkin: "0.0.0.0:9411", JaegerThriftHTTP: "0.0.0.0:14268", JaegerGRPC: "0.0.0.0:14250"}},
		{name: "keys without values enable with default ports", yaml: `
otlp:
  protocols:
    grpc:
    http:
zipkin:
jaeger:
  protocols:
    thrift_http:
    grpc:
`, want: map[string]string{OTLPGRPC: DefaultOTLPGRPCEndpoint, OTLPHTTP: DefaultOTLPHTTPEndpoint, Zipkin: DefaultZipkinEndpoint, JaegerThriftHTTP: DefaultJaegerThriftHTTPEndpoint, JaegerGRPC: DefaultJaegerGRPCEndpoint}},
		{name: "empty maps enable too", yaml: `
otlp: {protocols: {http: {}}}
zipkin: {}
`, want: map[string]string{OTLPHTTP: DefaultOTLPHTTPEndpoint, Zipkin: DefaultZipkinEndpoint}},
		{name: "only otlp grpc", yaml: `
otlp:
  protocols:
    grpc:
      endpoint: localhost:5317
      max_recv_msg_size_mib: 16
`, want: map[string]string{OTLPGRPC: "localhost:5317"}},
		{name: "nothing", yaml: `{}`, want: map[string]string{}},
	}
	decoders := map[string]func([]byte, *Config) error{
		"yaml.v3 strict": func(b []byte, c *Config) error {
			dec := yaml.NewDecoder(strings.NewReader(string(b)))
			dec.KnownFields(true)
			return dec.Decode(c)
		},
		"yaml.v2 strict": func(b []byte, c *Config) error { return yamlv2.UnmarshalStrict(b, c) },
		"ParseConfig": func(b []byte, c *Config) error {
			var raw map[string]any
			if err := yaml.Unmarshal(b, &raw); err != nil {
				return err
			}
			var err error
			*c, err = ParseConfig(raw)
			return err
		},
	}
	for _, tt := range tests {
		for dname, decode := range decoders {
			t.Run(tt.name+"/"+dname, func(t *testing.T) {
				var cfg Config
				if err := decode([]byte(tt.yaml), &cfg); err != nil {
					t.Fatalf("decode: %v", err)
				}
				if got := enabledEndpoints(t, cfg); !reflect.DeepEqual(got, tt.want) {
					t.Errorf("enabled %v, want %v", got, tt.want)
				}
			})
		}
	}
}

func TestConfigOptions(t *testing.T) {
	var cfg Config
	err := yaml.Unmarshal([]byte(`
otlp:
  protocols:
    grpc:
      max_recv_msg_size_mib: 16
    http:
      max_request_body_size: 1048576
      traces_url_path: /otlp/v1/traces
zipkin:
  parse_string_tags: true
`), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.OTLP.Protocols.GRPC.maxRecvMsgSize(); got != 16<<20 {
		t.Errorf("grpc max message %d", got)
	}
	if got := cfg.OTLP.Protocols.HTTP.maxBodySize(); got != 1<<20 {
		t.Errorf("http max body %d", got)
	}
	if got := cfg.OTLP.Protocols.HTTP.TracesURLPath; got != "/otlp/v1/traces" {
		t.Errorf("traces path %q", got)
	}
	if !cfg.Zipkin.ParseStringTags {
		t.Error("parse_string_tags not read")
	}
	if got := (HTTPServerConfig{}).maxBodySize(); got != DefaultMaxRequestBodySize {
		t.Errorf("default body limit %d", got)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{name: "unknown receiver", raw: "kafka:\n  brokers: [a]\n", want: "kafka"},
		{name: "unknown key", raw: "zipkin:\n  endpoint: :9411\n  bogus: 1\n", want: "bogus"},
		{name: "otlp without protocols", raw: "otlp:\n", want: "otlp: must enable at least one protocol"},
		{name: "jaeger agent protocol", raw: "jaeger:\n  protocols:\n    thrift_compact:\n", want: "thrift_compact: the UDP agent protocol is not supported"},
		{name: "negative limit", raw: "zipkin:\n  max_request_body_size: -1\n", want: "zipkin.max_request_body_size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var raw map[string]any
			if err := yaml.Unmarshal([]byte(tt.raw), &raw); err != nil {
				t.Fatal(err)
			}
			_, err := ParseConfig(raw)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	want := map[string]string{OTLPGRPC: "0.0.0.0:4317", OTLPHTTP: "0.0.0.0:4318", Zipkin: "0.0.0.0:9411", JaegerThriftHTTP: "0.0.0.0:14268", JaegerGRPC: "0.0.0.0:14250"}
	if got := enabledEndpoints(t, DefaultConfig()); !reflect.DeepEqual(got, want) {
		t.Errorf("default receivers %v, want %v", got, want)
	}
}

func TestStartStop(t *testing.T) {
	t.Run("busy port fails Start and names the receiver", func(t *testing.T) {
		busy, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer busy.Close()
		cfg := allReceivers()
		cfg.Zipkin.Endpoint = busy.Addr().String()
		r, err := New(cfg, &recordingPusher{}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = r.Start(context.Background())
		if err == nil || !strings.Contains(err.Error(), "receiver zipkin") {
			t.Fatalf("Start error %v, want one naming zipkin", err)
		}
		if addr := r.Addr(OTLPGRPC); addr != "" {
			t.Errorf("otlp/grpc still reported at %s after failed Start", addr)
		}
		if err := r.Stop(context.Background()); err != nil {
			t.Errorf("Stop after failed Start: %v", err)
		}
	})
	t.Run("second Start is an error", func(t *testing.T) {
		r, _ := startReceivers(t, allReceivers(), Options{})
		if err := r.Start(context.Background()); err == nil {
			t.Error("second Start succeeded")
		}
	})
	t.Run("Stop closes the listeners", func(t *testing.T) {
		r, err := New(allReceivers(), &recordingPusher{}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		addrs := []string{r.Addr(OTLPGRPC), r.Addr(OTLPHTTP), r.Addr(Zipkin), r.Addr(JaegerThriftHTTP), r.Addr(JaegerGRPC)}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		for _, a := range addrs {
			if a == "" {
				t.Fatal("a receiver had no address")
			}
			// Binding again proves the listener is gone; dialing would not,
			// as a loopback dial to a closed port can connect to itself.
			ln, err := net.Listen("tcp", a)
			if err != nil {
				t.Errorf("%s not released after Stop: %v", a, err)
				continue
			}
			ln.Close()
		}
		select {
		case err := <-r.Err():
			t.Errorf("receiver reported %v after a clean Stop", err)
		default:
		}
	})
	t.Run("New rejects a nil pusher", func(t *testing.T) {
		if _, err := New(allReceivers(), nil, Options{}); err == nil {
			t.Error("New accepted a nil pusher")
		}
	})
}
