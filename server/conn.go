package server

import (
	"encoding/base64"
	"errors"
	"io"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bareku/bareku/config/route"
	"github.com/bareku/bareku/protocol/http1"
	"github.com/bareku/bareku/protocol/m2"
)

// maxQueuedReplies is Mongrel2's hard-coded per-connection reply queue: a
// client that lets more than this many handler replies pile up is closed
// as too slow (spec §2.8).
const maxQueuedReplies = 16

// downloadWindow replaces maxQueuedReplies with download.flow_control: the
// bytes of handler output that may wait for a slow client (hard-coded in
// Mongrel2 too), announced to handlers as DOWNLOAD_CREDITS.
const downloadWindow = 102400

var (
	keyDownloadCredits = []byte("DOWNLOAD_CREDITS")
	downloadWindowText = []byte("102400")
)

// Lingering close after a canned error: how long and how much of the
// client's unread request to drain.
const (
	lingerTimeout  = 500 * time.Millisecond
	lingerMaxBytes = 64 << 10
)

// connKind is what the connection has carried so far. It decides how
// handler replies are framed, and the control port reports it (the numbers
// are Mongrel2's).
type connKind uint32

const (
	connUnknown connKind = iota // nothing parsed yet
	connHTTP                    // replies written raw
	connMsg                     // JSON/XML socket messages: replies base64-encoded
)

// closeReason decides whether the handler hears about a close.
type closeReason int

const (
	closeByClient  closeReason = iota // EOF, read error, protocol error
	closeByServer                     // canned error response, shutdown
	closeByHandler                    // empty reply or ctl cancel: no disconnect event
	closeReaped                       // idle/slow connection reaper
	closeSlow                         // reply queue overflow
)

var (
	// pingPattern recognises Mongrel2's JSON socket keep-alive message.
	pingPattern = []byte(`@[a-z/]- {"type":\s*"ping"}`)
	schemeHTTP  = []byte("http")
	methodJSON  = []byte("JSON")
	methodXML   = []byte("XML")
)

// conn is one client connection.
type conn struct {
	srv        *Server
	nc         net.Conn
	remoteIP   []byte
	remotePort int

	id          atomic.Uint32
	kind        atomic.Uint32 // connKind
	lastHandler atomic.Pointer[backend]
	closed      atomic.Bool

	// Reaper statistics, in Unix seconds and bytes.
	lastPing, lastRead, lastWrite atomic.Int64
	bytesRead, bytesWritten       atomic.Int64

	// Owned by the reading goroutine.
	buf          []byte // limits.buffer_size; a request head must fit
	r, w         int    // unread bytes are buf[r:w]
	headLen      int
	headDeadline bool
	req          http1.Request
	requests     int // requests parsed so far
	msg          m2.Request
	headers      []m2.Header
	extra        []m2.Header
	flags        []byte
	enc          m2.Encoder
	ws           *wsState // set once the connection is a websocket
	pc           proxyClient
	scratch      []byte // a rewritten proxy head
	logLine      []byte // method, path and version kept across a proxied exchange
	up           *uploadState
	credits      atomic.Int64  // bytes a streamed upload may still send
	creditWake   chan struct{} // signalled when credits arrive
	readDeadline time.Time     // the connection's own read deadline (zero: none)

	// pending counts requests sent to a handler since its last reply; a
	// binary upgrade waits for it to drop to zero before handing over.
	pending atomic.Int32
	// pushedAt is when the last request went to a handler with no reply
	// since (Unix nanoseconds; 0: none), for the latency metric.
	pushedAt atomic.Int64
	// metricKind is the kind the connections gauge counts this one as.
	metricKind connKind

	// parked is set when an upgrade handover froze the connection: its
	// reading goroutine has ended without closing it.
	parked atomic.Bool

	// Output: writeMu serialises every write to nc; outMu guards the queue
	// of handler replies drained by writeLoop.
	writeMu  sync.Mutex
	outMu    sync.Mutex
	out      []outItem
	spare    []outItem
	writing  bool
	iov      net.Buffers
	iovTmp   net.Buffers     // WriteTo consumes its receiver; this keeps iov intact
	raw      syscall.RawConn // for non-blocking direct writes; nil if unavailable
	direct   directWrite
	directFn func(uintptr) bool
}

// outItem is one queued handler reply: bytes, a file to stream (the
// sendfile extended reply), or close (an empty reply).
type outItem struct {
	data  []byte
	file  string
	close bool
}

