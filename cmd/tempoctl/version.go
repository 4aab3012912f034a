package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

// Set by ldflags at release time (see goreleaser.yaml).
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func init() {
	subcommands = append(subcommands, func(root *cobra.Command) {
		root.AddCommand(&cobra.Command{
			Use:   "version",
			Short: "Print the version, commit and Go version of this binary",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "tempoctl %s (commit %s, built %s, %s %s/%s)\n",
					version, commit, date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
				return err
			},
		})
	})
}
