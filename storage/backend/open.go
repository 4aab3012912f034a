package backend

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/go-kit/log"
	"github.com/thanos-io/objstore"
	"github.com/thanos-io/objstore/providers/azure"
	"github.com/thanos-io/objstore/providers/filesystem"
	"github.com/thanos-io/objstore/providers/gcs"
	"github.com/thanos-io/objstore/providers/s3"
)

// Validate reports what makes cfg unusable before any bucket is touched:
// an unknown or missing backend name, or the backend's bucket (or local
// directory) not named. serve -config.verify runs it; Open does too.
func (cfg Config) Validate() error {
	switch cfg.Backend {
	case "local":
		if cfg.Local.Path == "" {
			return fmt.Errorf("storage.trace.local.path is empty: set the directory that holds the blocks")
		}
	case "memory":
	case "s3":
		if cfg.S3.Bucket == "" {
			return fmt.Errorf("storage.trace.s3.bucket is empty: name the bucket")
		}
	case "gcs":
		if cfg.GCS.BucketName == "" {
			return fmt.Errorf("storage.trace.gcs.bucket_name is empty: name the bucket")
		}
	case "azure":
		if cfg.Azure.ContainerName == "" {
			return fmt.Errorf("storage.trace.azure.container_name is empty: name the container")
		}
	case "":
		return fmt.Errorf("storage.trace.backend is not set: use local, s3, gcs, azure or memory")
	default:
		return fmt.Errorf("storage.trace.backend %q is not supported: use local, s3, gcs, azure or memory", cfg.Backend)
	}
	return nil
}

// Open opens the bucket cfg describes. It checks that the bucket is
// reachable, so a typo in an endpoint or path fails here with a clear error.
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	var (
		bkt    objstore.Bucket
		prefix string
		err    error
		local  string
	)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logger := log.NewNopLogger()
	switch cfg.Backend {
	case "local":
		if err := os.MkdirAll(cfg.Local.Path, 0o700); err != nil {
			return nil, fmt.Errorf("local backend %s: %w", cfg.Local.Path, err)
		}
		local = cfg.Local.Path
		bkt, err = filesystem.NewBucket(cfg.Local.Path)
	case "memory":
		bkt = objstore.NewInMemBucket()
	case "s3":
		c := s3.DefaultConfig
		c.Bucket = cfg.S3.Bucket
		c.Endpoint = strings.TrimPrefix(strings.TrimPrefix(cfg.S3.Endpoint, "http://"), "https://")
		c.Region = cfg.S3.Region
		c.AccessKey = cfg.S3.AccessKey
		c.SecretKey = cfg.S3.SecretKey
		c.SessionToken = cfg.S3.SessionToken
		c.Insecure = cfg.S3.Insecure || strings.HasPrefix(cfg.S3.Endpoint, "http://")
		c.HTTPConfig.InsecureSkipVerify = cfg.S3.InsecureSkipVerify
		if cfg.S3.ForcePathStyle {
			c.BucketLookupType = s3.PathLookup
		}
		if cfg.S3.StorageClass != "" {
			c.PutUserMetadata = map[string]string{"X-Amz-Storage-Class": cfg.S3.StorageClass}
		}
		if c.Endpoint == "" {
			c.Endpoint = "s3.amazonaws.com"
		}
		prefix = cfg.S3.Prefix
		bkt, err = s3.NewBucketWithConfig(logger, c, "tempoctl", nil)
	case "gcs":
		c := gcs.Config{Bucket: cfg.GCS.BucketName, ServiceAccount: cfg.GCS.ServiceAccount, ChunkSizeBytes: cfg.GCS.ChunkBufferSize}
		prefix = cfg.GCS.Prefix
		bkt, err = gcs.NewBucketWithConfig(ctx, logger, c, "tempoctl", nil)
	case "azure":
		c := azure.DefaultConfig
		c.StorageAccountName = cfg.Azure.StorageAccountName
		c.StorageAccountKey = cfg.Azure.StorageAccountKey
		c.ContainerName = cfg.Azure.ContainerName
		if cfg.Azure.Endpoint != "" {
			c.Endpoint = cfg.Azure.Endpoint
		}
		prefix = cfg.Azure.Prefix
		bkt, err = azure.NewBucketWithConfig(logger, c, "tempoctl", nil)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s backend: %w", cfg.Backend, err)
	}
	if prefix = strings.Trim(prefix, "/"); prefix != "" {
		bkt = objstore.NewPrefixedBucket(bkt, prefix)
	}
	if cfg.Backend == "s3" || cfg.Backend == "gcs" || cfg.Backend == "azure" {
		// One cheap call proves endpoint, credentials and bucket.
		if _, err := bkt.Exists(ctx, "tempoctl-probe"); err != nil {
			bkt.Close()
			return nil, fmt.Errorf("%s bucket unreachable: %w", cfg.Backend, err)
		}
	}
	return &Backend{bkt: bkt, local: local}, nil
}