func newConn(srv *Server, nc net.Conn) *conn {
	c := &conn{srv: srv, nc: nc, creditWake: make(chan struct{}, 1)}
	if addr, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		c.remoteIP = []byte(addr.IP.String())
		c.remotePort = addr.Port
	} else {
		host, port, _ := net.SplitHostPort(nc.RemoteAddr().String())
		c.remoteIP = []byte(host)
		c.remotePort, _ = strconv.Atoi(port)
	}
	c.lastPing.Store(time.Now().Unix())
	if sc, ok := nc.(syscallConner); ok {
		c.raw, _ = sc.SyscallConn()
		c.directFn = c.writeNonBlocking
	}
	if m := srv.metrics; m != nil {
		m.connections.WithLabelValues(kindName(connUnknown)).Inc()
	}
	return c
}

// serve is the connection's reading goroutine: parse a request, route it,
// dispatch it, repeat. Handler replies arrive independently (deliver).
func (c *conn) serve() {
	defer c.srv.wg.Done()
	defer func() {
		if p := recover(); p != nil {
			c.srv.log.Error("panic serving connection", "panic", p, "stack", string(debug.Stack()))
		}
		if !c.parked.Load() {
			c.close(closeByClient)
		}
	}()
	if c.ws != nil { // a websocket adopted in a binary upgrade
		rt := c.srv.rt.Load()
		if t, b := c.webSocketTarget(rt); b != nil {
			c.webSocketLoop(rt, t, b)
		}
		return
	}
	for {
		if !c.readHead(c.srv.rt.Load()) {
			return
		}
		// Load the config again: the head may have waited through a
		// reload, and the request must follow the config now in force.
		if !c.handle(c.srv.rt.Load()) {
			return
		}
		c.touch()
	}
}

// readHead buffers bytes until a complete request head (or socket message)
// is parsed into c.req. A partial head must complete within the header
// timeout; an idle keep-alive connection waits for the reaper instead.
func (c *conn) readHead(rt *runtime) bool {
	if len(c.buf) != rt.settings.BufferSize {
		c.buf = resize(c.buf, rt.settings.BufferSize, c.r, c.w)
	}
	for {
		if c.srv.freezing.Load() {
			c.parked.Store(true)
			return false
		}
		if c.r < c.w {
			n, err := c.req.Parse(c.buf[c.r:c.w], rt.parse)
			if err != nil {
				c.reject(400)
				return false
			}
			if n > 0 {
				c.headLen = n
				if c.headDeadline {
					c.setReadDeadline(time.Time{})
					c.headDeadline = false
				}
				return true
			}
			if c.w-c.r == len(c.buf) { // the head does not fit in limits.buffer_size
				c.reject(400)
				return false
			}
			if c.r > 0 {
				c.w = copy(c.buf, c.buf[c.r:c.w])
				c.r = 0
			}
			if !c.headDeadline {
				c.setReadDeadline(time.Now().Add(rt.headerTimeout))
				c.headDeadline = true
			}
		} else {
			c.r, c.w = 0, 0
		}
		n, err := c.read(c.buf[c.w:], true)
		if n > 0 {
			c.w += n
			c.countRead(n)
		}
		if err != nil {
			if err == errParked {
				c.parked.Store(true)
				return false
			}
			if c.headDeadline && errors.Is(err, os.ErrDeadlineExceeded) && !c.closed.Load() {
				c.reject(400)
			}
			return false
		}
	}
}

// resize returns a buffer of the new size holding buf[r:w] at the same
// offsets when they fit (a reload may change limits.buffer_size).
func resize(buf []byte, size, r, w int) []byte {
	nb := make([]byte, size)
	if w-r <= size {
		copy(nb[r:], buf[r:w])
		if w > size {
			copy(nb, buf[r:w])
		}
	}
	return nb
}

