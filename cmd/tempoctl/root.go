package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes shared by every command: 1 = the command ran but found nothing or
// something is wrong with the data; 2 = bad usage or an unusable backend.
const (
	exitOK       = 0
	exitFailure  = 1
	exitBadUsage = 2
)

// usageError marks errors caused by flags or configuration (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// silentError carries an exit code whose message was already printed.
type silentError struct{ code int }

func (e silentError) Error() string { return fmt.Sprintf("exit code %d", e.code) }

// subcommand registrars; each command group's file appends to this in init.
var subcommands []func(root *cobra.Command)

func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "tempoctl",
		Short:         "A Tempo-compatible tracing backend and the toolkit for its storage",
		Long:          "tempoctl is one binary that serves a Grafana-Tempo-compatible tracing backend (serve)\nand operates on its storage: inspect, compact and repair blocks, query traces, migrate from Jaeger.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{err}
	})
	for _, add := range subcommands {
		add(root)
	}
	return root
}

// Execute runs tempoctl with args and returns the process exit code.
func Execute(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var se silentError
	if errors.As(err, &se) {
		return se.code
	}
	fmt.Fprintln(stderr, "Error:", err)
	var ue usageError
	if errors.As(err, &ue) {
		return exitBadUsage
	}
	return exitFailure
}
