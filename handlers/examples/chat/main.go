package main

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"

	"github.com/bareku/bareku/handlers/m2handler"
	"github.com/bareku/bareku/protocol/m2"
)

func main() {
	m2handler.Main("chat", func(conn *m2handler.Conn, log *slog.Logger) error {
		return newRoom(conn, log).serve()
	})
}

// room is the chat state. It is owned by the goroutine running serve.
type room struct {
	conn *m2handler.Conn
	log  *slog.Logger
	// members holds the joined socket connections, by the UUID of the
	// server they are on (a handler may be shared by several servers).
	members map[string]map[uint64]bool
}

func newRoom(conn *m2handler.Conn, log *slog.Logger) *room {
	return &room{conn: conn, log: log, members: map[string]map[uint64]bool{}}
}

// serve handles messages until the connection is shut down.
func (r *room) serve() error {
	for {
		req, err := r.conn.Recv()
		switch {
		case errors.Is(err, m2handler.ErrClosed):
			return nil
		case errors.Is(err, m2.ErrInvalidRequest):
			r.log.Warn("skipped a message", "err", err)
			continue
		case err != nil:
			return err
		}
		if err := r.handle(req); err != nil {
			return err
		}
	}
}

var textPlain = http.Header{"Content-Type": {"text/plain; charset=utf-8"}}

func (r *room) handle(req *m2handler.Request) error {
	switch {
	case req.IsDisconnect():
		if r.members[req.UUID][req.ID] {
			delete(r.members[req.UUID], req.ID)
			r.log.Info("left", "server", req.UUID, "id", req.ID, "members", r.count())
		}
		return nil

	case req.Method() == "JSON":
		if r.members[req.UUID] == nil {
			r.members[req.UUID] = map[uint64]bool{}
		}
		if !r.members[req.UUID][req.ID] {
			r.members[req.UUID][req.ID] = true
			r.log.Info("joined", "server", req.UUID, "id", req.ID, "members", r.count())
		}
		return r.broadcast(req.Body)

	case req.Method() == "POST":
		if len(req.Body) == 0 {
			return r.replyHTTP(req, 400, "Bad Request", "empty message\n")
		}
		if err := r.broadcast(req.Body); err != nil {
			return err
		}
		return r.replyHTTP(req, 200, "OK", fmt.Sprintf("delivered to %d\n", r.count()))

	case req.Header("VERSION") != "":
		r.log.Debug("refused", "method", req.Method(), "path", req.Path)
		hdr := textPlain.Clone()
		hdr.Set("Allow", "POST")
		return r.reply(req, 405, "Method Not Allowed", hdr, "POST a message, or join with @chat socket messages\n")

	default:
		// XML socket messages and websocket traffic are not part of the chat.
		r.log.Debug("ignored", "method", req.Method(), "path", req.Path)
		return nil
	}
}

// broadcast sends body to every joined connection, one reply per server.
func (r *room) broadcast(body []byte) error {
	for _, uuid := range slices.Sorted(maps.Keys(r.members)) {
		ids := slices.Sorted(maps.Keys(r.members[uuid]))
		if err := r.conn.Deliver(uuid, ids, body); err != nil {
			return err
		}
	}
	return nil
}

func (r *room) count() int {
	n := 0
	for _, ids := range r.members {
		n += len(ids)
	}
	return n
}

func (r *room) replyHTTP(req *m2handler.Request, code int, status, body string) error {
	return r.reply(req, code, status, textPlain, body)
}

func (r *room) reply(req *m2handler.Request, code int, status string, hdr http.Header, body string) error {
	if err := r.conn.ReplyHTTP(req, code, status, hdr, []byte(body)); err != nil {
		return err
	}
	if req.WantsClose() {
		return r.conn.Close(req)
	}
	return nil
}
