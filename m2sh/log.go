package m2sh

import (
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"
)

// logger writes diagnostics in the format m2sh shares with the server's
// error log (spec §10.2):
//
//	Fri, 27 Nov 2026 14:34:45 GMT [WARN] (errno: None) message
//
// where the parenthesis names the system error behind the message, or
// None.
type logger struct {
	w   io.Writer
	now func() time.Time
	// idle is the errno shown for messages without a cause; nil shows
	// None. m2sh's shell leaves ENOTTY behind when stdin is not a
	// terminal, and its messages show it.
	idle error
}

const logTimeFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

func (l *logger) log(level string, cause error, format string, args ...any) {
	if cause == nil {
		cause = l.idle
	}
	fmt.Fprintf(l.w, "%s [%s] (errno: %s) %s\n",
		l.now().UTC().Format(logTimeFormat), level, errnoText(cause), fmt.Sprintf(format, args...))
}

// errorf logs an error; cause is the system error behind it, if any.
func (l *logger) errorf(cause error, format string, args ...any) {
	l.log("ERROR", cause, format, args...)
}

// warnf logs a warning; cause is the system error behind it, if any.
func (l *logger) warnf(cause error, format string, args ...any) {
	l.log("WARN", cause, format, args...)
}

// errnoText renders the errno in err like C strerror, or "None".
func errnoText(err error) string {
	var errno syscall.Errno
	if err == nil || !errors.As(err, &errno) || errno == 0 {
		return "None"
	}
	s := errno.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// infof logs an informational message, which m2sh writes without the
// errno part: "... GMT [INFO] message".
func (l *logger) infof(format string, args ...any) {
	fmt.Fprintf(l.w, "%s [INFO] %s\n", l.now().UTC().Format(logTimeFormat), fmt.Sprintf(format, args...))
}
