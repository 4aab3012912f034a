package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
)

var update = flag.Bool("update", false, "rewrite testscript golden sections (cmp files) from actual output")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"tempoctl": func() { os.Exit(Execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI end to end: testdata/script/*.txtar. $FIXTURES is
// ../shared/fixtures/tempo-blocks.
func TestScripts(t *testing.T) {
	fixtures, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "fixtures", "tempo-blocks"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(fixtures); err != nil {
		t.Fatalf("fixtures (../shared beside the repo): %v", err)
	}
	testscript.Run(t, testscript.Params{
		Dir:           filepath.Join("testdata", "script"),
		UpdateScripts: *update,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"otlp2proto": otlp2proto,
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("FIXTURES", fixtures)
			examples, err := filepath.Abs(filepath.Join("..", "..", "examples"))
			if err != nil {
				return err
			}
			env.Setenv("EXAMPLES", examples)
			return nil
		},
	})
}

// otlp2proto IN OUT converts OTLP JSON lines to one binary OTLP TracesData.
func otlp2proto(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: otlp2proto IN OUT")
	}
	f, err := os.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	all := ptrace.NewTraces()
	_, err = model.ReadOTLPJSONLines(f, func(_ int, td ptrace.Traces) error {
		td.ResourceSpans().MoveAndAppendTo(all.ResourceSpans())
		return nil
	})
	ts.Check(err)
	var m ptrace.ProtoMarshaler
	b, err := m.MarshalTraces(all)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), b, 0o644))
}
