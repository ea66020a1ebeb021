package server

import (
	"errors"
	"strconv"
	"time"

	"github.com/bareku/bareku/config/route"
	"github.com/bareku/bareku/protocol/http1"
	"github.com/bareku/bareku/protocol/m2"
	"github.com/bareku/bareku/protocol/websocket"
)

// WebSockets, Mongrel2 style (spec §2.6): the server forwards the upgrade
// request to the handler as WEBSOCKET_HANDSHAKE with the accept key as
// body, the handler writes the 101 itself, and from then on every message
// (reassembled) and control frame goes to the handler as one WEBSOCKET
// message carrying the upgrade request's headers and FLAGS.

var (
	methodWSHandshake = []byte("WEBSOCKET_HANDSHAKE")
	methodWebSocket   = []byte("WEBSOCKET")
	keyFlags          = []byte("FLAGS")
	errWebSocketSize  = errors.New("websocket message over limits.websocket_message")
)

// connWebSocket marks a connection in websocket mode: replies are raw.
const connWebSocket connKind = 3

// wsState is what a websocket connection keeps from its upgrade request.
type wsState struct {
	head []byte        // a copy of the upgrade request head
	req  http1.Request // parsed from head; its headers go with every message
	msg  []byte        // the message being reassembled
	ctl  []byte        // the current control frame's payload
	// first byte of the first frame of the message in progress, or 0
	first byte
}

// isWebSocketUpgrade applies Mongrel2's detection rule.
func isWebSocketUpgrade(req *http1.Request) bool {
	for _, name := range []string{"sec-websocket-key", "sec-websocket-version", "host"} {
		if _, ok := req.Get(name); !ok {
			return false
		}
	}
	upgrade, ok1 := req.Get("upgrade")
	connection, ok2 := req.Get("connection")
	return ok1 && ok2 && equalFold(upgrade, "websocket") && containsFold(connection, "upgrade")
}

// upgradeWebSocket sends the handshake to the handler and runs the
// connection in websocket mode until it closes.
func (c *conn) upgradeWebSocket(rt *runtime, rte *route.Route[*target], b *backend) bool {
	req := &c.req
	if req.Expect != nil {
		if string(req.Expect) != "100-continue" {
			c.reject(417)
			return false
		}
		if !c.writeNow(continueResponse) {
			return false
		}
	}
	if b.failed.Load() {
		c.reject(404)
		return false
	}
	ws := &wsState{head: append([]byte(nil), c.buf[c.r-c.headLen:c.r]...)}
	if n, err := ws.req.Parse(ws.head, rt.parse); n != len(ws.head) || err != nil {
		return false // cannot happen: the same bytes parsed a moment ago
	}
	key, _ := ws.req.Get("sec-websocket-key")
	c.ws = ws
	c.setKind(connWebSocket)
	if !c.sendWebSocket(rt, rte.Target, b, methodWSHandshake, 0, []byte(websocket.AcceptKey(key))) {
		return false
	}
	return c.webSocketLoop(rt, rte.Target, b)
}

// webSocketTarget finds the route of an adopted websocket connection again.
func (c *conn) webSocketTarget(rt *runtime) (*target, *backend) {
	host := rt.defaultHost
	if c.ws.req.Host != nil {
		if h, ok := rt.hosts.Match(c.ws.req.HostName); ok {
			host = h
		}
	}
	rte := host.routes.Match(c.ws.req.Path)
	if rte == nil || rte.Target.backend == nil {
		return nil, nil
	}
	return rte.Target, rte.Target.backend
}

// sendWebSocket pushes one handshake or frame message to the handler: the
// upgrade request's headers, METHOD, and FLAGS for frames.
func (c *conn) sendWebSocket(rt *runtime, t *target, b *backend, method []byte, flags byte, body []byte) bool {
	msg := c.handlerMessage(rt, t, b, &c.ws.req, method)
	msg.Body = body
	if flags != 0 {
		c.flags = strconv.AppendUint(append(c.flags[:0], "0x"...), uint64(flags), 16)
		for i := 2; i < len(c.flags); i++ {
			if c.flags[i] >= 'a' {
				c.flags[i] -= 'a' - 'A'
			}
		}
		msg.Extra = append(msg.Extra, m2.Header{Name: keyFlags, Value: c.flags})
	}
	return c.pushMessage(b, msg, false)
}

