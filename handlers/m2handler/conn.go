package m2handler

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bareku/bareku/protocol/m2"
	"github.com/bareku/bareku/protocol/tnetstring"
	"github.com/bareku/bareku/protocol/zmq"
)

// ErrTimeout is returned by RecvTimeout when no message arrived in time.
var ErrTimeout = errors.New("m2handler: receive timed out")

// ErrClosed is returned by every method once Shutdown has been called,
// and by Recv once StopReceiving has been.
var ErrClosed = errors.New("m2handler: connection shut down")

// Defaults for Options fields left zero.
const (
	DefaultPollInterval = 50 * time.Millisecond
	DefaultLinger       = time.Second
	// DefaultMaxTargets is Mongrel2's default limits.handler_targets: the
	// server drops a whole reply that lists more connection ids.
	DefaultMaxTargets = 128
)

// Options tune a Conn. The zero value is usable.
type Options struct {
	// Context is the ZeroMQ context to open the sockets in. When nil the
	// Conn creates one with one I/O thread and terminates it on Shutdown.
	Context *zmq.Context
	// RecvHWM and SendHWM are the high-water marks, in messages, of the
	// PULL and PUB sockets; 0 keeps libzmq's default (1000). The PUB socket
	// drops replies beyond its mark rather than block.
	RecvHWM, SendHWM int
	// Linger is how long Shutdown waits for unsent replies to go out;
	// 0 means DefaultLinger, a negative value waits without limit.
	Linger time.Duration
	// PollInterval is how often a blocked Recv wakes up to notice Shutdown
	// or StopReceiving (and the granularity of RecvTimeout); 0 means
	// DefaultPollInterval. Messages are returned as soon as they arrive
	// whatever its value. (Recv waits inside libzmq rather than in the Go
	// network poller: for a handler answering one request at a time that
	// is the quicker wake-up.)
	PollInterval time.Duration
	// SubscribeWait is how long to wait between connecting the PUB socket
	// and the PULL socket. A reply published before the server's
	// subscription has come back over the new PUB connection is dropped;
	// a server that is up sends it within a few round trips, so a handler
	// joining a busy server should wait a little (Main waits 100 ms)
	// before it can receive requests.
	SubscribeWait time.Duration
	// MaxTargets is the most connection ids put in one reply; longer id
	// lists are sent as several replies. 0 means DefaultMaxTargets; set it
	// to the server's limits.handler_targets if that was changed.
	MaxTargets int
}

// Conn is a handler's connection to a server: a PULL socket connected to
// the server's send_spec, from which requests arrive, and a PUB socket with
// identity senderID connected to its recv_spec, to which replies go.
//
// A Conn is safe for concurrent use. ZeroMQ sockets are not, so each socket
// is used under its own mutex: one goroutine at a time receives, one at a
// time sends, and a goroutine may send replies while another is blocked in
// Recv. Shutdown and StopReceiving may be called from any goroutine; a
// blocked Recv then returns ErrClosed within one PollInterval.
//
// Sending never blocks: replies are queued in the PUB socket and dropped
// by ZeroMQ if the server is gone and the queue is full. Like every
// Mongrel2 handler, a freshly connected Conn also loses what it publishes
// before the server's subscription has reached it, a few milliseconds
// after the connection is made. Connect connects the PUB socket before the
// PULL socket so that the subscription is normally in place before the
// first request can arrive.
type Conn struct {
	senderID   string
	maxTargets int
	poll       time.Duration

	ctx    *zmq.Context
	ownCtx bool

	recvMu      sync.Mutex
	pull        *zmq.Socket
	recvStopped atomic.Bool // StopReceiving was called

	sendMu sync.Mutex
	pub    *zmq.Socket
	buf    []byte // reply being built, reused under sendMu

	closed atomic.Bool
}

// Connect connects to a server with default options. sendSpec and recvSpec
// are the handler's send_spec and recv_spec as configured in the server,
// e.g. "tcp://127.0.0.1:9997" and "tcp://127.0.0.1:9996".
func Connect(sendSpec, recvSpec, senderID string) (*Conn, error) {
	return ConnectOptions(sendSpec, recvSpec, senderID, Options{})
}

