package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/bareku/bareku/handlers/m2handler"
	"github.com/bareku/bareku/protocol/m2"
)

func main() {
	send := flag.String("send", "tcp://127.0.0.1:9997", "the handler's send_spec (the server's PUSH socket)")
	recv := flag.String("recv", "tcp://127.0.0.1:9996", "the handler's recv_spec (the server's SUB socket)")
	id := flag.String("id", "", "sender identity (default: a random UUID)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if *id == "" {
		*id = m2handler.NewSenderID()
	}
	if err := run(*send, *recv, *id, log); err != nil {
		log.Error("hello stopped", "err", err)
		os.Exit(1)
	}
}

// run serves until SIGINT or SIGTERM.
func run(send, recv, id string, log *slog.Logger) error {
	conn, err := m2handler.Connect(send, recv, id)
	if err != nil {
		return err
	}
	defer conn.Shutdown()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		conn.Shutdown()
	}()
	log.Info("hello handler ready", "send", send, "recv", recv, "id", id)
	return serve(conn, log)
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
