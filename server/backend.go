package server

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bareku/bareku/config"
	"github.com/bareku/bareku/protocol/m2"
	"github.com/bareku/bareku/protocol/tnetstring"
	"github.com/bareku/bareku/protocol/zmq"
)

// Handler socket tuning. The PUSH high-water mark bounds what libzmq buffers
// per connected handler; the queue bounds what waits for the PUSH owner.
// Together they bound memory when a handler is slow or gone; beyond them the
// client connections block, and a request is never dropped (spec §2.1).
const (
	handlerQueueLen   = 1024
	handlerHWM        = 10000
	handlerPollPeriod = 200 * time.Millisecond // how often blocked socket owners look at the stop flag
	handlerLinger     = time.Second            // time to flush disconnect events at shutdown
	bindAttempts      = 10                     // Mongrel2 retries a failed bind 10 times, 1 s apart
	drainTimeout      = time.Second
)

// backend is one handler row: a PUSH socket bound to send_spec (identity
// send_ident) carrying requests, and a SUB socket bound to recv_spec
// (subscribed to recv_ident) carrying replies.
type backend struct {
	srv   *Server
	cfg   *config.Handler
	proto m2.Protocol
	uuid  []byte
	log   *slog.Logger

	queue    chan *[]byte // encoded messages for the PUSH owner
	stop     chan struct{}
	stopOnce sync.Once

	// The fast path: a connection may send on the PUSH socket itself,
	// under pushMu, when nothing is queued (queued counts messages handed
	// to the queue and not yet sent), so per-connection order holds.
	pushMu    sync.Mutex
	pushSock  *zmq.Socket // guarded by pushMu
	pushReady atomic.Bool
	queued    atomic.Int64
	done      sync.WaitGroup

	// failed is set once binding gave up; routes to the handler then answer
	// 404, as Mongrel2 does for a handler whose task has died.
	failed atomic.Bool

	// pushDelay holds requests back after the sockets are bound. After a
	// binary upgrade, or when a reload binds endpoints that handlers are
	// already trying to reach, the handlers (re)connect on their own; a
	// reply sent before a handler's PUB socket has connected to our SUB
	// would be lost, so requests only flow once the connects have had time.
	pushDelay time.Duration

	metrics *handlerMetrics // nil without metrics
}

// reconnectGrace is pushDelay after an upgrade: a few of libzmq's default
// 100 ms reconnect intervals.
const reconnectGrace = 300 * time.Millisecond

func newBackend(srv *Server, h *config.Handler) *backend {
	proto := m2.JSON
	if h.Protocol == "tnetstring" {
		proto = m2.TNetstring
	}
	var hm *handlerMetrics
	if srv.metrics != nil {
		hm = srv.metrics.forHandler(h.SendSpec)
	}
	return &backend{
		metrics: hm,
		srv:     srv,
		cfg:     h,
		proto:   proto,
		uuid:    []byte(h.SendIdent),
		log:     srv.log.With("send_spec", h.SendSpec, "recv_spec", h.RecvSpec),
		queue:   make(chan *[]byte, handlerQueueLen),
		stop:    make(chan struct{}),
	}
}

// start binds both sockets and starts their owner goroutines. The first
// bind attempt is made here, synchronously, so that endpoints relative to
// the working directory (ipc://) are bound before a chroot; a failed bind is
// retried in the background like Mongrel2 does, and requests queue
// meanwhile.
func (b *backend) start(ctx *zmq.Context) {
	sub, _ := ctx.Bind(zmq.Sub, b.cfg.RecvSpec, b.subOptions())
	var push *zmq.Socket
	if b.pushDelay == 0 {
		push, _ = ctx.Bind(zmq.Push, b.cfg.SendSpec, b.pushOptions())
	}
	b.done.Add(2)
	go b.sendLoop(ctx, push)
	go b.recvLoop(ctx, sub)
}

func (b *backend) pushOptions() zmq.Options {
	return zmq.Options{
		Identity:    b.cfg.SendIdent,
		SendHWM:     handlerHWM,
		Linger:      handlerLinger,
		SendTimeout: handlerPollPeriod,
	}
}