// ConnectOptions is Connect with options.
func ConnectOptions(sendSpec, recvSpec, senderID string, opt Options) (*Conn, error) {
	c := &Conn{
		senderID:   senderID,
		maxTargets: opt.MaxTargets,
		poll:       opt.PollInterval,
		ctx:        opt.Context,
	}
	if c.maxTargets <= 0 {
		c.maxTargets = DefaultMaxTargets
	}
	if c.poll <= 0 {
		c.poll = DefaultPollInterval
	}
	linger := opt.Linger
	if linger == 0 {
		linger = DefaultLinger
	}
	if c.ctx == nil {
		ctx, err := zmq.NewContext(1)
		if err != nil {
			return nil, fmt.Errorf("m2handler: %w", err)
		}
		c.ctx, c.ownCtx = ctx, true
	}

	// The PUB socket is connected first: the server drops what a PUB
	// socket publishes until the server's subscription has come back over
	// the new connection, and a request can arrive as soon as the PULL
	// socket is connected.
	var err error
	c.pub, err = c.ctx.Connect(zmq.Pub, recvSpec, zmq.Options{
		Identity: senderID,
		SendHWM:  opt.SendHWM,
		Linger:   linger,
	})
	if err != nil {
		c.closeAll()
		return nil, fmt.Errorf("m2handler: replies to %s: %w", recvSpec, err)
	}
	time.Sleep(opt.SubscribeWait)
	c.pull, err = c.ctx.Connect(zmq.Pull, sendSpec, zmq.Options{
		RecvHWM:     opt.RecvHWM,
		RecvTimeout: c.poll,
		Linger:      -1,
	})
	if err != nil {
		c.closeAll()
		return nil, fmt.Errorf("m2handler: requests from %s: %w", sendSpec, err)
	}
	return c, nil
}

// SenderID returns the identity the PUB socket was given.
func (c *Conn) SenderID() string { return c.senderID }

// Recv waits for the next message from the server and returns it. Events
// are returned too: a client disconnect comes back with IsDisconnect true.
// A message that does not parse is reported as an error wrapping
// m2.ErrInvalidRequest; the Conn stays usable. After Shutdown, Recv returns
// ErrClosed.
func (c *Conn) Recv() (*Request, error) {
	return c.recv(time.Time{})
}

// RecvTimeout is Recv giving up with ErrTimeout when no message arrived
// within d. The wait is rounded up to a multiple of the PollInterval.
func (c *Conn) RecvTimeout(d time.Duration) (*Request, error) {
	return c.recv(time.Now().Add(d))
}

func (c *Conn) recv(deadline time.Time) (*Request, error) {
	c.recvMu.Lock()
	defer c.recvMu.Unlock()
	for {
		if c.closed.Load() || c.recvStopped.Load() || c.pull == nil {
			return nil, ErrClosed
		}
		msg, err := c.pull.Recv()
		switch {
		case errors.Is(err, zmq.ErrTimeout):
			if !deadline.IsZero() && !time.Now().Before(deadline) {
				return nil, ErrTimeout
			}
			continue
		case errors.Is(err, zmq.ErrClosed):
			return nil, ErrClosed
		case err != nil:
			return nil, fmt.Errorf("m2handler: receive: %w", err)
		}
		m, err := m2.ParseRequest(msg)
		if err != nil {
			return nil, fmt.Errorf("m2handler: %w", err)
		}
		return &Request{Message: *m}, nil
	}
}

// StopReceiving makes Recv return ErrClosed from now on (a waiting Recv
// within one PollInterval), while replies can still be sent: a handler
// told to stop finishes the requests it holds. Requests the server already
// pushed that were not received are dropped at Shutdown.
func (c *Conn) StopReceiving() { c.recvStopped.Store(true) }

