package main

import (
	"bytes"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tempoctl/tempoctl/migrate/jaeger/jaegertest"
)

// The test binary (what testscript runs as "tempoctl") has one more, hidden
// command: it starts the fake Jaeger built from the fixtures and runs the
// rest of its arguments as a tempoctl command line with @JAEGER@ replaced by
// the fake's URL. The real binary does not have it.
//
//	tempoctl test-with-fake-jaeger DIR [--no-v3] [--interrupt-after N] -- ARGS...
//
// --interrupt-after N sends the process SIGINT (Ctrl-C) when Jaeger has
// been asked for N traces by ID. The fake listens on the port recorded in
// ./fake-jaeger.port (a free one the first time), so a checkpoint made in one
// step of a script names the same Jaeger URL as the next.
func init() {
	subcommands = append(subcommands, func(root *cobra.Command) {
		root.AddCommand(&cobra.Command{
			Use:                "test-with-fake-jaeger",
			Hidden:             true,
			DisableFlagParsing: true,
			RunE: func(cmd *cobra.Command, args []string) error {
				sep := -1
				for i, a := range args {
					if a == "--" {
						sep = i
						break
					}
				}
				if sep < 1 {
					return usageErrorf("usage: test-with-fake-jaeger DIR [--no-v3] [--interrupt-after N] -- ARGS...")
				}
				opts := jaegertest.Options{Dir: args[0]}
				interruptAfter := int32(0)
				for i := 1; i < sep; i++ {
					switch args[i] {
					case "--no-v3":
						opts.NoV3 = true
					case "--interrupt-after":
						i++
						n, err := strconv.Atoi(args[i])
						if err != nil {
							return usageErrorf("--interrupt-after: %v", err)
						}
						interruptAfter = int32(n)
					default:
						return usageErrorf("unknown option %s", args[i])
					}
				}
				var fetched atomic.Int32
				opts.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
					if interruptAfter > 0 && (strings.HasPrefix(r.URL.Path, "/api/v3/traces/") || r.URL.Query().Has("traceID")) &&
						fetched.Add(1) == interruptAfter {
						syscall.Kill(os.Getpid(), syscall.SIGINT)
					}
					return false
				}
				const portFile = "fake-jaeger.port"
				if b, err := os.ReadFile(portFile); err == nil {
					opts.Addr = strings.TrimSpace(string(b))
				}
				srv, err := jaegertest.New(opts)
				if err != nil {
					return err
				}
				defer srv.Close()
				if err := os.WriteFile(portFile, []byte(srv.Listener.Addr().String()), 0o644); err != nil {
					return err
				}
				rest := append([]string(nil), args[sep+1:]...)
				for i := range rest {
					rest[i] = strings.ReplaceAll(rest[i], "@JAEGER@", srv.URL)
				}
				// The fake's URL changes from run to run: outputs name it
				// @JAEGER@ so golden files can hold them.
				var stdout, stderr bytes.Buffer
				code := Execute(rest, cmd.InOrStdin(), &stdout, &stderr)
				cmd.OutOrStdout().Write(bytes.ReplaceAll(stdout.Bytes(), []byte(srv.URL), []byte("@JAEGER@")))
				cmd.ErrOrStderr().Write(bytes.ReplaceAll(stderr.Bytes(), []byte(srv.URL), []byte("@JAEGER@")))
				if code != 0 {
					return silentError{code: code}
				}
				return nil
			},
		})
	})
}