// webSocketLoop reads frames until the connection ends. Any protocol
// violation closes the connection without a close frame; the handler gets
// a disconnect event.
func (c *conn) webSocketLoop(rt *runtime, t *target, b *backend) bool {
	ws := c.ws
	maxMsg := rt.settings.WebSocketMessage
	for {
		if c.srv.freezing.Load() && ws.first == 0 {
			c.parked.Store(true)
			return false
		}
		h, err := websocket.ParseClientHeader(c.buf[c.r:c.w])
		if errors.Is(err, websocket.ErrShort) {
			if !c.fill(rt, c.r == c.w, ws.first == 0) {
				return false
			}
			continue
		}
		if err != nil {
			c.srv.log.Debug("websocket protocol error", "err", err)
			return false
		}
		c.r += h.HeadLen
		op := h.Opcode()
		switch {
		case h.IsControl():
			ws.ctl = ws.ctl[:0]
			if ws.ctl, err = c.readPayload(rt, ws.ctl, h); err != nil {
				return false
			}
			if !c.sendWebSocket(rt, t, b, methodWebSocket, h.First|0x80, ws.ctl) {
				return false
			}
		case op == websocket.OpContinuation && ws.first == 0:
			return false // continuation without a started message
		case op != websocket.OpContinuation && ws.first != 0:
			return false // new data frame inside a fragmented message
		default:
			if ws.first == 0 {
				ws.first = h.First
				ws.msg = ws.msg[:0]
			}
			if uint64(len(ws.msg))+h.Length > uint64(maxMsg) {
				c.srv.log.Warn("closing websocket", "err", errWebSocketSize, "limit", maxMsg)
				return false
			}
			if ws.msg, err = c.readPayload(rt, ws.msg, h); err != nil {
				return false
			}
			if h.Fin() {
				first := ws.first
				ws.first = 0
				if !c.sendWebSocket(rt, t, b, methodWebSocket, first|0x80, ws.msg) {
					return false
				}
				if cap(ws.msg) > 1<<20 {
					ws.msg = nil // do not pin a huge buffer to an idle connection
				}
			}
		}
		c.touch()
	}
}

// readPayload appends the frame's unmasked payload to dst, taking buffered
// bytes first and then reading the socket.
func (c *conn) readPayload(rt *runtime, dst []byte, h websocket.Header) ([]byte, error) {
	start := len(dst)
	for n := h.Length; n > 0; {
		if c.r == c.w {
			if !c.fill(rt, false, false) {
				return dst, errors.New("read failed")
			}
		}
		take := min(uint64(c.w-c.r), n)
		dst = append(dst, c.buf[c.r:c.r+int(take)]...)
		c.r += int(take)
		n -= take
	}
	websocket.Unmask(dst[start:], h.Mask, 0)
	return dst, nil
}

// fill reads more bytes into the buffer, compacting it first. idle means no
// frame is in progress, so no deadline applies (the reaper watches idle
// connections); otherwise each read must progress within the header timeout.
// mayPark says the connection is at a frame boundary outside a fragmented
// message, where an upgrade handover may take it.
func (c *conn) fill(rt *runtime, idle, mayPark bool) bool {
	if c.r > 0 {
		c.w = copy(c.buf, c.buf[c.r:c.w])
		c.r = 0
	}
	if idle {
		c.setReadDeadline(time.Time{})
	} else {
		c.setReadDeadline(time.Now().Add(rt.headerTimeout))
	}
	n, err := c.read(c.buf[c.w:], mayPark)
	if n > 0 {
		c.w += n
		c.countRead(n)
	}
	if err == errParked {
		c.parked.Store(true)
		return false
	}
	return err == nil || n > 0
}

func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

func containsFold(b []byte, s string) bool {
	for i := 0; i+len(s) <= len(b); i++ {
		if equalFold(b[i:i+len(s)], s) {
			return true
		}
	}
	return false
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