func (b *backend) subOptions() zmq.Options {
	return zmq.Options{
		Subscribe:   b.cfg.RecvIdent,
		RecvHWM:     handlerHWM,
		Linger:      0,
		RecvTimeout: handlerPollPeriod,
	}
}

// bind opens one socket, retrying like Mongrel2. It returns nil when the
// backend is stopping or binding gave up.
func (b *backend) bind(ctx *zmq.Context, kind zmq.Kind, endpoint string, opt zmq.Options) *zmq.Socket {
	for attempt := 1; ; attempt++ {
		s, err := ctx.Bind(kind, endpoint, opt)
		if err == nil {
			return s
		}
		b.log.Error("could not bind handler socket", "attempt", attempt, "err", err)
		if attempt == bindAttempts {
			b.failed.Store(true)
			return nil
		}
		select {
		case <-b.stop:
			return nil
		case <-time.After(time.Second):
		}
	}
}

// sendLoop owns the PUSH socket. A send blocks while no handler is
// connected (ZeroMQ semantics), which is exactly Mongrel2's "the request
// waits for a handler" behaviour.
func (b *backend) sendLoop(ctx *zmq.Context, push *zmq.Socket) {
	defer b.done.Done()
	if b.pushDelay > 0 {
		select {
		case <-b.stop:
			b.discardQueue()
			return
		case <-time.After(b.pushDelay):
		}
	}
	if push == nil {
		push = b.bind(ctx, zmq.Push, b.cfg.SendSpec, b.pushOptions())
	}
	if push == nil {
		b.discardQueue()
		return
	}
	b.pushMu.Lock()
	b.pushSock = push
	b.pushReady.Store(true)
	b.pushMu.Unlock()
	defer func() {
		b.pushMu.Lock()
		b.pushReady.Store(false)
		b.pushSock = nil
		push.Close()
		b.pushMu.Unlock()
	}()
	for {
		select {
		case <-b.stop:
			b.drain(push)
			return
		case m := <-b.queue:
			b.push(push, m)
		}
	}
}

func (b *backend) push(s *zmq.Socket, m *[]byte) {
	b.pushMu.Lock()
	defer func() {
		b.queued.Add(-1)
		b.pushMu.Unlock()
		putBuffer(m)
	}()
	for {
		err := s.Send(*m)
		if err == nil {
			return
		}
		if errors.Is(err, zmq.ErrTimeout) {
			select {
			case <-b.stop:
				return
			default:
				continue
			}
		}
		b.log.Error("could not send to handler", "err", err)
		return
	}
}

// drain gives queued messages (mostly shutdown disconnect events) a bounded
// chance to reach a connected handler.
func (b *backend) drain(s *zmq.Socket) {
	deadline := time.Now().Add(drainTimeout)
	for time.Now().Before(deadline) {
		select {
		case m := <-b.queue:
			b.pushMu.Lock()
			err := s.Send(*m)
			b.queued.Add(-1)
			b.pushMu.Unlock()
			putBuffer(m)
			if err != nil && !errors.Is(err, zmq.ErrTimeout) {
				return
			}
		default:
			return
		}
	}
}

func (b *backend) discardQueue() {
	for {
		select {
		case m := <-b.queue:
			b.queued.Add(-1)
			putBuffer(m)
		case <-b.stop:
			return
		}
	}
}

// send hands an encoded message to the handler: directly when the PUSH
// socket takes it at once and nothing is queued before it, else through the
// queue, blocking while the queue is full. It returns false when the server
// is stopping.
func (b *backend) send(m *[]byte) bool {
	if b.pushReady.Load() && b.queued.Load() == 0 && b.pushMu.TryLock() {
		sent := false
		if b.queued.Load() == 0 && b.pushSock != nil {
			sent = b.pushSock.SendNoWait(*m) == nil
		}
		b.pushMu.Unlock()
		if sent {
			putBuffer(m)
			return true
		}
	}
	b.queued.Add(1)
	select {
	case b.queue <- m:
		return true
	case <-b.stop:
		b.queued.Add(-1)
		putBuffer(m)
		return false
	}
}

// sendEvent queues an event (disconnect) without ever blocking the caller:
// events are sent from the reply dispatcher and the reaper, which must not
// stall behind a slow handler.
func (b *backend) sendEvent(m *[]byte) {
	b.queued.Add(1)
	select {
	case b.queue <- m:
	default:
		b.queued.Add(-1)
		go b.send(m)
	}
}

