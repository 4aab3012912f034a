// Command tempoctl is a Tempo-compatible tracing backend and the toolkit for its storage.
package main

import (
	"os"
)

func main() {
	os.Exit(Execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