// handle routes and dispatches the parsed request. It returns false when
// the connection must be closed.
func (c *conn) handle(rt *runtime) bool {
	req := &c.req
	c.r += c.headLen
	c.requests++
	upgrade := req.Kind == http1.KindHTTP && isWebSocketUpgrade(req)
	if req.Kind == http1.KindJSON && route.Match(pingPattern, c.buf[c.r-c.headLen:c.r]) {
		return true // a JSON ping only keeps the connection alive (spec §2.7)
	}
	if req.Kind == http1.KindXML && string(req.Path) == "<policy-file-request" {
		c.writeNow(flashPolicy)
		return false
	}
	host := rt.defaultHost
	if req.Kind == http1.KindHTTP && req.Host != nil {
		if h, ok := rt.hosts.Match(req.HostName); ok {
			host = h
		}
	}
	rte := host.routes.Match(req.Path)
	if rte == nil {
		c.reject(404)
		return false
	}
	if req.Kind == http1.KindHTTP {
		c.setKind(connHTTP)
	} else {
		c.setKind(connMsg)
	}
	t := rte.Target
	if rt.filters.null && (t.backend != nil || t.proxy != nil) {
		return false // the null filter drops handler and proxy requests silently
	}
	switch {
	case t.proxy != nil && req.Kind == http1.KindHTTP:
		return c.toProxy(rt, host, rte) // upgrades included: the backend decides
	case upgrade && c.requests > 1:
		return false // Mongrel2 only upgrades the first request: silent close
	case upgrade && t.backend == nil:
		return false // websockets only go to handlers: silent close
	case upgrade:
		return c.upgradeWebSocket(rt, rte, t.backend)
	case t.backend != nil:
		return c.toHandler(rt, host, rte, t.backend)
	case req.Kind != http1.KindHTTP:
		return false // socket messages may only go to handlers: silent close
	case t.dir != nil:
		return c.toDir(rt, host, rte)
	default:
		return c.toProxy(rt, host, rte)
	}
}

// toHandler reads the body and pushes the request message to the handler.
func (c *conn) toHandler(rt *runtime, host *hostRuntime, rte *route.Route[*target], b *backend) bool {
	req := &c.req
	var body []byte
	var bodyBuf *[]byte
	if req.Kind == http1.KindHTTP {
		if req.Expect != nil {
			if string(req.Expect) != "100-continue" {
				c.reject(417)
				return false
			}
			if !c.writeNow(continueResponse) {
				return false
			}
		}
		if req.Body == http1.BodyChunked || req.ContentLength > int64(rt.settings.ContentLength) {
			if rt.settings.UploadStream && !b.failed.Load() {
				return c.streamUpload(rt, host, rte, b)
			}
			if rt.settings.UploadTempStore != "" && !b.failed.Load() {
				return c.tempUpload(rt, host, rte, b)
			}
			c.reject(413)
			return false
		}
		var ok bool
		if body, bodyBuf, ok = c.readBody(rt, int(req.ContentLength)); !ok {
			return false
		}
	} else {
		body = req.MsgBody
	}
	if b.failed.Load() {
		c.reject(404)
		return false
	}
	method := req.Method
	switch req.Kind {
	case http1.KindJSON:
		method = methodJSON
	case http1.KindXML:
		method = methodXML
	}
	msg := c.handlerMessage(rt, rte.Target, b, req, method)
	msg.Body = body
	if rt.settings.DownloadFlowControl && c.requests == 1 {
		msg.Extra = append(msg.Extra, m2.Header{Name: keyDownloadCredits, Value: downloadWindowText})
	}
	sent := c.pushMessage(b, msg, true)
	if bodyBuf != nil {
		putBuffer(bodyBuf)
	}
	if !sent {
		return false
	}
	if rte.Target.requests != nil {
		rte.Target.requests.Inc()
	}
	if req.Kind == http1.KindHTTP {
		c.srv.logAccess(host.name, c, req.Method, req.Path, req.Version, 200, int64(len(body)))
	}
	return true
}

// handlerMessage starts the reusable handler message for a request head:
// the server keys, the client headers (HTTP only: socket messages carry
// none) and x-forwarded-for. Callers add Body and Extra, then pushMessage.
func (c *conn) handlerMessage(rt *runtime, t *target, b *backend, req *http1.Request, method []byte) *m2.Request {
	msg := &c.msg
	*msg = m2.Request{
		UUID: b.uuid, ID: uint64(c.srv.conns.assignID(c)), Path: req.Path, Method: method,
		Pattern: t.pattern, URLScheme: schemeHTTP, RemoteAddr: c.remoteIP,
		MaxHeaderNames: rt.settings.HeaderCount, Headers: c.headers[:0], Extra: c.extra[:0],
	}
	if !rt.settings.NoClobberXFF {
		msg.ForwardedFor = c.remoteIP
	}
	if req.Kind == http1.KindHTTP {
		msg.Version, msg.URI = req.Version, req.URI
		msg.Query, msg.HasQuery = req.Query, req.HasQuery
		msg.Fragment, msg.HasFragment = req.Fragment, req.HasFragment
		for _, h := range req.Headers {
			msg.Headers = append(msg.Headers, m2.Header{Name: h.Name, Value: h.Value})
		}
	}
	return msg
}

