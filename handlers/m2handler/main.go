package m2handler

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// Main is the whole main function of a simple handler program: it reads
// the flags -send (the server's send_spec), -recv (its recv_spec) and -id
// (the sender identity, default a random UUID), connects, calls serve
// until SIGINT or SIGTERM shuts the connection down, and exits non-zero if
// serve fails. name labels the log lines.
func Main(name string, serve func(*Conn, *slog.Logger) error) {
	send := flag.String("send", "tcp://127.0.0.1:9997", "the handler's send_spec (the server's PUSH socket)")
	recv := flag.String("recv", "tcp://127.0.0.1:9996", "the handler's recv_spec (the server's SUB socket)")
	id := flag.String("id", "", "sender identity (default: a random UUID)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if *id == "" {
		*id = NewSenderID()
	}
	if err := run(name, *send, *recv, *id, log, serve); err != nil {
		log.Error(name+" stopped", "err", err)
		os.Exit(1)
	}
}

func run(name, send, recv, id string, log *slog.Logger, serve func(*Conn, *slog.Logger) error) error {
	conn, err := Connect(send, recv, id)
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
	log.Info(name+" handler ready", "send", send, "recv", recv, "id", id)
	return serve(conn, log)
}
