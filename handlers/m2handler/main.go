package m2handler

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Main is the whole main function of a simple handler program: it reads
// the flags -send (the server's send_spec), -recv (its recv_spec) and -id
// (the sender identity, default a random UUID), connects, calls serve, and
// exits non-zero if serve fails. name labels the log lines. Connecting
// takes 100 ms, so that the server's subscription is in place before the
// first request arrives (see Options.SubscribeWait).
//
// SIGINT or SIGTERM stops the handler gracefully: Recv returns ErrClosed
// from then on (within DefaultPollInterval if serve is waiting in it),
// while replies still go out, so serve finishes the request in hand,
// answers what it has received and returns; the replies are then flushed (up to
// DefaultLinger) and the program exits. Requests the server pushed that
// serve has not yet taken with Recv are dropped with the connection: a
// server that must lose none stops sending to the handler before the
// signal (diprocd's switch_command and drain_time do that). A second
// signal ends the program at once.
func Main(name string, serve func(*Conn, *slog.Logger) error) {
	send := flag.String("send", "tcp://127.0.0.1:9997", "the handler's send_spec (the server's PUSH socket)")
	recv := flag.String("recv", "tcp://127.0.0.1:9996", "the handler's recv_spec (the server's SUB socket)")
	id := flag.String("id", "", "sender identity (default: a random UUID)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if *id == "" {
		*id = NewSenderID()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal the default action comes back, so that a
	// second one ends a handler that does not finish.
	context.AfterFunc(ctx, stop)
	if err := run(ctx, name, *send, *recv, *id, log, serve); err != nil {
		log.Error(name+" stopped", "err", err)
		os.Exit(1)
	}
}

// run connects, calls serve until it returns and shuts the connection
// down. When ctx ends first, it stops the connection from receiving (see
// Main) and lets serve return by itself.
func run(ctx context.Context, name, send, recv, id string, log *slog.Logger, serve func(*Conn, *slog.Logger) error) error {
	conn, err := ConnectOptions(send, recv, id, Options{SubscribeWait: subscribeWait})
	if err != nil {
		return err
	}
	served := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-ctx.Done():
			log.Info(name+" stopping: no new requests, finishing the ones received", "id", id)
			conn.StopReceiving()
		case <-served:
		}
	}()
	log.Info(name+" handler ready", "send", send, "recv", recv, "id", id)
	err = serve(conn, log)
	close(served)
	<-stopped
	if serr := conn.Shutdown(); serr != nil {
		log.Warn(name+" shutdown", "err", serr)
	}
	return err
}

// subscribeWait is Main's Options.SubscribeWait: a server that is up
// completes the PUB connection and sends its subscription within a few
// round trips, so a handler joining a server under load is subscribed
// before requests reach it. (A server that binds the endpoints only after
// both sockets started retrying gets the two connections in any order; it
// must hold requests back for a moment, as Bareku does after an upgrade or
// a reload.)
const subscribeWait = 100 * time.Millisecond
