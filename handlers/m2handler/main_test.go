package m2handler

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/bareku/bareku/handlers/m2handler/m2handlertest"
)

// running is one call of run against a fake server end.
type running struct {
	fe     *m2handlertest.FrontEnd
	conn   *Conn
	stop   context.CancelFunc
	done   chan error
	closed chan struct{} // closed when serve's Recv returned ErrClosed
}

// startRun calls run in the background with a serve that reports its
// Conn, hands each request to handle, and returns nil on ErrClosed or
// handle's error. It returns once the Conn's replies reach the FrontEnd.
func startRun(t *testing.T, handle func(*Conn, *Request) error) *running {
	t.Helper()
	r := &running{fe: m2handlertest.New(t), done: make(chan error, 1), closed: make(chan struct{})}
	ctx, stop := context.WithCancel(context.Background())
	r.stop = stop
	conns := make(chan *Conn, 1)
	serve := func(c *Conn, _ *slog.Logger) error {
		conns <- c
		for {
			req, err := c.Recv()
			if errors.Is(err, ErrClosed) {
				close(r.closed)
				return nil
			}
			if err != nil {
				return err
			}
			if err := handle(c, req); err != nil {
				return err
			}
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { r.done <- run(ctx, "test", r.fe.SendSpec, r.fe.RecvSpec, "test-sender", log, serve) }()
	select {
	case r.conn = <-conns:
	case err := <-r.done:
		t.Fatalf("run: %v", err)
	}
	t.Cleanup(func() {
		stop()
		r.wait(t)
	})
	r.fe.Sync(func() error { return r.conn.Deliver("sync", []uint64{0}, []byte("sync")) })
	return r
}

// wait returns run's result, failing the test if it takes over 5 s.
func (r *running) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // for a later wait (the cleanup's)
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return")
		return nil
	}
}

func TestRunStopFinishesRequestInHand(t *testing.T) {
	inHand := make(chan struct{})
	release := make(chan struct{})
	r := startRun(t, func(c *Conn, req *Request) error {
		close(inHand)
		<-release
		return c.Reply(req, []byte("answer"))
	})
	r.fe.Send([]byte(getJSON))
	<-inHand
	r.stop()
	// Give a stop that wrongly closed the whole connection time to do so.
	time.Sleep(100 * time.Millisecond)
	close(release)
	r.fe.Expect([]byte(testUUID + " 1:1, answer"))
	if err := r.wait(t); err != nil {
		t.Fatalf("run: %v", err)
	}
	select {
	case <-r.closed:
	default:
		t.Error("serve returned without Recv saying ErrClosed")
	}
}

func TestRunStopWhileIdle(t *testing.T) {
	r := startRun(t, func(c *Conn, req *Request) error { return c.Reply(req, []byte("answer")) })
	r.fe.Send([]byte(getJSON))
	r.fe.Expect([]byte(testUUID + " 1:1, answer"))
	start := time.Now()
	r.stop()
	if err := r.wait(t); err != nil {
		t.Fatalf("run: %v", err)
	}
	// A waiting Recv is interrupted, not left to its poll loop; what
	// remains is the replies' linger, of which there are none.
	if took := time.Since(start); took > DefaultLinger/2 {
		t.Errorf("an idle handler took %v to stop", took)
	}
	select {
	case <-r.closed:
	default:
		t.Error("serve returned without Recv saying ErrClosed")
	}
}

func TestRunReturnsServeError(t *testing.T) {
	boom := errors.New("boom")
	r := startRun(t, func(c *Conn, req *Request) error {
		if err := c.Reply(req, []byte("answer")); err != nil {
			return err
		}
		return boom
	})
	r.fe.Send([]byte(getJSON))
	r.fe.Expect([]byte(testUUID + " 1:1, answer"))
	if err := r.wait(t); !errors.Is(err, boom) {
		t.Fatalf("run: %v, want %v", err, boom)
	}
}
