package m2handler

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bareku/bareku/handlers/m2handler/m2handlertest"
	"github.com/bareku/bareku/protocol/zmq"
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

// TestConnectJoinsUnderLoad starts handlers one after another while a
// server end pushes requests as fast as it can: every request must be
// answered, so each handler's PUB socket must be subscribed before its
// PULL socket takes requests.
func TestConnectJoinsUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	dir := t.TempDir()
	send, recv := "ipc://"+filepath.Join(dir, "send"), "ipc://"+filepath.Join(dir, "recv")
	if len(recv) > 100 {
		t.Skip("temporary directory too deep for ipc:// paths")
	}
	zctx, err := zmq.NewContext(1)
	if err != nil {
		t.Fatal(err)
	}
	push, err := zctx.Bind(zmq.Push, send, zmq.Options{SendTimeout: 20 * time.Millisecond, Linger: 0})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := zctx.Bind(zmq.Sub, recv, zmq.Options{RecvTimeout: 20 * time.Millisecond, Linger: 0})
	if err != nil {
		t.Fatal(err)
	}

	// The server end: one goroutine pushes numbered requests until stop,
	// at most window of them unanswered (like clients waiting for their
	// answers, and so that no queue overflows); another notes which
	// numbers were answered.
	const window = 200
	var nAnswered atomic.Int64
	stop, stopped := make(chan struct{}), make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				stopped <- n
				return
			default:
			}
			if int64(n)-nAnswered.Load() >= window {
				time.Sleep(100 * time.Microsecond)
				continue
			}
			h := `{"PATH":"/","METHOD":"GET","VERSION":"HTTP/1.1","URI":"/","PATTERN":"/"}`
			msg := testUUID + " " + strconv.Itoa(n) + " / " + strconv.Itoa(len(h)) + ":" + h + ",0:,"
			if push.Send([]byte(msg)) == nil {
				n++
			}
		}
	}()
	answered := map[string]bool{}
	recvDone := make(chan struct{})
	quiet := make(chan struct{})
	go func() {
		defer close(recvDone)
		for {
			msg, err := sub.Recv()
			if err != nil {
				select {
				case <-quiet:
					return
				default:
					continue
				}
			}
			// "<uuid> <len>:<id>, ok"
			_, rest, _ := strings.Cut(string(msg), ":")
			id, _, _ := strings.Cut(rest, ",")
			if !answered[id] {
				answered[id] = true
				nAnswered.Add(1)
			}
		}
	}()

	const handlers = 6
	for range handlers {
		conn, err := ConnectOptions(send, recv, "h", Options{SubscribeWait: subscribeWait})
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan struct{})
		go func() {
			defer close(served)
			for {
				req, err := conn.Recv()
				if errors.Is(err, ErrClosed) {
					return
				}
				if err == nil {
					conn.Reply(req, []byte("ok"))
				}
			}
		}()
		t.Cleanup(func() {
			// As in run: receiving stops, then the Conn shuts down.
			conn.StopReceiving()
			<-served
			conn.Shutdown()
		})
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	sent := <-stopped
	for deadline := time.Now().Add(3 * time.Second); nAnswered.Load() < int64(sent) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // the last replies
	}
	close(quiet)
	<-recvDone
	push.Close()
	sub.Close()
	t.Cleanup(func() { zctx.Term() })
	lost := 0
	var lostIDs []int
	for i := range sent {
		if !answered[strconv.Itoa(i)] {
			lost++
			lostIDs = append(lostIDs, i)
		}
	}
	t.Logf("%d handlers joined under load: %d requests, %d unanswered", handlers, sent, lost)
	if lost > 0 {
		t.Errorf("%d of %d requests unanswered: %v", lost, sent, lostIDs[:min(lost, 20)])
	}
}