// disconnect tells the handler that connection id went away (spec §2.4).
func (b *backend) disconnect(id uint64) {
	m := getBuffer()
	*m = m2.AppendDisconnect((*m)[:0], b.proto, b.uuid, id)
	b.sendEvent(m)
	if sm := b.srv.metrics; sm != nil {
		sm.disconnects.Inc()
	}
}

// recvLoop owns the SUB socket and dispatches every reply.
func (b *backend) recvLoop(ctx *zmq.Context, sub *zmq.Socket) {
	defer b.done.Done()
	if sub == nil {
		sub = b.bind(ctx, zmq.Sub, b.cfg.RecvSpec, b.subOptions())
	}
	if sub == nil {
		return
	}
	defer sub.Close()
	var reply m2.Reply
	for {
		err := sub.ReceiveEach(b.stop, func(msg []byte) { b.dispatch(msg, &reply) })
		select {
		case <-b.stop:
			return
		default:
		}
		if errors.Is(err, zmq.ErrClosed) {
			return
		}
		b.log.Error("could not receive from handler", "err", err)
		select {
		case <-b.stop:
			return
		case <-time.After(handlerPollPeriod):
		}
	}
}

// dispatch applies one handler reply (spec §2.8).
func (b *backend) dispatch(msg []byte, r *m2.Reply) {
	rt := b.srv.rt.Load()
	if err := m2.ParseReply(msg, r, rt.settings.HandlerTargets); err != nil {
		// Mongrel2 also sleeps 100 ms here; we do not punish the other
		// clients of a handler for one bad message.
		b.log.Warn("skipped invalid message from handler", "err", err, "len", len(msg))
		return
	}
	if r.Extended {
		b.dispatchExtended(r)
		return
	}
	for _, id := range r.IDs {
		c := b.srv.conns.lookup(id)
		if c == nil {
			b.disconnect(id)
			continue
		}
		if b.metrics != nil {
			c.observeReply(b.metrics)
		}
		if len(r.Body) == 0 {
			c.deliverClose()
		} else {
			c.deliver(r.Body, b.cfg.RawPayload)
		}
	}
}

// dispatchExtended handles "X" messages. Only the built-in "ctl" key exists
// until extended-request plugins are added; any other key closes the target
// connection, as Mongrel2 does for a key no plugin registered.
func (b *backend) dispatchExtended(r *m2.Reply) {
	key, val, perr := m2.ParseExtended(r.Body)
	isCtl := perr == nil && string(key) == "ctl"
	sendfile := perr == nil && string(key) == "sendfile" && b.srv.rt.Load().filters.sendfile
	_, isCancel := val.Get("cancel")
	for _, id := range r.IDs {
		c := b.srv.conns.lookup(id)
		if c == nil {
			if !(isCtl && isCancel) {
				b.disconnect(id)
			}
			continue
		}
		switch {
		case perr != nil:
			// not a two-element list: ignored, connection untouched
		case sendfile:
			if path, ok := sendfilePath(val); ok {
				c.enqueue(outItem{file: path})
			} else {
				c.close(closeByHandler)
			}
		case !isCtl || val.Type != tnetstring.TypeDict:
			c.close(closeByHandler)
		default:
			if _, ok := val.Get("keep-alive"); ok {
				c.touch()
			}
			if cr, ok := val.Get("credits"); ok && cr.Type == tnetstring.TypeInt {
				c.addCredits(cr.Int)
			}
			if isCancel {
				c.close(closeByHandler)
			}
		}
	}
}

// shutdown stops both socket owners and waits for them. It may be called
// more than once.
func (b *backend) shutdown() {
	b.stopOnce.Do(func() { close(b.stop) })
	b.done.Wait()
}

// bufferPool recycles request-message buffers between the connections that
// encode them and the PUSH owner that sends them (libzmq copies on send).
var bufferPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

func getBuffer() *[]byte { return bufferPool.Get().(*[]byte) }

func putBuffer(b *[]byte) {
	if cap(*b) > 1<<20 {
		return // do not keep rare huge bodies alive
	}
	*b = (*b)[:0]
	bufferPool.Put(b)
}
