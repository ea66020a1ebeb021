package server

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"sync"
	"time"
)

// LogHandler is a slog.Handler that writes Mongrel2's error-log line format
// (spec §10.2):
//
//	Fri, 27 Nov 2026 14:34:45 GMT [INFO] (server/conn.go:120) message key=value
type LogHandler struct {
	mu    *sync.Mutex
	w     io.Writer
	level slog.Leveler
	attrs []byte // pre-rendered " key=value" pairs from WithAttrs
	group string
}

// NewLogHandler returns a handler writing records at or above level to w.
func NewLogHandler(w io.Writer, level slog.Leveler) *LogHandler {
	return &LogHandler{mu: new(sync.Mutex), w: w, level: level}
}

// Enabled reports whether records at l are written.
func (h *LogHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

// Handle writes one line.
func (h *LogHandler) Handle(_ context.Context, r slog.Record) error {
	buf := make([]byte, 0, 256)
	buf = r.Time.UTC().AppendFormat(buf, "Mon, 02 Jan 2006 15:04:05 GMT")
	switch {
	case r.Level >= slog.LevelError:
		buf = append(buf, " [ERROR] "...)
	case r.Level >= slog.LevelWarn:
		buf = append(buf, " [WARN] "...)
	case r.Level >= slog.LevelInfo:
		buf = append(buf, " [INFO] "...)
	default:
		buf = append(buf, " DEBUG "...)
	}
	if r.PC != 0 {
		f, _ := goruntime.CallersFrames([]uintptr{r.PC}).Next()
		buf = append(buf, '(')
		buf = append(buf, filepath.Base(filepath.Dir(f.File))...)
		buf = append(buf, '/')
		buf = append(buf, filepath.Base(f.File)...)
		buf = append(buf, ':')
		buf = strconv.AppendInt(buf, int64(f.Line), 10)
		buf = append(buf, ") "...)
	}
	buf = append(buf, r.Message...)
	buf = append(buf, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		buf = appendAttr(buf, h.group, a)
		return true
	})
	buf = append(buf, '\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write(buf)
	return err
}

func appendAttr(buf []byte, group string, a slog.Attr) []byte {
	if a.Equal(slog.Attr{}) {
		return buf
	}
	buf = append(buf, ' ')
	if group != "" {
		buf = append(buf, group...)
		buf = append(buf, '.')
	}
	buf = append(buf, a.Key...)
	buf = append(buf, '=')
	v := a.Value.Resolve().String()
	if needsQuote(v) {
		return strconv.AppendQuote(buf, v)
	}
	return append(buf, v...)
}

func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == '"' || c == '=' || c >= 0x7f {
			return true
		}
	}
	return false
}

// WithAttrs returns a handler that appends attrs to every line.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append([]byte(nil), h.attrs...)
	for _, a := range attrs {
		h2.attrs = appendAttr(h2.attrs, h.group, a)
	}
	return &h2
}

// WithGroup returns a handler that prefixes later keys with name.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	h2 := *h
	if h2.group != "" {
		name = h2.group + "." + name
	}
	h2.group = name
	return &h2
}

// LogFile is an append-only file that can be reopened in place, so that
// SIGHUP lets operators rotate logs like with Mongrel2.
type LogFile struct {
	mu   sync.Mutex
	path string
	f    *os.File
}

// OpenLogFile opens path for appending, creating it if needed.
func OpenLogFile(path string) (*LogFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	return &LogFile{path: path, f: f}, nil
}

// NewLogFile returns a LogFile for path that is not open yet: writes are
// discarded until Reopen succeeds. The server uses it for logs that must be
// opened after a chroot.
func NewLogFile(path string) *LogFile { return &LogFile{path: path} }

// Write appends p.
func (l *LogFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return len(p), nil
	}
	return l.f.Write(p)
}

// Reopen closes and reopens the file by name.
func (l *LogFile) Reopen() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	l.mu.Lock()
	old := l.f
	l.f = f
	l.mu.Unlock()
	if old == nil {
		return nil
	}
	return old.Close()
}

// Close closes the file.
func (l *LogFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}

// formatLogTime is the date format of both the error log and HTTP dates.
func formatLogTime(t time.Time) string { return t.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT") }
