package backend

// Config is the bucket part of Tempo's storage.trace block: which backend, and
// its settings. YAML keys are Tempo's. The server config embeds it inline
// under storage.trace next to wal, block, blocklist_poll and the rest.
type Config struct {
	Backend string      `yaml:"backend"` // local | s3 | gcs | azure | memory
	Local   LocalConfig `yaml:"local"`
	S3      S3Config    `yaml:"s3"`
	GCS     GCSConfig   `yaml:"gcs"`
	Azure   AzureConfig `yaml:"azure"`
}

// LocalConfig is storage.trace.local.
type LocalConfig struct {
	Path string `yaml:"path"`
}

// S3Config is storage.trace.s3.
type S3Config struct {
	Bucket             string            `yaml:"bucket"`
	Prefix             string            `yaml:"prefix"`
	Endpoint           string            `yaml:"endpoint"`
	Region             string            `yaml:"region"`
	AccessKey          string            `yaml:"access_key"`
	SecretKey          string            `yaml:"secret_key"`
	SessionToken       string            `yaml:"session_token"`
	Insecure           bool              `yaml:"insecure"`
	InsecureSkipVerify bool              `yaml:"insecure_skip_verify"`
	ForcePathStyle     bool              `yaml:"forcepathstyle"`
	StorageClass       string            `yaml:"storage_class"`
	Tags               map[string]string `yaml:"tags"`
}

// GCSConfig is storage.trace.gcs.
type GCSConfig struct {
	BucketName      string `yaml:"bucket_name"`
	Prefix          string `yaml:"prefix"`
	ServiceAccount  string `yaml:"service_account"` // JSON key content
	Endpoint        string `yaml:"endpoint"`
	Insecure        bool   `yaml:"insecure"`
	ChunkBufferSize int    `yaml:"chunk_buffer_size"`
}

// AzureConfig is storage.trace.azure.
type AzureConfig struct {
	StorageAccountName string `yaml:"storage_account_name"`
	StorageAccountKey  string `yaml:"storage_account_key"`
	ContainerName      string `yaml:"container_name"`
	Prefix             string `yaml:"prefix"`
	Endpoint           string `yaml:"endpoint_suffix"`
	UseFederatedToken  bool   `yaml:"use_federated_token"`
}
