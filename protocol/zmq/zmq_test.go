package zmq

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestPushPullAndSubFilter(t *testing.T) {
	ctx, err := NewContext(1)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pushEP := "ipc://" + filepath.Join(dir, "push")
	subEP := "ipc://" + filepath.Join(dir, "sub")

	push, err := ctx.Bind(Push, pushEP, Options{Identity: "ident", SendHWM: 10, Linger: 100 * time.Millisecond, SendTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	pull, err := ctx.Connect(Pull, pushEP, Options{RecvTimeout: 2 * time.Second, Linger: 0})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := ctx.Bind(Sub, subEP, Options{Subscribe: "abc", RecvTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ctx.Connect(Pub, subEP, Options{Linger: 0})
	if err != nil {
		t.Fatal(err)
	}

	if err := push.Send([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	got, err := pull.Recv()
	if err != nil || string(got) != "hello" {
		t.Fatalf("pull got %q, %v", got, err)
	}

	// The subscription is a prefix filter: "xyz" must never arrive, "abc1" must.
	deadline := time.Now().Add(3 * time.Second)
	for {
		if err := pub.Send([]byte("xyz")); err != nil {
			t.Fatal(err)
		}
		if err := pub.Send([]byte("abc1")); err != nil {
			t.Fatal(err)
		}
		msg, err := sub.Recv()
		if errors.Is(err, ErrTimeout) {
			if time.Now().After(deadline) {
				t.Fatal("no message through the subscription")
			}
			continue // the PUB connection was not up yet
		}
		if err != nil {
			t.Fatal(err)
		}
		if string(msg) != "abc1" {
			t.Fatalf("sub got %q, want abc1", msg)
		}
		break
	}

	for _, s := range []*Socket{push, pull, sub, pub} {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := ctx.Term(); err != nil {
		t.Fatal(err)
	}
}

func TestRecvTimeout(t *testing.T) {
	ctx, err := NewContext(1)
	if err != nil {
		t.Fatal(err)
	}
	ep := "ipc://" + filepath.Join(t.TempDir(), "s")
	s, err := ctx.Bind(Pull, ep, Options{RecvTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Recv on an idle socket: got %v, want ErrTimeout", err)
	}
	s.Close()
	ctx.Term()
}

func TestBindErrorNamesEndpoint(t *testing.T) {
	ctx, err := NewContext(1)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Term()
	_, err = ctx.Bind(Push, "bogus://x", Options{})
	if err == nil {
		t.Fatal("bind to a bogus endpoint succeeded")
	}
	if want := "bogus://x"; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not name the endpoint", err)
	}
}

// pushPull returns a PULL socket bound to a fresh ipc endpoint and a PUSH
// socket connected to it, in a context of their own, all closed when the
// test ends.
func pushPull(t *testing.T) (push, pull *Socket) {
	t.Helper()
	ctx, err := NewContext(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ctx.Term() })
	ep := "ipc://" + filepath.Join(t.TempDir(), "pushpull")
	pull, err = ctx.Bind(Pull, ep, Options{Linger: 0})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pull.Close() })
	push, err = ctx.Connect(Push, ep, Options{Linger: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { push.Close() })
	return push, pull
}

// TestReceiveEach: every message arrives once and in order, whether it was
// queued before the call or sent while it waits, and closing done ends the
// call promptly.
func TestReceiveEach(t *testing.T) {
	push, pull := pushPull(t)

	const before, during = 500, 500
	for i := range before {
		if err := push.Send([]byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	got := make(chan string, before+during)
	returned := make(chan error, 1)
	go func() { returned <- pull.ReceiveEach(done, func(m []byte) { got <- string(m) }) }()
	for i := range before + during {
		if i >= before {
			// Paced, so that most arrive while the receiver waits.
			if i%50 == 0 {
				time.Sleep(5 * time.Millisecond)
			}
			if err := push.Send([]byte(strconv.Itoa(i))); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case m := <-got:
			if m != strconv.Itoa(i) {
				t.Fatalf("message %d is %q", i, m)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("message %d never arrived", i)
		}
	}
	time.Sleep(20 * time.Millisecond)
	close(done)
	select {
	case err := <-returned:
		if err != nil {
			t.Fatalf("ReceiveEach returned %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("ReceiveEach did not return after done was closed")
	}
	if len(got) != 0 {
		t.Fatalf("%d extra messages", len(got))
	}
}

// TestReceiverDeadlineAndInterrupt: Recv gives up at its deadline, still
// receives afterwards, and a waiting Recv returns at once on Interrupt.
func TestReceiverDeadlineAndInterrupt(t *testing.T) {
	push, pull := pushPull(t)
	r, err := pull.Receiver()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	start := time.Now()
	if _, err := r.Recv(start.Add(50 * time.Millisecond)); err != ErrTimeout {
		t.Fatalf("Recv with nothing sent: %v", err)
	}
	if took := time.Since(start); took < 50*time.Millisecond || took > time.Second {
		t.Fatalf("the 50 ms deadline took %v", took)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		push.Send([]byte("late"))
	}()
	if m, err := r.Recv(time.Now().Add(5 * time.Second)); err != nil || string(m) != "late" {
		t.Fatalf("Recv = %q, %v", m, err)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		r.Interrupt()
	}()
	start = time.Now()
	if _, err := r.Recv(time.Time{}); err != ErrInterrupted {
		t.Fatalf("interrupted Recv: %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("the interrupt took %v", took)
	}
	push.Send([]byte("after"))
	if _, err := r.Recv(time.Time{}); err != ErrInterrupted {
		t.Fatalf("Recv after Interrupt: %v", err)
	}
}
