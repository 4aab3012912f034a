// Package tui is tempoctl's terminal trace browser: a bubbletea program with
// one model per screen (search, trace waterfall, span detail), a root model
// that routes between them, and a Source interface that hides whether traces
// come from a server, a bucket or a JSON file. All I/O runs in tea.Cmds; the
// layout math (waterfall bars, truncation, critical path) is pure functions.
package tui
