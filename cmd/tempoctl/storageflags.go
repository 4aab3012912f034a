package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/tempoctl/tempoctl/storage/backend"
)

// storageFlags is the one flag group every bucket-reading command shares.
type storageFlags struct {
	Backend     string
	Bucket      string
	S3Endpoint  string
	S3AccessKey string
	S3SecretKey string
	S3Region    string
	S3Insecure  bool
	Prefix      string
	ConfigFile  string
}

func (f *storageFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.Backend, "backend", "", "storage backend: local, s3, gcs, azure or memory")
	fl.StringVar(&f.Bucket, "bucket", "", "bucket name, or the directory of a local backend")
	fl.StringVar(&f.S3Endpoint, "s3-endpoint", "", "S3 endpoint host:port (default s3.amazonaws.com)")
	fl.StringVar(&f.S3AccessKey, "s3-access-key", "", "S3 access key (default $AWS_ACCESS_KEY_ID)")
	fl.StringVar(&f.S3SecretKey, "s3-secret-key", "", "S3 secret key (default $AWS_SECRET_ACCESS_KEY)")
	fl.StringVar(&f.S3Region, "s3-region", "", "S3 region")
	fl.BoolVar(&f.S3Insecure, "s3-insecure", false, "use plain HTTP to reach S3")
	fl.StringVar(&f.Prefix, "prefix", "", "object key prefix inside the bucket")
	fl.StringVar(&f.ConfigFile, "config.file", "", "take storage.trace from this serve config (Tempo YAML) instead of the flags above")
}

// config turns the flags (or the config file) into a backend config.
func (f *storageFlags) config() (backend.Config, error) {
	var cfg backend.Config
	if f.ConfigFile != "" {
		c, err := storageFromConfigFile(f.ConfigFile)
		if err != nil {
			return cfg, err
		}
		cfg = c
	}
	if f.Backend != "" {
		cfg.Backend = f.Backend
	}
	if cfg.Backend == "" {
		return cfg, usageErrorf("no storage given: use --backend local --bucket DIR (or s3/gcs/azure), or --config.file")
	}
	switch cfg.Backend {
	case "local":
		if f.Bucket != "" {
			cfg.Local.Path = f.Bucket
		}
		if cfg.Local.Path == "" {
			return cfg, usageErrorf("--bucket is required with --backend local: the directory that holds the tenants")
		}
		st, err := os.Stat(cfg.Local.Path)
		if err != nil {
			return cfg, usageErrorf("local bucket %s: %v", cfg.Local.Path, err)
		}
		if !st.IsDir() {
			return cfg, usageErrorf("local bucket %s is not a directory", cfg.Local.Path)
		}
	case "s3":
		s := &cfg.S3
		setIf(&s.Bucket, f.Bucket)
		setIf(&s.Endpoint, f.S3Endpoint)
		setIf(&s.AccessKey, f.S3AccessKey)
		setIf(&s.SecretKey, f.S3SecretKey)
		setIf(&s.Region, f.S3Region)
		setIf(&s.Prefix, f.Prefix)
		if f.S3Insecure {
			s.Insecure = true
		}
		setIf(&s.AccessKey, os.Getenv("AWS_ACCESS_KEY_ID"))
		setIf(&s.SecretKey, os.Getenv("AWS_SECRET_ACCESS_KEY"))
		if s.Endpoint != "" && s.Endpoint != "s3.amazonaws.com" {
			s.ForcePathStyle = true // self-hosted S3 servers rarely do virtual hosts
		}
		if s.Bucket == "" {
			return cfg, usageErrorf("--bucket is required with --backend s3")
		}
	case "gcs":
		setIf(&cfg.GCS.BucketName, f.Bucket)
		setIf(&cfg.GCS.Prefix, f.Prefix)
	case "azure":
		setIf(&cfg.Azure.ContainerName, f.Bucket)
		setIf(&cfg.Azure.Prefix, f.Prefix)
	case "memory":
	default:
		return cfg, usageErrorf("--backend %q is not supported: use local, s3, gcs, azure or memory", cfg.Backend)
	}
	return cfg, nil
}

// setIf overrides dst with v when v is set; flags win over the config file.
func setIf(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

// open opens the bucket; failures are usage errors (exit 2) naming the problem.
func (f *storageFlags) open(ctx context.Context) (*backend.Backend, error) {
	cfg, err := f.config()
	if err != nil {
		return nil, err
	}
	be, err := backend.Open(ctx, cfg)
	if err != nil {
		return nil, usageError{err}
	}
	if err := probe(ctx, be); err != nil {
		be.Close()
		return nil, usageErrorf("bucket unreachable (%s): %v", cfg.Backend, err)
	}
	return be, nil
}

// storageFromConfigFile reads storage.trace from a serve config, expanding ${VAR}.
func storageFromConfigFile(path string) (backend.Config, error) {
	var doc struct {
		Storage struct {
			Trace backend.Config `yaml:"trace"`
		} `yaml:"storage"`
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return backend.Config{}, usageErrorf("read config: %v", err)
	}
	expanded := os.Expand(string(raw), func(k string) string { return os.Getenv(k) })
	if err := yaml.Unmarshal([]byte(expanded), &doc); err != nil {
		return backend.Config{}, usageErrorf("parse %s: %v", path, err)
	}
	if doc.Storage.Trace.Backend == "" {
		return backend.Config{}, usageErrorf("%s has no storage.trace.backend", path)
	}
	return doc.Storage.Trace, nil
}

// tenantArg resolves --tenant: required when the bucket holds several tenants.
func resolveTenants(ctx context.Context, be *backend.Backend, tenant string) ([]string, error) {
	if tenant != "" {
		return []string{tenant}, nil
	}
	ts, err := be.Tenants(ctx)
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	return ts, nil
}

var errProbeDone = errors.New("probe done")

// probe lists at most one object so a wrong endpoint, bucket or credentials
// fail here with one clear line instead of deep inside a command.
func probe(ctx context.Context, be *backend.Backend) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	err := be.Bucket().Iter(ctx, "", func(string) error { return errProbeDone })
	if err == nil || errors.Is(err, errProbeDone) {
		return nil
	}
	return err
}