// pushMessage encodes msg and hands it to the handler. A request (as
// opposed to a websocket frame) is counted as waiting for a reply before it
// is sent: the reply may arrive before send returns.
func (c *conn) pushMessage(b *backend, msg *m2.Request, request bool) bool {
	c.headers, c.extra = msg.Headers, msg.Extra // keep their capacity
	m := getBuffer()
	*m = c.enc.Append((*m)[:0], b.proto, msg)
	c.lastHandler.Store(b)
	if request {
		c.pending.Add(1)
		if b.metrics != nil && c.pushedAt.CompareAndSwap(0, time.Now().UnixNano()) {
			b.metrics.inFlight.Inc()
		}
	}
	return b.send(m)
}

// readBody returns the n-byte request body. Small bodies already buffered
// are returned in place; larger ones are read into a pooled buffer, which
// the caller returns with putBuffer.
func (c *conn) readBody(rt *runtime, n int) ([]byte, *[]byte, bool) {
	if n <= 0 {
		return nil, nil, true
	}
	if c.w-c.r >= n {
		body := c.buf[c.r : c.r+n]
		c.r += n
		return body, nil, true
	}
	bb := getBuffer()
	if cap(*bb) < n {
		*bb = make([]byte, n)
	}
	body := (*bb)[:n]
	got := copy(body, c.buf[c.r:c.w])
	c.r = c.w
	for got < n {
		// Each read must make progress within the header timeout, so a
		// client trickling a body cannot hold the connection forever.
		c.setReadDeadline(time.Now().Add(rt.headerTimeout))
		m, err := c.read(body[got:], false)
		got += m
		c.countRead(m)
		if err != nil {
			putBuffer(bb)
			return nil, nil, false
		}
	}
	c.setReadDeadline(time.Time{})
	return body, bb, true
}

// errParked is returned by read when an upgrade handover froze the
// connection at a point where it may be handed over.
var errParked = errors.New("parked for handover")

// setReadDeadline records and applies the connection's own read deadline.
func (c *conn) setReadDeadline(t time.Time) {
	c.readDeadline = t
	c.nc.SetReadDeadline(t)
}

// read reads from the socket. During an upgrade handover the server pokes
// every connection with an expired deadline: at a request boundary
// (mayPark) the read then reports errParked; in the middle of a request it
// restores the connection's own deadline and reads on.
func (c *conn) read(p []byte, mayPark bool) (int, error) {
	for {
		n, err := c.nc.Read(p)
		if n == 0 && err != nil && c.srv.freezing.Load() && errors.Is(err, os.ErrDeadlineExceeded) {
			if mayPark {
				return 0, errParked
			}
			if c.readDeadline.IsZero() || time.Now().Before(c.readDeadline) {
				c.nc.SetReadDeadline(c.readDeadline)
				time.Sleep(time.Millisecond)
				continue
			}
		}
		return n, err
	}
}

// reject writes one of the canned error responses; the caller then closes.
// Unread request bytes would make the kernel answer the close with a reset
// that can destroy the response before the client reads it, so the write
// side is shut first and a little of the rest is drained (a lingering close).
func (c *conn) reject(code int) {
	if m := c.srv.metrics; m != nil {
		m.canned.WithLabelValues(strconv.Itoa(code)).Inc()
	}
	if !c.writeNow(cannedResponses[code]) {
		return
	}
	if tc, ok := c.nc.(*net.TCPConn); ok {
		tc.CloseWrite()
		tc.SetReadDeadline(time.Now().Add(lingerTimeout))
		io.CopyN(io.Discard, tc, lingerMaxBytes)
	}
}

// writeNow writes b from the reading goroutine, serialised with handler
// replies.
func (c *conn) writeNow(b []byte) bool {
	_, err := c.Write(b)
	return err == nil
}

// Write implements io.Writer for synchronous responses (canned, Dir).
func (c *conn) Write(b []byte) (int, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(c.srv.rt.Load().writeTimeout))
	n, err := c.nc.Write(b)
	c.countWrite(n)
	return n, err
}

