package harness

import (
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"
)

// Policy decides how a Handler answers a message it received. It runs on the
// handler's receiving goroutine, after the message has been recorded.
type Policy func(h *Handler, m *Message)

// Respond returns a Policy that answers every request (not events) with
// body, addressed to the request's connection id.
func Respond(body string) Policy {
	return func(h *Handler, m *Message) {
		if !m.IsEvent() {
			h.Reply([]string{m.ID}, []byte(body))
		}
	}
}

// RespondAndClose is Respond followed by an empty reply, so the server closes
// the client once the response is written.
func RespondAndClose(body string) Policy {
	return func(h *Handler, m *Message) {
		if !m.IsEvent() {
			h.Reply([]string{m.ID}, []byte(body))
			h.Reply([]string{m.ID}, nil)
		}
	}
}

// Handler is a recording ZeroMQ handler: a PULL socket connected to the
// server's send_spec and an XPUB socket (a PUB that also sees the server's
// subscription, which tells us the reply path is up) connected to its
// recv_spec. Each socket is owned by one goroutine.
type Handler struct {
	Name  string
	Ident string // send_ident: the UUID the server puts in front of requests

	sendSpec, recvSpec string

	mu      sync.Mutex
	msgs    []*Message
	errs    []error
	policy  Policy
	changed chan struct{} // closed and replaced whenever msgs grows

	out  chan []byte
	stop chan struct{}
	wg   sync.WaitGroup
	ctx  *zmq.Context
}

// pollInterval bounds how long a socket goroutine takes to notice stop.
const pollInterval = 20 * time.Millisecond

// startHandler connects a handler to the server's sockets and waits until
// the server's SUB socket has subscribed, so replies are not lost.
func startHandler(name, ident, sendSpec, recvSpec string) (*Handler, error) {
	ctx, err := zmq.NewContext()
	if err != nil {
		return nil, fmt.Errorf("harness: zmq context: %w", err)
	}
	h := &Handler{
		Name: name, Ident: ident, sendSpec: sendSpec, recvSpec: recvSpec,
		changed: make(chan struct{}),
		out:     make(chan []byte, 64),
		stop:    make(chan struct{}),
		ctx:     ctx,
	}
	pull, err := h.socket(zmq.PULL, sendSpec)
	if err != nil {
		ctx.Term()
		return nil, err
	}
	pub, err := h.socket(zmq.XPUB, recvSpec)
	if err != nil {
		pull.Close()
		ctx.Term()
		return nil, err
	}
	ready := make(chan error, 1)
	h.wg.Add(2)
	go h.receive(pull)
	go h.publish(pub, ready)
	if err := <-ready; err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

func (h *Handler) socket(t zmq.Type, endpoint string) (*zmq.Socket, error) {
	s, err := h.ctx.NewSocket(t)
	if err == nil {
		err = s.SetLinger(0)
	}
	if err == nil {
		err = s.SetRcvtimeo(pollInterval)
	}
	if err == nil {
		err = s.Connect(endpoint)
	}
	if err != nil {
		if s != nil {
			s.Close()
		}
		return nil, fmt.Errorf("harness: handler %s: %v socket at %s: %w", h.Name, t, endpoint, err)
	}
	return s, nil
}

func (h *Handler) stopped() bool {
	select {
	case <-h.stop:
		return true
	default:
		return false
	}
}

func (h *Handler) receive(s *zmq.Socket) {
	defer h.wg.Done()
	defer s.Close()
	for !h.stopped() {
		raw, err := s.RecvBytes(0)
		if err != nil {
			if zmq.AsErrno(err) != zmq.Errno(syscall.EAGAIN) {
				h.fail(fmt.Errorf("harness: handler %s: recv: %w", h.Name, err))
				return
			}
			continue
		}
		m, err := ParseMessage(raw)
		if err != nil {
			h.fail(fmt.Errorf("harness: handler %s: %w (message %q)", h.Name, err, raw))
			continue
		}
		m.Handler = h.Name
		h.mu.Lock()
		h.msgs = append(h.msgs, m)
		close(h.changed)
		h.changed = make(chan struct{})
		p := h.policy
		h.mu.Unlock()
		if p != nil {
			p(h, m)
		}
	}
}

// subscribeTimeout bounds the wait for the server's subscription.
const subscribeTimeout = 5 * time.Second

func (h *Handler) publish(s *zmq.Socket, ready chan<- error) {
	defer h.wg.Done()
	defer s.Close()
	deadline := time.Now().Add(subscribeTimeout)
	for {
		if h.stopped() {
			ready <- fmt.Errorf("harness: handler %s: stopped before subscription", h.Name)
			return
		}
		sub, err := s.RecvBytes(0)
		if err == nil && len(sub) > 0 && sub[0] == 1 {
			break
		}
		if time.Now().After(deadline) {
			ready <- fmt.Errorf("harness: handler %s: no subscription at %s within %v", h.Name, h.recvSpec, subscribeTimeout)
			return
		}
	}
	ready <- nil
	for {
		select {
		case <-h.stop:
			return
		case b := <-h.out:
			if _, err := s.SendBytes(b, 0); err != nil {
				h.fail(fmt.Errorf("harness: handler %s: send: %w", h.Name, err))
			}
		}
	}
}

func (h *Handler) fail(err error) {
	h.mu.Lock()
	h.errs = append(h.errs, err)
	h.mu.Unlock()
}

// Close stops both socket goroutines and terminates the ZeroMQ context.
// Replies still queued are dropped. Close is idempotent.
func (h *Handler) Close() {
	h.mu.Lock()
	select {
	case <-h.stop:
		h.mu.Unlock()
		return
	default:
		close(h.stop)
	}
	h.mu.Unlock()
	h.wg.Wait()
	h.ctx.Term()
}

// Errors returns the socket and parse errors seen so far.
func (h *Handler) Errors() []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]error(nil), h.errs...)
}

