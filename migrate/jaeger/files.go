package jaeger

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The file source reads what people have on disk from a Jaeger:
//   - the UI's exports: "Trace JSON" ({"data":[trace]}), "Download Results"
//     ({"data":[trace,...]}), and what its file loader accepts ([trace,...],
//     {"data":trace}, a bare trace), as .json or JSON lines;
//   - api/v3 responses ({"result": TracesData}) and plain OTLP JSON
//     (TracesData), one document or one per line.

// fileItem is one trace read from a file, or the reason one could not be.
type fileItem struct {
	Where string // file:line or file:#n
	Trace Trace
	Err   error
}

// expandPaths turns --file arguments into files: directories are walked for
// .json/.jsonl/.ndjson files (sorted); "-" is stdin.
func expandPaths(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		if p == "-" {
			out = append(out, p)
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".json", ".jsonl", ".ndjson":
				if !d.IsDir() {
					found = append(found, path)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no .json/.jsonl files", p)
		}
		slices.Sort(found)
		out = append(out, found...)
	}
	return out, nil
}

// readTraceFile parses one file's content and calls fn per trace (or per
// unreadable item). Documents are read as a stream of JSON values; when the
// first line is a whole value and more lines follow, the input is JSON lines
// and a bad line is skipped without losing the rest.
func readTraceFile(ctx context.Context, name string, r io.Reader, fn func(fileItem) error) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if isJSONLines(data) {
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 1<<30)
		line := 0
		for sc.Scan() {
			line++
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := decodeValue(fmt.Sprintf("%s:%d", name, line), b, fn); err != nil {
				return err
			}
		}
		return sc.Err()
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for n := 1; ; n++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			return nil
		} else if err != nil {
			// A syntax error leaves no place to resume a document.
			return fn(fileItem{Where: fmt.Sprintf("%s:#%d", name, n), Err: fmt.Errorf("not valid JSON: %w", err)})
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := decodeValue(fmt.Sprintf("%s:#%d", name, n), raw, fn); err != nil {
			return err
		}
	}
}

func isJSONLines(data []byte) bool {
	first, rest, ok := bytes.Cut(bytes.TrimLeft(data, " \t\r\n"), []byte("\n"))
	return ok && len(bytes.TrimSpace(rest)) > 0 && json.Valid(bytes.TrimSpace(first))
}

// decodeValue classifies one top-level JSON value and emits its traces.
func decodeValue(where string, raw []byte, fn func(fileItem) error) error {
	raw = bytes.TrimSpace(raw)
	if !json.Valid(raw) {
		return fn(fileItem{Where: where, Err: errors.New("not valid JSON")})
	}
	if len(raw) > 0 && raw[0] == '[' {
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return fn(fileItem{Where: where, Err: err})
		}
		return emitElems(where, elems, fn)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return fn(fileItem{Where: where, Err: errors.New("neither a Jaeger export nor OTLP JSON")})
	}
	switch {
	case obj["result"] != nil:
		return emitOTLP(where, raw, true, fn)
	case obj["resourceSpans"] != nil:
		return emitOTLP(where, raw, false, fn)
	case obj["spans"] != nil:
		return emitUI(where, raw, fn)
	case obj["data"] != nil:
		d := bytes.TrimSpace(obj["data"])
		switch {
		case len(d) > 0 && d[0] == '[':
			var elems []json.RawMessage
			if err := json.Unmarshal(d, &elems); err != nil {
				return fn(fileItem{Where: where, Err: err})
			}
			return emitElems(where, elems, fn)
		case len(d) > 0 && d[0] == '{':
			return emitUI(where, d, fn)
		}
		var env v1Envelope
		if json.Unmarshal(raw, &env) == nil && len(env.Errors) > 0 {
			return fn(fileItem{Where: where, Err: fmt.Errorf("a saved Jaeger error response: %d %s", env.Errors[0].Code, env.Errors[0].Msg)})
		}
		return fn(fileItem{Where: where, Err: errors.New(`"data" holds no traces`)})
	case obj["error"] != nil:
		var env struct {
			Error v3Error `json:"error"`
		}
		_ = json.Unmarshal(raw, &env)
		return fn(fileItem{Where: where, Err: fmt.Errorf("a saved Jaeger error response: %v", &env.Error)})
	}
	return fn(fileItem{Where: where, Err: errors.New("neither a Jaeger export nor OTLP JSON")})
}

func emitElems(where string, elems []json.RawMessage, fn func(fileItem) error) error {
	for i, e := range elems {
		w := fmt.Sprintf("%s[%d]", where, i)
		var probe map[string]json.RawMessage
		if json.Unmarshal(e, &probe) == nil && probe["resourceSpans"] != nil {
			if err := emitOTLP(w, e, false, fn); err != nil {
				return err
			}
			continue
		}
		if err := emitUI(w, e, fn); err != nil {
			return err
		}
	}
	return nil
}

func emitUI(where string, raw []byte, fn func(fileItem) error) error {
	id, td, err := ParseUITrace(raw)
	if err != nil {
		if tid := uiTraceID(raw); tid != "" {
			where += " trace " + tid
		}
		return fn(fileItem{Where: where, Err: err})
	}
	return fn(fileItem{Where: where, Trace: Trace{ID: id, Data: td}})
}

func emitOTLP(where string, raw []byte, v3 bool, fn func(fileItem) error) error {
	var trs []Trace
	var err error
	if v3 {
		trs, err = ParseV3Result(raw)
	} else {
		trs, err = parseOTLPJSON(raw)
	}
	if err != nil {
		return fn(fileItem{Where: where, Err: err})
	}
	for _, tr := range trs {
		if err := fn(fileItem{Where: where, Trace: tr}); err != nil {
			return err
		}
	}
	return nil
}