// ReadFrom lets io.Copy from a file use sendfile(2) on the TCP socket.
func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(c.srv.rt.Load().writeTimeout))
	var n int64
	var err error
	if rf, ok := c.nc.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(r)
	} else {
		n, err = io.Copy(c.nc, r)
	}
	c.countWrite(int(n))
	return n, err
}

// deliver queues a handler reply for the client. For JSON/XML socket
// connections the payload is base64-encoded (trailing NUL stripped) unless
// the handler has raw_payload set (spec §2.7).
func (c *conn) deliver(data []byte, rawPayload bool) {
	c.pending.Store(0)
	if connKind(c.kind.Load()) == connMsg && !rawPayload {
		if n := len(data); n > 0 && data[n-1] == 0 {
			data = data[:n-1]
		}
		data = base64.StdEncoding.AppendEncode(nil, data)
	}
	c.enqueue(outItem{data: data})
}

// queueFull applies the slow-client rule to a reply of n bytes: at most 16
// queued replies, or with download.flow_control at most 100 KiB queued
// (spec §2.8). The caller holds outMu.
func (c *conn) queueFull(n int) bool {
	if !c.srv.rt.Load().settings.DownloadFlowControl {
		return len(c.out) >= maxQueuedReplies
	}
	queued := n
	for _, it := range c.out {
		queued += len(it.data)
	}
	return queued > downloadWindow
}

// credit tells the handler, with download.flow_control, how many bytes of
// its output were just written (the credits event of spec §2.4).
func (c *conn) credit(n int) {
	if n <= 0 || !c.srv.rt.Load().settings.DownloadFlowControl {
		return
	}
	b := c.lastHandler.Load()
	id := c.id.Load()
	if b == nil || id == 0 {
		return
	}
	m := getBuffer()
	*m = m2.AppendCredits((*m)[:0], b.proto, b.uuid, uint64(id), int64(n))
	b.sendEvent(m)
}

// deliverClose queues a close after everything already queued is written.
func (c *conn) deliverClose() {
	c.enqueue(outItem{close: true})
}

func (c *conn) enqueue(it outItem) {
	c.outMu.Lock()
	if c.closed.Load() {
		c.outMu.Unlock()
		return
	}
	if !c.writing && len(c.out) == 0 && it.data != nil && c.raw != nil {
		// Nothing queued: try writing right here, without blocking. Most
		// replies fit in the socket buffer, which saves a goroutine and
		// a handoff; what does not fit goes to the writer goroutine.
		c.writing = true
		c.outMu.Unlock()
		n, err := c.writeDirect(it.data)
		if err != nil {
			c.close(closeByClient)
			return
		}
		c.credit(n)
		c.outMu.Lock()
		if n < len(it.data) {
			c.out = append(c.out, outItem{})
			copy(c.out[1:], c.out)
			c.out[0] = outItem{data: it.data[n:]}
		}
		if len(c.out) == 0 {
			c.writing = false
			c.outMu.Unlock()
			return
		}
		c.outMu.Unlock()
		go c.writeLoop()
		return
	}
	if !it.close && c.queueFull(len(it.data)) {
		c.outMu.Unlock()
		c.close(closeSlow)
		return
	}
	c.out = append(c.out, it)
	start := !c.writing
	c.writing = true
	c.outMu.Unlock()
	if start {
		go c.writeLoop()
	}
}

// writeLoop drains the reply queue with vectored writes and exits when it
// is empty, so idle connections carry no writer goroutine.
func (c *conn) writeLoop() {
	for {
		c.outMu.Lock()
		items := c.out
		if len(items) == 0 || c.closed.Load() {
			c.writing = false
			c.out = c.out[:0]
			c.outMu.Unlock()
			return
		}
		c.out, c.spare = c.spare[:0], nil
		c.outMu.Unlock()

		closeAfter := false
		var err error
		c.iov = c.iov[:0]
		for _, it := range items {
			if it.close {
				closeAfter = true
				break
			}
			if it.file != "" {
				if err = c.writeBuffers(); err == nil {
					err = c.writeFile(it.file)
				}
				if err != nil {
					break
				}
				continue
			}
			c.iov = append(c.iov, it.data)
		}
		if err == nil {
			err = c.writeBuffers()
		}
		if err == nil {
			for _, it := range items {
				c.credit(len(it.data))
			}
		}
		clear(items)
		c.outMu.Lock()
		c.spare = items[:0]
		c.outMu.Unlock()
		if err != nil {
			c.close(closeByClient)
			return
		}
		if closeAfter {
			c.close(closeByHandler)
			return
		}
	}
}

