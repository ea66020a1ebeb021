package m2handler

import (
	"strconv"
	"strings"

	"github.com/bareku/bareku/protocol/m2"
)

// Request is one message from the server: an HTTP request, a JSON or XML
// socket message, a websocket handshake or frame, or an event such as a
// client disconnect. The fields and the Header and IsDisconnect methods of
// m2.Message are promoted.
type Request struct {
	m2.Message
}

// Method returns the METHOD header: an HTTP method, or JSON, XML,
// WEBSOCKET_HANDSHAKE or WEBSOCKET.
func (r *Request) Method() string { return r.Header("METHOD") }

// IsWebSocketHandshake reports whether r asks to open a websocket; answer it
// with [Conn.AcceptWebSocket].
func (r *Request) IsWebSocketHandshake() bool { return r.Method() == "WEBSOCKET_HANDSHAKE" }

// IsWebSocket reports whether r carries one websocket message or control
// frame from the client.
func (r *Request) IsWebSocket() bool { return r.Method() == "WEBSOCKET" }

// WebSocketFlags returns the first byte of a websocket frame as the server
// reported it in the FLAGS header ("0x81" for a text message), and false
// when r has no valid FLAGS. The opcode is flags&0x0F.
func (r *Request) WebSocketFlags() (byte, bool) {
	f := r.Header("FLAGS")
	if len(f) < 3 || (f[:2] != "0x" && f[:2] != "0X") {
		return 0, false
	}
	n, err := strconv.ParseUint(f[2:], 16, 8)
	if err != nil {
		return 0, false
	}
	return byte(n), true
}

// WantsClose reports whether the client asked for its connection to be
// closed after the response: a Connection header with the token "close", or
// HTTP/1.0 without "keep-alive". The server does not close the connection
// on its own in either case (spec §2.9); a handler that honours the request
// follows its reply with [Conn.Close].
func (r *Request) WantsClose() bool {
	var close, keepAlive bool
	for _, v := range r.Headers["connection"] {
		for tok := range strings.SplitSeq(v, ",") {
			switch {
			case strings.EqualFold(strings.TrimSpace(tok), "close"):
				close = true
			case strings.EqualFold(strings.TrimSpace(tok), "keep-alive"):
				keepAlive = true
			}
		}
	}
	if close {
		return true
	}
	return r.Header("VERSION") == "HTTP/1.0" && !keepAlive
}
