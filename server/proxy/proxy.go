package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/bareku/bareku/config"
	"github.com/bareku/bareku/protocol/http1"
)

// ErrBackendDown is matched (errors.Is) by the error Serve returns when no
// connection to the backend could be made, or the request could not be
// sent on one. Nothing has then been written to the client, which should
// get Mongrel2's canned 502 response.
var ErrBackendDown = errors.New("proxy: backend unavailable")

var (
	errHeadTooLarge = errors.New("proxy: response head larger than the buffer")
	errSlowHead     = errors.New("proxy: response head not complete within limits.proxy_read_retries reads")
	errNoResponse   = errors.New("proxy: backend closed the connection without a response")
	errBad101       = errors.New("proxy: 101 response to a request that did not ask to upgrade")
)

// Defaults for zero Options fields.
const (
	DefaultDialTimeout        = 10 * time.Second
	DefaultReadTimeout        = 60 * time.Second
	DefaultWriteTimeout       = 30 * time.Second
	DefaultIdleTimeout        = 30 * time.Second
	DefaultMaxIdlePerBackend  = 32
	DefaultProxyReadRetries   = 100 // limits.proxy_read_retries
	DefaultProxyReadRetryWarn = 10  // limits.proxy_read_retry_warn
	DefaultBufferSize         = 32 << 10
)

// Options are a Proxy's limits. The zero value gives the defaults above.
type Options struct {
	// DialTimeout bounds connecting to the backend.
	DialTimeout time.Duration
	// ReadTimeout bounds each read from the backend, including the wait
	// for a response head.
	ReadTimeout time.Duration
	// WriteTimeout bounds each write to the backend.
	WriteTimeout time.Duration
	// IdleTimeout is how long a pooled connection may stay unused.
	IdleTimeout time.Duration
	// MaxIdlePerBackend bounds the pool; negative disables pooling.
	MaxIdlePerBackend int
	// ProxyReadRetries (limits.proxy_read_retries) is how many reads a
	// response head may take to arrive.
	ProxyReadRetries int
	// ProxyReadRetryWarn (limits.proxy_read_retry_warn) is how many reads
	// a response head may take before the slow backend is reported to
	// Warn, once per response.
	ProxyReadRetryWarn int
	// Warn receives that report; nil drops it.
	Warn func(msg string, args ...any)
	// BufferSize is the per-connection relay buffer, and so the longest
	// response head accepted.
	BufferSize int
	// TunnelIdleTimeout bounds each read from the backend once a
	// connection is upgraded; 0 means no limit (the server's reaper
	// watches the client side).
	TunnelIdleTimeout time.Duration
	// Dial replaces the standard dialer (tests).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (o *Options) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.DialTimeout, DefaultDialTimeout)
	def(&o.ReadTimeout, DefaultReadTimeout)
	def(&o.WriteTimeout, DefaultWriteTimeout)
	def(&o.IdleTimeout, DefaultIdleTimeout)
	if o.MaxIdlePerBackend == 0 {
		o.MaxIdlePerBackend = DefaultMaxIdlePerBackend
	}
	if o.ProxyReadRetries <= 0 {
		o.ProxyReadRetries = DefaultProxyReadRetries
	}
	if o.ProxyReadRetryWarn <= 0 {
		o.ProxyReadRetryWarn = DefaultProxyReadRetryWarn
	}
	if o.Warn == nil {
		o.Warn = func(string, ...any) {}
	}
	if o.BufferSize <= 0 {
		o.BufferSize = DefaultBufferSize
	}
	if o.Dial == nil {
		d := &net.Dialer{Timeout: o.DialTimeout}
		o.Dial = d.DialContext
	}
}

// Client is the client side of one proxied request, as the server's
// connection provides it.
//
// Write sends response bytes to the client. Next returns client bytes not
// yet used that follow the request head (the server's buffered bytes
// first, then fresh reads from the socket): a non-empty slice and a nil
// error, or an error. Consume marks the first n bytes of the last Next as
// used; they are not returned again. Serve consumes exactly the request
// body (and, for an upgrade, everything after it), so a pipelined request
// after the body stays unconsumed.
//
// Two optional methods serve upgrades. Tunnel(), if the Client has it, is
// called once after the 101 response is written and before the tunnel
// starts reading: from then on Next should wait as long as an idle
// websocket may (the per-read body deadline no longer fits). CloseWrite()
// error, if present, half-closes the client when the backend ends the
// tunnel.
type Client interface {
	io.Writer
	Next() ([]byte, error)
	Consume(n int)
}

// Result says how a request went, for the access log and the connection.
type Result struct {
	// Status is the backend's final status, 0 when no response came.
	Status int
	// Size is the backend's Content-Length, -1 when it had none (chunked
	// or until close), as Mongrel2 logs it.
	Size int64
	// Close says the client connection must be closed now.
	Close bool
	// Upgraded says the connection was tunnelled after a 101; it is over.
	Upgraded bool
	// Written counts the bytes written to the client.
	Written int64
}

// Proxy forwards requests to one backend. It is safe for concurrent use.
type Proxy struct {
	addr string
	opt  Options

	mu     sync.Mutex
	idle   []*backendConn // most recently used last
	closed bool
}

// New returns a Proxy for the backend of a proxy row. The address is
// resolved at each connect, as Mongrel2 does.
func New(cfg *config.Proxy, opt Options) *Proxy {
	opt.setDefaults()
	return &Proxy{addr: net.JoinHostPort(cfg.Addr, strconv.Itoa(cfg.Port)), opt: opt}
}

// Addr returns the backend address, host:port.
func (p *Proxy) Addr() string { return p.addr }

// Close closes the idle pooled connections; connections in use are closed
// when their request ends.
func (p *Proxy) Close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, bc := range idle {
		bc.nc.Close()
	}
}

