package zmq

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	zmq4 "github.com/pebbe/zmq4"
)

// ErrTimeout is returned by Send and Recv when the socket's send or receive
// timeout expired (libzmq's EAGAIN).
var ErrTimeout = errors.New("zmq: timeout")

// ErrClosed is returned once the context has been terminated (libzmq's ETERM)
// or the socket was closed.
var ErrClosed = errors.New("zmq: closed")

// Kind is a ZeroMQ socket type.
type Kind int

// The socket types the project uses.
const (
	Push Kind = iota
	Pull
	Pub
	Sub
	Req
	Rep
)

var kindTypes = [...]zmq4.Type{Push: zmq4.PUSH, Pull: zmq4.PULL, Pub: zmq4.PUB, Sub: zmq4.SUB, Req: zmq4.REQ, Rep: zmq4.REP}

func (k Kind) String() string {
	return [...]string{"PUSH", "PULL", "PUB", "SUB", "REQ", "REP"}[k]
}

// Options are the socket options set before binding or connecting. Zero
// values mean "leave libzmq's default", except Subscribe, which is only
// applied to Sub sockets (where "" subscribes to everything).
type Options struct {
	Identity    string        // ZMQ_IDENTITY (routing id), when non-empty
	Subscribe   string        // ZMQ_SUBSCRIBE prefix, Sub sockets only
	SendHWM     int           // ZMQ_SNDHWM, messages
	RecvHWM     int           // ZMQ_RCVHWM, messages
	Linger      time.Duration // ZMQ_LINGER; negative = wait forever
	SendTimeout time.Duration // ZMQ_SNDTIMEO; 0 = block
	RecvTimeout time.Duration // ZMQ_RCVTIMEO; 0 = block
}

// Context is a ZeroMQ context with its own I/O threads. Each server owns
// one, so several servers can live in one process.
type Context struct {
	ctx *zmq4.Context
}

// NewContext creates a context with the given number of I/O threads (at
// least 1).
func NewContext(ioThreads int) (*Context, error) {
	ctx, err := zmq4.NewContext()
	if err != nil {
		return nil, fmt.Errorf("zmq: new context: %w", err)
	}
	if ioThreads < 1 {
		ioThreads = 1
	}
	if err := ctx.SetIoThreads(ioThreads); err != nil {
		ctx.Term()
		return nil, fmt.Errorf("zmq: set io threads: %w", err)
	}
	return &Context{ctx: ctx}, nil
}

// Term terminates the context. It blocks until every socket of the context
// is closed and their linger periods have passed.
func (c *Context) Term() error {
	if err := c.ctx.Term(); err != nil {
		return fmt.Errorf("zmq: term: %w", err)
	}
	return nil
}

// Socket is one ZeroMQ socket. It must be used by one goroutine at a time.
type Socket struct {
	s        *zmq4.Socket
	kind     Kind
	endpoint string
}

// Bind creates a socket of the given kind, applies opt and binds it to
// endpoint.
func (c *Context) Bind(kind Kind, endpoint string, opt Options) (*Socket, error) {
	return c.open(kind, endpoint, opt, true)
}

// Connect creates a socket of the given kind, applies opt and connects it to
// endpoint.
func (c *Context) Connect(kind Kind, endpoint string, opt Options) (*Socket, error) {
	return c.open(kind, endpoint, opt, false)
}

func (c *Context) open(kind Kind, endpoint string, opt Options, bind bool) (*Socket, error) {
	s, err := c.ctx.NewSocket(kindTypes[kind])
	if err != nil {
		return nil, fmt.Errorf("zmq: new %v socket: %w", kind, err)
	}
	if err := apply(s, kind, opt); err != nil {
		s.Close()
		return nil, fmt.Errorf("zmq: %v %s: %w", kind, endpoint, err)
	}
	verb := "connect"
	if bind {
		verb = "bind"
		err = s.Bind(endpoint)
	} else {
		err = s.Connect(endpoint)
	}
	if err != nil {
		s.SetLinger(0)
		s.Close()
		return nil, fmt.Errorf("zmq: %s %v %s: %w", verb, kind, endpoint, err)
	}
	return &Socket{s: s, kind: kind, endpoint: endpoint}, nil
}