// Reply sends body to the client connection req came from. An empty body
// closes that connection.
func (c *Conn) Reply(req *Request, body []byte) error {
	ids := [1]uint64{req.ID}
	return c.Deliver(req.UUID, ids[:], body)
}

// Deliver sends body to each of the connections ids of the server whose
// send_ident is uuid, in one message (several if there are more ids than
// Options.MaxTargets). The server writes body to each connection as it is;
// an empty body closes them instead. Deliver with no ids does nothing.
func (c *Conn) Deliver(uuid string, ids []uint64, body []byte) error {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	for len(ids) > 0 {
		n := min(len(ids), c.maxTargets)
		c.buf = m2.AppendReply(c.buf[:0], uuid, ids[:n], body)
		if err := c.send(); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// Close asks the server to close the client connection req came from, after
// everything already sent to it has been written.
func (c *Conn) Close(req *Request) error {
	return c.Reply(req, nil)
}

// DeliverClose asks the server to close the connections ids.
func (c *Conn) DeliverClose(uuid string, ids []uint64) error {
	return c.Deliver(uuid, ids, nil)
}

// DeliverExtended sends an extended reply (spec §2.8): the tnetstring list
// [key, value] for the connections ids, handled by the server itself ("ctl")
// or by a plugin registered for key. A server without such a plugin closes
// the connections.
func (c *Conn) DeliverExtended(uuid string, ids []uint64, key string, value tnetstring.Value) error {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	for len(ids) > 0 {
		n := min(len(ids), c.maxTargets)
		c.buf = m2.AppendExtendedReply(c.buf[:0], uuid, ids[:n], key, value)
		if err := c.send(); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// KeepAlive refreshes the idle timers of the connections ids, so that the
// server's reaper leaves them open (ctl {"keep-alive": true}).
func (c *Conn) KeepAlive(uuid string, ids []uint64) error {
	return c.DeliverExtended(uuid, ids, "ctl", tnetstring.Dict(tnetstring.KV("keep-alive", tnetstring.Bool(true))))
}

// Cancel asks the server to close the connections ids at once
// (ctl {"cancel": true}); unlike an empty reply it does not wait for queued
// output, and the server answers no disconnect event for unknown ids.
func (c *Conn) Cancel(uuid string, ids []uint64) error {
	return c.DeliverExtended(uuid, ids, "ctl", tnetstring.Dict(tnetstring.KV("cancel", tnetstring.Bool(true))))
}

// Credits grants n more bytes of a streamed upload to the connections ids
// (ctl {"credits": n}, spec §2.5).
func (c *Conn) Credits(uuid string, ids []uint64, n int64) error {
	return c.DeliverExtended(uuid, ids, "ctl", tnetstring.Dict(tnetstring.KV("credits", tnetstring.Int(n))))
}

// send publishes c.buf. It is called with sendMu held.
func (c *Conn) send() error {
	if c.closed.Load() {
		return ErrClosed
	}
	if err := c.pub.Send(c.buf); err != nil {
		if errors.Is(err, zmq.ErrClosed) {
			return ErrClosed
		}
		return fmt.Errorf("m2handler: send: %w", err)
	}
	return nil
}

// Shutdown closes both sockets and, if the Conn created it, terminates the
// ZeroMQ context, waiting up to Options.Linger for queued replies to be
// sent. It may be called from any goroutine, and more than once.
func (c *Conn) Shutdown() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	return c.closeAll()
}

func (c *Conn) closeAll() error {
	var errs []error
	// Taking each mutex waits for a Recv to notice the closed flag (within
	// one PollInterval) and for a send in progress to finish.
	c.recvMu.Lock()
	if c.pull != nil {
		errs = append(errs, c.pull.Close())
		c.pull = nil
	}
	c.recvMu.Unlock()
	c.sendMu.Lock()
	if c.pub != nil {
		errs = append(errs, c.pub.Close())
		c.pub = nil
	}
	c.sendMu.Unlock()
	if c.ownCtx {
		errs = append(errs, c.ctx.Term())
		c.ownCtx = false
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("m2handler: shutdown: %w", err)
	}
	return nil
}