// writeDirect writes as much of b as the socket takes without blocking.
// A full socket buffer is not an error: it returns the bytes written.
func (c *conn) writeDirect(b []byte) (int, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.direct = directWrite{b: b}
	err := c.raw.Write(c.directFn)
	n, werr := c.direct.n, c.direct.err
	c.direct = directWrite{}
	c.countWrite(n)
	if werr != nil {
		return n, werr
	}
	return n, err
}

// directWrite is the state of one writeDirect, kept in the connection so
// that the callback given to RawConn.Write needs no allocation.
type directWrite struct {
	b   []byte
	n   int
	err error
}

// writeNonBlocking is the RawConn.Write callback of writeDirect.
func (c *conn) writeNonBlocking(fd uintptr) bool {
	d := &c.direct
	for d.n < len(d.b) {
		m, err := syscall.Write(int(fd), d.b[d.n:])
		if m > 0 {
			d.n += m
		}
		if err == syscall.EINTR {
			continue
		}
		if err != nil && err != syscall.EAGAIN {
			d.err = err
		}
		if err != nil || m <= 0 {
			break
		}
	}
	return true // never wait for writability here
}

// writeFile streams a file for a sendfile reply (zero-copy on TCP).
func (c *conn) writeFile(path string) error {
	f, err := openForSendfile(path)
	if err != nil {
		c.srv.log.Warn("sendfile reply failed", "err", err)
		return err
	}
	defer f.Close()
	_, err = c.ReadFrom(f)
	return err
}

func (c *conn) writeBuffers() error {
	if len(c.iov) == 0 {
		return nil
	}
	defer func() { c.iov = c.iov[:0] }()
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(c.srv.rt.Load().writeTimeout))
	c.iovTmp = c.iov
	n, err := c.iovTmp.WriteTo(c.nc)
	c.countWrite(int(n))
	clear(c.iov)
	return err
}

// close closes the connection once. Unless the handler asked for the close,
// the handler that last received a message from this connection is told
// (spec §2.4).
func (c *conn) close(why closeReason) {
	if !c.closed.CompareAndSwap(false, true) {
		return
	}
	c.nc.Close()
	c.srv.conns.remove(c)
	if m := c.srv.metrics; m != nil {
		m.connections.WithLabelValues(kindName(c.metricKind)).Dec()
		if c.pushedAt.Swap(0) != 0 {
			if b := c.lastHandler.Load(); b != nil && b.metrics != nil {
				b.metrics.inFlight.Dec()
			}
		}
	}
	if why == closeByHandler {
		return
	}
	if id := c.id.Load(); id != 0 {
		if b := c.lastHandler.Load(); b != nil {
			b.disconnect(uint64(id))
		}
	}
}

// touch refreshes the reaper's idea of the connection's last activity.
func (c *conn) touch() { c.lastPing.Store(time.Now().Unix()) }

func (c *conn) countRead(n int) {
	if n > 0 {
		c.bytesRead.Add(int64(n))
		c.lastRead.Store(time.Now().Unix())
		if m := c.srv.metrics; m != nil {
			m.bytesIn.Add(float64(n))
		}
	}
}

func (c *conn) countWrite(n int) {
	if n > 0 {
		c.bytesWritten.Add(int64(n))
		c.lastWrite.Store(time.Now().Unix())
		if m := c.srv.metrics; m != nil {
			m.bytesOut.Add(float64(n))
		}
	}
}

// setKind records what the connection carries; the reading goroutine is
// the only caller, so the gauge bookkeeping needs no lock.
func (c *conn) setKind(k connKind) {
	c.kind.Store(uint32(k))
	if m := c.srv.metrics; m != nil && c.metricKind != k {
		m.connections.WithLabelValues(kindName(c.metricKind)).Dec()
		m.connections.WithLabelValues(kindName(k)).Inc()
		c.metricKind = k
	}
}

// observeReply records handler latency for the first reply after a push.
func (c *conn) observeReply(hm *handlerMetrics) {
	hm.replies.Inc()
	if t := c.pushedAt.Swap(0); t != 0 {
		hm.latency.Observe(float64(time.Now().UnixNano()-t) / 1e9)
		hm.inFlight.Dec()
	}
}