func apply(s *zmq4.Socket, kind Kind, opt Options) error {
	if opt.Identity != "" {
		if err := s.SetIdentity(opt.Identity); err != nil {
			return fmt.Errorf("identity: %w", err)
		}
	}
	if opt.SendHWM > 0 {
		if err := s.SetSndhwm(opt.SendHWM); err != nil {
			return fmt.Errorf("sndhwm: %w", err)
		}
	}
	if opt.RecvHWM > 0 {
		if err := s.SetRcvhwm(opt.RecvHWM); err != nil {
			return fmt.Errorf("rcvhwm: %w", err)
		}
	}
	if opt.Linger != 0 {
		if err := s.SetLinger(opt.Linger); err != nil {
			return fmt.Errorf("linger: %w", err)
		}
	}
	if opt.SendTimeout > 0 {
		if err := s.SetSndtimeo(opt.SendTimeout); err != nil {
			return fmt.Errorf("sndtimeo: %w", err)
		}
	}
	if opt.RecvTimeout > 0 {
		if err := s.SetRcvtimeo(opt.RecvTimeout); err != nil {
			return fmt.Errorf("rcvtimeo: %w", err)
		}
	}
	if kind == Sub {
		if err := s.SetSubscribe(opt.Subscribe); err != nil {
			return fmt.Errorf("subscribe: %w", err)
		}
	}
	return nil
}

// Endpoint is the address the socket was bound or connected to.
func (s *Socket) Endpoint() string { return s.endpoint }

// Send sends one single-frame message. libzmq copies data, so the caller may
// reuse it as soon as Send returns.
func (s *Socket) Send(data []byte) error {
	_, err := s.s.SendBytes(data, 0)
	return mapErr(err)
}

// Recv receives one message frame. The Mongrel2 protocol uses single-frame
// messages; like Mongrel2, a multi-frame message is read one frame per call.
func (s *Socket) Recv() ([]byte, error) {
	b, err := s.s.RecvBytes(0)
	if err != nil {
		return nil, mapErr(err)
	}
	return b, nil
}

// Close closes the socket. Unsent messages are kept for the linger period.
func (s *Socket) Close() error {
	if err := s.s.Close(); err != nil {
		return fmt.Errorf("zmq: close %v %s: %w", s.kind, s.endpoint, err)
	}
	return nil
}

func mapErr(err error) error {
	if err == nil {
		return nil
	}
	switch zmq4.AsErrno(err) {
	case zmq4.Errno(syscall.EAGAIN):
		return ErrTimeout
	case zmq4.ETERM, zmq4.Errno(syscall.ENOTSOCK):
		return ErrClosed
	}
	if errors.Is(err, zmq4.ErrorSocketClosed) {
		return ErrClosed
	}
	return fmt.Errorf("zmq: %w", err)
}

// SendNoWait sends one message if libzmq can queue it at once; otherwise
// (no connected peer, or the high-water mark reached) it returns ErrTimeout
// without blocking.
func (s *Socket) SendNoWait(data []byte) error {
	_, err := s.s.SendBytes(data, zmq4.DONTWAIT)
	return mapErr(err)
}

// ErrInterrupted is returned by Receiver.Recv once Interrupt was called.
var ErrInterrupted = errors.New("zmq: receive interrupted")

// Receiver receives from one socket, waiting through the Go runtime's
// network poller on the socket's ZMQ_FD rather than in a thread blocked
// inside libzmq. A blocked call holds an OS thread and hands the
// goroutine's processor to another thread on every wait, a thread switch
// per burst of messages; here a wait is one more descriptor in the poller
// the network connections already use. It also makes a wait
// interruptible from another goroutine, which libzmq itself offers only by
// terminating the whole context.
//
// Recv must not be called concurrently, nor with other uses of the socket;
// Interrupt may be called from any goroutine.
type Receiver struct {
	s           *Socket
	f           *os.File // our own descriptor for the socket's ZMQ_FD
	rc          syscall.RawConn
	interrupted atomic.Bool
	deadline    time.Time // the read deadline last set on f, by Recv
}

