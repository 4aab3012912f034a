package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tempoctl/tempoctl/storage/block"
)

// Targets are the values -target takes.
var Targets = []string{"all", "distributor", "ingester", "querier", "query-frontend", "compactor"}

// Validate reports the settings serve cannot start with, naming each key,
// without touching the network or the disk: -config.verify runs it, and so
// does serve before it starts anything. Checks that need the bucket or the
// WAL directory (reachability, permissions) happen when serve opens them.
func (c *Config) Validate() error {
	var errs []error
	target := c.Target
	if target == "" {
		target = "all"
	}
	if !slices.Contains(Targets, target) {
		errs = append(errs, fmt.Errorf("target %q: use one of %s", c.Target, strings.Join(Targets, ", ")))
	}
	switch c.Server.LogFormat {
	case "", "logfmt", "json":
	default:
		errs = append(errs, fmt.Errorf("server.log_format %q: use logfmt or json", c.Server.LogFormat))
	}
	if c.Auth.Type != "" && c.Auth.Type != "header" {
		errs = append(errs, fmt.Errorf("auth.type %q: only \"header\" is supported", c.Auth.Type))
	}
	if c.Auth.Header == "" {
		errs = append(errs, errors.New("auth.header is empty: name the tenant header (Tempo's is X-Scope-OrgID)"))
	}
	runs := func(module string) bool { return target == "all" || target == module }
	if runs("distributor") {
		if err := c.Distributor.Receivers.Validate(); err != nil {
			// Each of the receivers' errors names its key from "receivers.".
			list := []error{err}
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				list = j.Unwrap()
			}
			for _, e := range list {
				errs = append(errs, fmt.Errorf("distributor.%w", e))
			}
		}
	}
	if target == "distributor" && c.IngesterClient.Address == "" {
		errs = append(errs, errors.New("ingester_client.address is empty: a distributor on its own needs the ingester's gRPC address"))
	}
	if target != "distributor" {
		if err := c.Storage.Trace.Config.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if runs("ingester") && c.Storage.Trace.WAL.Path == "" {
		errs = append(errs, errors.New("storage.trace.wal.path is empty: set the write-ahead log directory"))
	}
	if v := c.Storage.Trace.Block.Version; v != "" && !slices.Contains(block.Versions, v) {
		errs = append(errs, fmt.Errorf("storage.trace.block.version %q: use one of %s", v, strings.Join(block.Versions, ", ")))
	}
	return errors.Join(errs...)
}
