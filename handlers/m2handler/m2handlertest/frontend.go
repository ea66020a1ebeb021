// Package m2handlertest is a fake Mongrel2 server end for testing handlers
// without a server: it binds the PUSH socket requests go out on and the SUB
// socket replies come back on, on ipc:// endpoints in a temporary
// directory, and lets a test send raw request messages and read raw
// replies.
//
// It imports testing, the standard library and protocol/zmq only.
package m2handlertest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bareku/bareku/protocol/zmq"
)

// tick is the receive timeout of the SUB socket, the granularity of Recv.
const tick = 10 * time.Millisecond

// FrontEnd is the server side of a handler connection. Its sockets belong
// to the test goroutine that created it.
type FrontEnd struct {
	// SendSpec is where the handler connects its PULL socket (the
	// handler's send_spec); RecvSpec where it connects its PUB socket.
	SendSpec, RecvSpec string

	t    testing.TB
	ctx  *zmq.Context
	push *zmq.Socket
	sub  *zmq.Socket
}

// New binds a fresh FrontEnd. Everything it opens is closed when the test
// ends.
func New(t testing.TB) *FrontEnd {
	t.Helper()
	dir := t.TempDir()
	// Unix socket paths are limited to about 107 bytes.
	if len(dir) > 80 {
		d, err := os.MkdirTemp("", "m2h")
		if err != nil {
			t.Fatalf("m2handlertest: %v", err)
		}
		t.Cleanup(func() { os.RemoveAll(d) })
		dir = d
	}
	f := &FrontEnd{
		SendSpec: "ipc://" + filepath.Join(dir, "send"),
		RecvSpec: "ipc://" + filepath.Join(dir, "recv"),
		t:        t,
	}
	ctx, err := zmq.NewContext(1)
	if err != nil {
		t.Fatalf("m2handlertest: %v", err)
	}
	f.ctx = ctx
	t.Cleanup(f.close)
	f.push, err = ctx.Bind(zmq.Push, f.SendSpec, zmq.Options{Linger: 0, SendTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("m2handlertest: %v", err)
	}
	f.sub, err = ctx.Bind(zmq.Sub, f.RecvSpec, zmq.Options{Linger: 0, RecvTimeout: tick})
	if err != nil {
		t.Fatalf("m2handlertest: %v", err)
	}
	return f
}

func (f *FrontEnd) close() {
	for _, s := range []*zmq.Socket{f.push, f.sub} {
		if s != nil {
			s.Close()
		}
	}
	if err := f.ctx.Term(); err != nil {
		f.t.Errorf("m2handlertest: %v", err)
	}
}

// Send pushes one request message to the handler. It fails the test if no
// handler takes it within 5 seconds.
func (f *FrontEnd) Send(msg []byte) {
	f.t.Helper()
	if err := f.push.Send(msg); err != nil {
		f.t.Fatalf("m2handlertest: send: %v", err)
	}
}

// Recv returns the next reply published by the handler, or false if none
// arrived within timeout.
func (f *FrontEnd) Recv(timeout time.Duration) ([]byte, bool) {
	f.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msg, err := f.sub.Recv()
		switch {
		case err == nil:
			return msg, true
		case !errors.Is(err, zmq.ErrTimeout):
			f.t.Fatalf("m2handlertest: receive: %v", err)
		case !time.Now().Before(deadline):
			return nil, false
		}
	}
}

// Expect reads the next reply and fails the test unless it is exactly want.
func (f *FrontEnd) Expect(want []byte) {
	f.t.Helper()
	got, ok := f.Recv(5 * time.Second)
	if !ok {
		f.t.Fatalf("m2handlertest: no reply, want %q", want)
	}
	if string(got) != string(want) {
		f.t.Fatalf("m2handlertest: reply\n got %q\nwant %q", got, want)
	}
}

// ExpectNone fails the test if a reply arrives within d.
func (f *FrontEnd) ExpectNone(d time.Duration) {
	f.t.Helper()
	if got, ok := f.Recv(d); ok {
		f.t.Fatalf("m2handlertest: unexpected reply %q", got)
	}
}

// Sync waits until the handler's PUB socket has received the SUB socket's
// subscription, so that nothing the handler publishes afterwards is lost.
// publish must send one message (any message) from the handler; it is
// called repeatedly until one arrives, then the extra copies are drained.
// Tests that only reply to requests they sent do not need Sync.
func (f *FrontEnd) Sync(publish func() error) {
	f.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := publish(); err != nil {
			f.t.Fatalf("m2handlertest: sync: %v", err)
		}
		if _, ok := f.Recv(2 * tick); ok {
			break
		}
		if time.Now().After(deadline) {
			f.t.Fatal("m2handlertest: sync: handler never reached the SUB socket")
		}
	}
	for {
		if _, ok := f.Recv(5 * tick); !ok {
			return
		}
	}
}