// OnMessage sets the policy applied to every message received from now on.
func (h *Handler) OnMessage(p Policy) {
	h.mu.Lock()
	h.policy = p
	h.mu.Unlock()
}

// Send queues raw bytes for the PUB socket, exactly as given.
func (h *Handler) Send(raw []byte) {
	select {
	case h.out <- raw:
	case <-h.stop:
	}
}

// Reply sends body to ids using the handler's own identity as UUID.
func (h *Handler) Reply(ids []string, body []byte) {
	h.Send(AppendReply(nil, h.Ident, ids, body))
}

// Control sends an extended `ctl` reply with key (keep-alive, cancel) to ids.
func (h *Handler) Control(ids []string, key string) {
	h.Send(AppendControl(nil, h.Ident, ids, key))
}

// Messages returns a snapshot of everything received so far.
func (h *Handler) Messages() []*Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*Message(nil), h.msgs...)
}

// WaitTimeout bounds every Wait.
const WaitTimeout = 5 * time.Second

// Wait returns the first n messages, failing the test if they do not arrive
// within WaitTimeout.
func (h *Handler) Wait(t testing.TB, n int) []*Message {
	t.Helper()
	timer := time.NewTimer(WaitTimeout)
	defer timer.Stop()
	for {
		h.mu.Lock()
		got, changed := h.msgs, h.changed
		h.mu.Unlock()
		if len(got) >= n {
			return append([]*Message(nil), got[:n]...)
		}
		select {
		case <-changed:
		case <-timer.C:
			t.Fatalf("handler %s: got %d messages within %v, want %d: %s", h.Name, len(got), WaitTimeout, n, quoteRaw(got))
			return nil
		}
	}
}

// Settle waits d, so that messages which should not come have had their
// chance, and returns everything received.
func (h *Handler) Settle(d time.Duration) []*Message {
	time.Sleep(d)
	return h.Messages()
}

func quoteRaw(ms []*Message) string {
	s := ""
	for _, m := range ms {
		s += fmt.Sprintf("\n\t%q", m.Raw)
	}
	return s
}
