package m2handler

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/bareku/bareku/protocol/zmq"
)

// Main is the whole main function of a simple handler program: it reads
// the flags -send (the server's send_spec), -recv (its recv_spec) and -id
// (the sender identity, default a random UUID), connects, calls serve, and
// exits non-zero if serve fails. name labels the log lines. Connecting
// takes 100 ms, so that the server's subscription is in place before the
// first request arrives (see connectStoppable).
//
// SIGINT or SIGTERM stops the handler gracefully: Recv returns ErrClosed
// from then on (at once if serve is waiting in it), while replies still go
// out, so serve finishes the request in hand, answers what it has
// received and returns; the replies are then flushed (up to
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
	conn, pullCtx, err := connectStoppable(send, recv, id)
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
		case <-served:
		}
		// Terminating the PULL socket's context makes a waiting Recv
		// return at once; Term itself returns once Shutdown has closed
		// the socket.
		pullCtx.Term()
	}()
	log.Info(name+" handler ready", "send", send, "recv", recv, "id", id)
	err = serve(conn, log)
	close(served)
	if serr := conn.Shutdown(); serr != nil {
		log.Warn(name+" shutdown", "err", serr)
	}
	<-stopped
	return err
}

// subscribeWait is how long connectStoppable waits between connecting the
// PUB socket and the PULL socket: a server that is up completes the PUB
// connection and sends its subscription within a few round trips, and a
// reply published before the subscription arrives is dropped.
const subscribeWait = 100 * time.Millisecond

// connectStoppable is Connect with default options, except that the PULL
// socket lives in a ZeroMQ context of its own (returned), which the caller
// terminates to stop receiving while the PUB socket, in the Conn's own
// context, keeps sending. Terminating a context is the one way libzmq
// offers to interrupt a receive from another thread.
//
// The two contexts have an I/O thread each, so the PUB connection no
// longer naturally precedes the PULL one: the PULL socket is connected
// subscribeWait after the PUB socket, so that a handler joining a server
// under load is subscribed before requests reach it. (A server that binds
// the endpoints only after both sockets started retrying gets the two
// connections in any order; it must hold requests back for a moment, as
// Bareku does after a binary upgrade.)
func connectStoppable(sendSpec, recvSpec, senderID string) (*Conn, *zmq.Context, error) {
	pullCtx, err := zmq.NewContext(1)
	if err != nil {
		return nil, nil, fmt.Errorf("m2handler: %w", err)
	}
	pubCtx, err := zmq.NewContext(1)
	if err != nil {
		pullCtx.Term()
		return nil, nil, fmt.Errorf("m2handler: %w", err)
	}
	c := &Conn{senderID: senderID, maxTargets: DefaultMaxTargets, poll: DefaultPollInterval, ctx: pubCtx, ownCtx: true}
	// PUB first, as in ConnectOptions: the subscription should be in
	// place before the first request can arrive.
	c.pub, err = pubCtx.Connect(zmq.Pub, recvSpec, zmq.Options{Identity: senderID, Linger: DefaultLinger})
	if err == nil {
		time.Sleep(subscribeWait)
		c.pull, err = pullCtx.Connect(zmq.Pull, sendSpec, zmq.Options{RecvTimeout: c.poll, Linger: -1})
		if err != nil {
			err = fmt.Errorf("m2handler: requests from %s: %w", sendSpec, err)
		}
	} else {
		err = fmt.Errorf("m2handler: replies to %s: %w", recvSpec, err)
	}
	if err != nil {
		c.closeAll()
		pullCtx.Term()
		return nil, nil, err
	}
	return c, pullCtx, nil
}