// Receiver returns a Receiver for s. Close it before closing s.
func (s *Socket) Receiver() (*Receiver, error) {
	zfd, err := s.s.GetFd()
	if err != nil {
		return nil, fmt.Errorf("zmq: %v %s: ZMQ_FD: %w", s.kind, s.endpoint, err)
	}
	// The poller gets its own descriptor for the same signalling file, so
	// closing it leaves libzmq's untouched. libzmq made that file
	// non-blocking, which lets os.NewFile register it with the poller.
	fd, err := syscall.Dup(zfd)
	if err != nil {
		return nil, fmt.Errorf("zmq: %v %s: dup ZMQ_FD: %w", s.kind, s.endpoint, err)
	}
	syscall.CloseOnExec(fd)
	f := os.NewFile(uintptr(fd), "zmq-fd")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("zmq: %v %s: %w", s.kind, s.endpoint, err)
	}
	return &Receiver{s: s, f: f, rc: rc}, nil
}

// Recv returns the next message frame. It returns ErrTimeout once deadline
// has passed (a zero deadline waits without limit) and ErrInterrupted once
// Interrupt was called, even while it waits. Each message is a fresh slice
// the caller may keep.
func (r *Receiver) Recv(deadline time.Time) ([]byte, error) {
	for {
		if r.interrupted.Load() {
			return nil, ErrInterrupted
		}
		b, err := r.s.s.RecvBytes(zmq4.DONTWAIT)
		if err == nil {
			return b, nil
		}
		if err = mapErr(err); err != ErrTimeout {
			return nil, err
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return nil, ErrTimeout
		}
		if err := r.wait(deadline); err != nil {
			return nil, err
		}
	}
}

// wait returns when a message may have arrived, the deadline passed or
// Interrupt was called.
func (r *Receiver) wait(deadline time.Time) error {
	if !deadline.Equal(r.deadline) {
		r.f.SetReadDeadline(deadline)
		r.deadline = deadline
		// Interrupt sets the flag before its own (past) deadline, so
		// either the flag is seen here or that deadline replaced ours.
		if r.interrupted.Load() {
			return nil
		}
	}
	// ZMQ_FD only says that something may have changed. The poller's
	// readiness is reset when the wait starts, so ZMQ_EVENTS (which also
	// consumes the signal) is asked after that: a message that came since
	// the last receive is seen there, and anything later signals the
	// poller. After a wake Recv finds out for itself.
	var evErr error
	checked := false
	err := r.rc.Read(func(uintptr) bool {
		if checked {
			return true
		}
		checked = true
		ev, err := r.s.s.GetEvents()
		if err != nil {
			evErr = err
			return true
		}
		return ev&zmq4.POLLIN != 0
	})
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil // Recv tells a deadline from an interrupt
	case errors.Is(err, os.ErrClosed):
		return ErrClosed
	case err != nil:
		return fmt.Errorf("zmq: %v %s: wait: %w", r.s.kind, r.s.endpoint, err)
	case evErr != nil:
		return mapErr(evErr)
	}
	return nil
}

// Interrupt makes a waiting Recv, and every later one, return
// ErrInterrupted.
func (r *Receiver) Interrupt() {
	r.interrupted.Store(true)
	r.f.SetReadDeadline(time.Unix(1, 0))
}

// Close releases the Receiver's descriptor; the socket stays open.
func (r *Receiver) Close() error {
	if err := r.f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("zmq: %v %s: %w", r.s.kind, r.s.endpoint, err)
	}
	return nil
}

// ReceiveEach calls handle with every message frame the socket receives,
// in order, until done is closed (it then returns nil) or the socket
// fails. Each msg is a fresh slice that handle may keep. It waits like a
// Receiver, and the socket must not be used by anything else meanwhile.
func (s *Socket) ReceiveEach(done <-chan struct{}, handle func(msg []byte)) error {
	r, err := s.Receiver()
	if err != nil {
		return err
	}
	defer r.Close()
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-done:
			r.Interrupt()
		case <-finished:
		}
	}()
	for {
		b, err := r.Recv(time.Time{})
		switch {
		case err == ErrInterrupted:
			return nil
		case err != nil:
			return err
		}
		handle(b)
	}
}
