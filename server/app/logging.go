package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	gokitlog "github.com/go-kit/log"
)

// NewLogger builds the one logger: slog, logfmt (text) or JSON.
func NewLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lv = slog.LevelDebug
	case "", "info":
		lv = slog.LevelInfo
	case "warn", "warning":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "", "logfmt":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: use logfmt or json", format)
}

// gokitAdapter lets dskit (go-kit logging) write through slog.
type gokitAdapter struct{ l *slog.Logger }

// GoKit returns a go-kit logger writing to l.
func GoKit(l *slog.Logger) gokitlog.Logger { return gokitAdapter{l} }

func (a gokitAdapter) Log(keyvals ...any) error {
	lv := slog.LevelInfo
	msg := ""
	attrs := make([]any, 0, len(keyvals))
	for i := 0; i+1 < len(keyvals); i += 2 {
		k := fmt.Sprint(keyvals[i])
		v := keyvals[i+1]
		switch k {
		case "level":
			switch fmt.Sprint(v) {
			case "debug":
				lv = slog.LevelDebug
			case "warn":
				lv = slog.LevelWarn
			case "error":
				lv = slog.LevelError
			}
			continue
		case "msg":
			msg = fmt.Sprint(v)
			continue
		case "ts", "caller":
			continue
		}
		// dskit logs addresses and the like as values with a String method;
		// the JSON handler would otherwise print their struct fields
		// ({"IP":…,"Port":…}) where logfmt prints host:port.
		if s, ok := v.(fmt.Stringer); ok && slog.AnyValue(v).Kind() == slog.KindAny {
			if _, isErr := v.(error); !isErr {
				v = s.String()
			}
		}
		attrs = append(attrs, k, v)
	}
	a.l.Log(context.Background(), lv, msg, attrs...)
	return nil
}
