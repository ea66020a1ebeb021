package server

import (
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/bareku/bareku/protocol/tnetstring"
)

// accessLogger writes Mongrel2's access log (spec §10.3): one tnetstring
// list per request, newline-terminated, written by its own goroutine so
// request handling never waits on the disk unless the queue is full.
type accessLogger struct {
	w     io.Writer
	log   *slog.Logger
	lines chan []byte
	done  sync.WaitGroup
}

const accessQueueLen = 4096

func newAccessLogger(w io.Writer, log *slog.Logger) *accessLogger {
	a := &accessLogger{w: w, log: log, lines: make(chan []byte, accessQueueLen)}
	a.done.Add(1)
	go a.run()
	return a
}

func (a *accessLogger) run() {
	defer a.done.Done()
	for line := range a.lines {
		if _, err := a.w.Write(line); err != nil {
			a.log.Error("could not write access log", "err", err)
		}
	}
}

func (a *accessLogger) close() {
	close(a.lines)
	a.done.Wait()
}

// logAccess records one request:
// [host, remote_addr, remote_port, time, METHOD, PATH, VERSION, status, size].
func (s *Server) logAccess(host string, c *conn, method, path, version []byte, status int, size int64) {
	if s.access == nil {
		return
	}
	line, mark := tnetstring.BeginContainer(make([]byte, 0, 128))
	line = tnetstring.AppendString(line, host)
	line = tnetstring.AppendString(line, c.remoteIP)
	line = tnetstring.AppendInt(line, int64(c.remotePort))
	line = tnetstring.AppendInt(line, time.Now().Unix())
	line = tnetstring.AppendString(line, method)
	line = tnetstring.AppendString(line, path)
	line = tnetstring.AppendString(line, version)
	line = tnetstring.AppendInt(line, int64(status))
	line = tnetstring.AppendInt(line, size)
	line = tnetstring.EndContainer(line, mark, tnetstring.TypeList)
	line = append(line, '\n')
	s.access.lines <- line
}
