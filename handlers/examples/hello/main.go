package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/bareku/bareku/handlers/m2handler"
	"github.com/bareku/bareku/protocol/m2"
)

func main() {
	m2handler.Main("hello", serve)
}

// serve answers requests until conn is shut down.
func serve(conn *m2handler.Conn, log *slog.Logger) error {
	hdr := http.Header{"Content-Type": {"text/plain; charset=utf-8"}}
	for {
		req, err := conn.Recv()
		switch {
		case errors.Is(err, m2handler.ErrClosed):
			return nil
		case errors.Is(err, m2.ErrInvalidRequest):
			log.Warn("skipped a message", "err", err)
			continue
		case err != nil:
			return err
		}
		if req.IsDisconnect() {
			log.Debug("client gone", "id", req.ID)
			continue
		}
		body := fmt.Appendf(nil, "Hello from Bareku, you asked for %s\n", req.Path)
		if err := conn.ReplyHTTP(req, 200, "OK", hdr, body); err != nil {
			return err
		}
		if req.WantsClose() {
			if err := conn.Close(req); err != nil {
				return err
			}
		}
	}
}