// backendConn is one connection to the backend with its relay buffer.
type backendConn struct {
	nc        net.Conn
	buf       []byte
	r, w      int // unread backend bytes are buf[r:w]
	resp      http1.Response
	chunks    http1.ChunkedScanner // response body
	reqChunks http1.ChunkedScanner // request body
	method    []byte               // of the request in flight
	idleSince time.Time
	x         exchange // the request in flight; kept to save an allocation

	// For the liveness check, made once per connection.
	raw       syscall.RawConn
	peekFn    func(fd uintptr) bool
	peekAlive bool
	peek      [1]byte
}

func newBackendConn(nc net.Conn, size int) *backendConn {
	bc := &backendConn{nc: nc, buf: make([]byte, size)}
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			bc.raw = raw
			bc.peekFn = bc.peekOnce
		}
	}
	return bc
}

func (p *Proxy) dial() (*backendConn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), p.opt.DialTimeout)
	defer cancel()
	nc, err := p.opt.Dial(ctx, "tcp", p.addr)
	if err != nil {
		return nil, fmt.Errorf("proxy: connect %s: %w: %w", p.addr, ErrBackendDown, err)
	}
	return newBackendConn(nc, p.opt.BufferSize), nil
}

// get returns a live pooled connection, or a new one.
func (p *Proxy) get() (bc *backendConn, reused bool, err error) {
	now := time.Now()
	for {
		p.mu.Lock()
		n := len(p.idle)
		if n == 0 {
			p.mu.Unlock()
			break
		}
		bc = p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		if now.Sub(bc.idleSince) < p.opt.IdleTimeout && bc.alive() {
			return bc, true, nil
		}
		bc.nc.Close()
	}
	bc, err = p.dial()
	return bc, false, err
}

// put returns a connection whose exchange ended cleanly to the pool.
func (p *Proxy) put(bc *backendConn) {
	bc.r, bc.w = 0, 0
	bc.idleSince = time.Now()
	p.mu.Lock()
	if p.closed || len(p.idle) >= p.opt.MaxIdlePerBackend {
		p.mu.Unlock()
		bc.nc.Close()
		return
	}
	p.idle = append(p.idle, bc)
	p.mu.Unlock()
}

// alive reports whether an idle connection is still open and has sent
// nothing: a backend that closed it, or wrote to it unasked, makes it
// unusable. The check peeks without blocking.
func (bc *backendConn) alive() bool {
	if bc.raw == nil {
		return true
	}
	bc.peekAlive = false
	err := bc.raw.Read(bc.peekFn)
	return err == nil && bc.peekAlive
}

// peekOnce is the raw read callback of alive: a non-blocking peek that
// finds nothing to read means open and quiet.
func (bc *backendConn) peekOnce(fd uintptr) bool {
	n, _, err := syscall.Recvfrom(int(fd), bc.peek[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	bc.peekAlive = n < 0 && (err == syscall.EAGAIN || err == syscall.EWOULDBLOCK)
	return true // never wait for readiness
}

// Serve forwards one request to the backend and relays the response to the
// client. head is the request head exactly as received; the body, if any,
// is read from c (Content-Length bytes, or a chunked body through its
// trailers, forwarded verbatim).
//
// If no backend connection can be made, or the request head cannot be
// sent on a new one, the error matches ErrBackendDown and nothing was
// written to c. Any other error means the exchange failed
// part way; Result.Written says whether the client already got bytes, and
// Result.Close is set. Without an error, Result.Close says whether the
// client connection must be closed (the backend closed, or asked to).
//
// Serve uses head and the byte slices of req only before it forwards the
// body, so the client's Next may reuse their memory; the Request value
// itself must stay unchanged until Serve returns.
//
// A pooled connection that turns out to be dead before any response byte
// arrives is replaced by a new one and the request sent again, when that is
// safe: the request has no body and an idempotent method.
func (p *Proxy) Serve(c Client, req *http1.Request, head []byte) (Result, error) {
	bc, reused, err := p.get()
	if err != nil {
		return Result{Size: -1, Close: true}, err
	}
	for {
		x := &bc.x
		*x = exchange{p: p, bc: bc, c: c, req: req, res: Result{Size: -1}}
		err = x.run(head)
		if x.retry && reused {
			*x = exchange{}
			bc.nc.Close()
			if bc, err = p.dial(); err != nil {
				return Result{Size: -1, Close: true}, err
			}
			reused = false
			continue
		}
		res, keep := x.res, x.reusable && !x.res.Close && err == nil
		*x = exchange{} // drop the references to the client before pooling
		if keep && !req.CloseWanted && p.opt.MaxIdlePerBackend > 0 {
			p.put(bc)
		} else {
			bc.nc.Close()
		}
		if err != nil {
			res.Close = true
		}
		return res, err
	}
}

// IsUpgrade reports whether req asks to switch protocols: an Upgrade
// header and "upgrade" among its Connection options.
func IsUpgrade(req *http1.Request) bool {
	if _, ok := req.Get("upgrade"); !ok {
		return false
	}
	for _, h := range req.Headers {
		if string(h.Name) == "connection" && hasToken(h.Value, "upgrade") {
			return true
		}
	}
	return false
}

// hasToken reports whether the comma-separated list v holds the token
// tok, ignoring case and white space.
func hasToken(v []byte, tok string) bool {
	for len(v) > 0 {
		var t []byte
		if k := bytes.IndexByte(v, ','); k >= 0 {
			t, v = v[:k], v[k+1:]
		} else {
			t, v = v, nil
		}
		if bytes.EqualFold(bytes.Trim(t, " \t"), []byte(tok)) {
			return true
		}
	}
	return false
}
