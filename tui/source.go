package tui

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
	"github.com/tempoctl/tempoctl/traceql"
)

// Source is where the TUI reads traces from: a server, a bucket or a file.
// Every method may block on I/O; the TUI only calls them from tea.Cmds.
type Source interface {
	// Search runs a TraceQL query over traces overlapping [start, end]
	// (zero times leave that side open) and returns at most limit traces.
	Search(ctx context.Context, query string, start, end time.Time, limit int) (*traceql.SearchResponse, error)
	// Trace returns one whole trace, or ErrTraceNotFound.
	Trace(ctx context.Context, id model.TraceID) (ptrace.Traces, error)
	// Tags lists attribute names as TraceQL spells them, with their scope
	// ("resource.service.name", "span.http.method"), for completion.
	Tags(ctx context.Context, start, end time.Time) ([]string, error)
	// TagValues lists values seen for one scoped tag, as TraceQL literals:
	// strings quoted, numbers, booleans and keywords (status, kind) bare.
	TagValues(ctx context.Context, tag string, start, end time.Time) ([]string, error)
	// Name says what is being browsed, for the title bar.
	Name() string
}

// ErrTraceNotFound is returned by Source.Trace for an unknown trace ID.
var ErrTraceNotFound = errors.New("trace not found")

// defaultSpss is the spans-per-spanset every source asks for (Tempo's default).
const defaultSpss = 3
