package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Options are serve's own flags (besides one flag per config key).
type Options struct {
	File      string
	ExpandEnv bool
	Verify    bool
	// FromFlags are the -a.b.c=value overrides in command-line order.
	FromFlags []Override
}

// Override is one -path=value flag.
type Override struct{ Path, Value string }

// overrideFlag records a config-key flag; it is applied after the YAML.
type overrideFlag struct {
	path string
	opts *Options
	val  string
	bool bool
}

func (f *overrideFlag) String() string   { return f.val }
func (f *overrideFlag) IsBoolFlag() bool { return f.bool }
func (f *overrideFlag) Set(v string) error {
	f.val = v
	f.opts.FromFlags = append(f.opts.FromFlags, Override{f.path, v})
	return nil
}

// Aliases are Tempo's short flags for common keys.
var aliases = map[string]string{
	"log.level":  "server.log_level",
	"log.format": "server.log_format",
	"target":     "target",
}

// NewFlagSet returns the flag set of serve: -config.file, -config.expand-env,
// -config.verify, the aliases, and a flag per config key (its YAML path).
func NewFlagSet(out io.Writer) (*flag.FlagSet, *Options) {
	opts := &Options{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&opts.File, "config.file", "", "YAML config file (Tempo's format); without it serve runs on its embedded default")
	fs.BoolVar(&opts.ExpandEnv, "config.expand-env", false, "expand ${VAR} and ${VAR:-default} in the config file from the environment")
	fs.BoolVar(&opts.Verify, "config.verify", false, "check the config (file, flags, unknown keys) and exit")
	for alias, path := range aliases {
		if alias == path {
			continue
		}
		fs.Var(&overrideFlag{path: path, opts: opts}, alias, "alias of -"+path)
	}
	leaves := map[string]bool{}
	walkKeys(reflect.TypeOf(Config{}), "", func(path string, t reflect.Type) {
		leaves[path] = t.Kind() == reflect.Bool
	})
	for path, isBool := range leaves {
		fs.Var(&overrideFlag{path: path, opts: opts, bool: isBool}, path, "config key "+path)
	}
	return fs, opts
}

var (
	nodeType        = reflect.TypeOf(yaml.Node{})
	durationType    = reflect.TypeOf(time.Duration(0))
	unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
	flagValueType   = reflect.TypeOf((*flag.Value)(nil)).Elem()
)

// yamlFields lists a struct's YAML keys, flattening inline fields.
func yamlFields(t reflect.Type, index []int, fn func(name string, f reflect.StructField, index []int)) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opt, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		idx := append(append([]int(nil), index...), i)
		if strings.Contains(opt, "inline") {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			yamlFields(ft, idx, fn)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fn(name, f, idx)
	}
}

func isLeaf(t reflect.Type) bool {
	if t == durationType || reflect.PointerTo(t).Implements(flagValueType) {
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// walkKeys calls fn for every scalar key path settable by a flag.
func walkKeys(t reflect.Type, prefix string, fn func(path string, t reflect.Type)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == nodeType {
		return
	}
	yamlFields(t, nil, func(name string, f reflect.StructField, _ []int) {
		path := strings.TrimPrefix(prefix+"."+name, ".")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if isLeaf(ft) {
			fn(path, ft)
			return
		}
		walkKeys(ft, path, fn)
	})
}

// Load builds the config: code defaults, then the file (or the embedded
// default), then flag overrides. Unknown keys are errors naming their path.
func Load(opts *Options) (Config, []byte, error) {
	cfg := Defaults()
	src, name := defaultYAML, "embedded default"
	if opts.File != "" {
		b, err := os.ReadFile(opts.File)
		if err != nil {
			return cfg, nil, fmt.Errorf("config: %w", err)
		}
		src, name = b, opts.File
	}
	if opts.ExpandEnv {
		src = []byte(expandEnv(string(src)))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return cfg, nil, fmt.Errorf("config %s: %w", name, err)
	}
	if len(doc.Content) > 0 {
		if err := checkKeys(doc.Content[0], reflect.TypeOf(cfg), ""); err != nil {
			return cfg, nil, fmt.Errorf("config %s: %w", name, err)
		}
		if err := doc.Content[0].Decode(&cfg); err != nil {
			return cfg, nil, fmt.Errorf("config %s: %w", name, err)
		}
		if hasKey(doc.Content[0], "limits") && hasKey(doc.Content[0], "overrides") {
			return cfg, nil, fmt.Errorf("config %s: both limits and overrides are set: use one (overrides is Tempo's name)", name)
		}
		if err := cfg.Overrides.ApplyTo(&cfg.Limits); err != nil {
			return cfg, nil, fmt.Errorf("config %s: %w", name, err)
		}
	}
	for _, o := range opts.FromFlags {
		if err := set(&cfg, o.Path, o.Value); err != nil {
			return cfg, nil, fmt.Errorf("flag -%s: %w", o.Path, err)
		}
		if strings.HasPrefix(o.Path, "overrides.") {
			// Applied alone, so that it changes only its own limit and
			// -limits.* flags before it keep theirs.
			var one Config
			if err := set(&one, o.Path, o.Value); err != nil {
				return cfg, nil, fmt.Errorf("flag -%s: %w", o.Path, err)
			}
			if err := one.Overrides.ApplyTo(&cfg.Limits); err != nil {
				return cfg, nil, fmt.Errorf("flag -%s: %w", o.Path, err)
			}
		}
	}
	return cfg, src, nil
}

// hasKey reports whether mapping n has key k.
func hasKey(n *yaml.Node, k string) bool {
	if n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i < len(n.Content); i += 2 {
		if n.Content[i].Value == k {
			return true
		}
	}
	return false
}

// expandEnv replaces ${VAR} and ${VAR:-default}.
func expandEnv(s string) string {
	return os.Expand(s, func(k string) string {
		name, def, hasDef := strings.Cut(k, ":-")
		if v, ok := os.LookupEnv(name); ok && (v != "" || !hasDef) {
			return v
		}
		return def
	})
}

// checkKeys walks the YAML against the Go type and names the first unknown key.
func checkKeys(n *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nodeType || reflect.PointerTo(t).Implements(unmarshalerType) || isLeaf(t) {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
				return nil
			}
			return fmt.Errorf("%s (line %d): expected a mapping", orRoot(path), n.Line)
		}
		known := map[string]reflect.Type{}
		yamlFields(t, nil, func(name string, f reflect.StructField, _ []int) { known[name] = f.Type })
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			ft, ok := known[k]
			p := strings.TrimPrefix(path+"."+k, ".")
			if !ok {
				return fmt.Errorf("unknown config key %s (line %d)", p, n.Content[i].Line)
			}
			if err := checkKeys(n.Content[i+1], ft, p); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode {
			for i, c := range n.Content {
				if err := checkKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func orRoot(p string) string {
	if p == "" {
		return "top level"
	}
	return p
}

// set assigns value to the field at a dotted YAML path.
func set(cfg *Config, path, value string) error {
	v := reflect.ValueOf(cfg).Elem()
	parts := strings.Split(path, ".")
	for i, part := range parts {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		var found []int
		yamlFields(v.Type(), nil, func(name string, _ reflect.StructField, idx []int) {
			if name == part {
				found = idx
			}
		})
		if found == nil {
			return fmt.Errorf("unknown config key %s", strings.Join(parts[:i+1], "."))
		}
		v = v.FieldByIndex(found)
	}
	return setScalar(v, value)
}

func setScalar(v reflect.Value, s string) error {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	if fv, ok := v.Addr().Interface().(flag.Value); ok {
		return fv.Set(s)
	}
	if v.Type() == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			return err
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			return err
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return err
		}
		v.SetFloat(f)
	default:
		return errors.New("not settable from a flag; set it in the YAML")
	}
	return nil
}

// NotUsedYetKeys lists top-level sections present in the YAML that no built
// part reads yet (logged at start, never silently dropped).
func NotUsedYetKeys(cfg *Config) []string {
	var out []string
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return
		}
		if v.Type() == nodeType {
			if n := v.Addr().Interface().(*yaml.Node); n.Kind != 0 {
				out = append(out, path)
			}
			return
		}
		yamlFields(v.Type(), nil, func(name string, f reflect.StructField, idx []int) {
			ft := f.Type
			if ft.Kind() == reflect.Struct || (ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct) {
				walk(v.FieldByIndex(idx), strings.TrimPrefix(path+"."+name, "."))
			}
		})
	}
	walk(reflect.ValueOf(cfg), "")
	return out
}

// Marshal renders the effective config with secrets masked: every scalar
// under a key that names a secret (secret_key, access_key, password,
// credentials, client_secret, *_token, …), anywhere in the tree, including
// the sections kept as written because they are not used yet (a
// metrics_generator remote_write's basic_auth, say), and the password of a
// URL's user info.
func Marshal(cfg *Config) ([]byte, error) {
	// Encoding into a node copies the tree, so masking leaves cfg alone.
	var doc yaml.Node
	if err := doc.Encode(cfg); err != nil {
		return nil, err
	}
	maskSecrets(&doc)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// masked replaces a secret's value in /status/config.
const masked = "********"

// secretKey reports whether a config key's value is a secret.
func secretKey(k string) bool {
	k = strings.ReplaceAll(strings.ToLower(k), "-", "_")
	for _, s := range []string{"password", "secret", "token", "credential", "cookie", "authorization", "api_key", "apikey"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	switch k {
	case "access_key", "storage_account_key", "service_account", "key", "tls_key", "private_key", "sas":
		return true
	}
	return false
}

func maskSecrets(n *yaml.Node) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			maskSecrets(c)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			switch {
			case v.Kind == yaml.ScalarNode && secretKey(k.Value):
				if v.Value != "" && v.Tag != "!!null" && v.Tag != "!!bool" {
					v.Value, v.Tag, v.Style = masked, "!!str", yaml.SingleQuotedStyle
				}
			case v.Kind == yaml.ScalarNode:
				if u, err := url.Parse(v.Value); err == nil && u.User != nil {
					if _, ok := u.User.Password(); ok {
						v.Value = u.Redacted() // user:xxxxx@host
					}
				}
			default:
				maskSecrets(v)
			}
		}
	}
}
