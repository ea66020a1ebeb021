package m2handler

import (
	"encoding/binary"
	"fmt"
)

// WebSocket opcodes (RFC 6455 §5.2).
const (
	OpContinuation byte = 0x0
	OpText         byte = 0x1
	OpBinary       byte = 0x2
	OpClose        byte = 0x8
	OpPing         byte = 0x9
	OpPong         byte = 0xA
)

// AcceptWebSocket answers a WEBSOCKET_HANDSHAKE request with the 101
// response. The server computes the Sec-WebSocket-Accept value and sends it
// as the request body, but leaves the response to the handler (spec §2.6).
func (c *Conn) AcceptWebSocket(req *Request) error {
	if !req.IsWebSocketHandshake() {
		return fmt.Errorf("m2handler: AcceptWebSocket: METHOD is %q, not WEBSOCKET_HANDSHAKE", req.Method())
	}
	resp := make([]byte, 0, 128)
	resp = append(resp, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	resp = append(resp, req.Body...)
	resp = append(resp, "\r\n\r\n"...)
	return c.Reply(req, resp)
}

// ReplyWebSocket sends payload as one websocket frame to the connection req
// came from.
func (c *Conn) ReplyWebSocket(req *Request, opcode byte, payload []byte) error {
	ids := [1]uint64{req.ID}
	return c.DeliverWebSocket(req.UUID, ids[:], opcode, payload)
}

// DeliverWebSocket sends payload as one final, unmasked websocket frame with
// the given opcode to the connections ids. The server relays handler
// output as it is, so the handler frames it (spec §2.6); it also never
// answers pings or closes itself.
func (c *Conn) DeliverWebSocket(uuid string, ids []uint64, opcode byte, payload []byte) error {
	if opcode > 0xF {
		return fmt.Errorf("m2handler: websocket opcode %#x out of range", opcode)
	}
	if opcode >= OpClose && len(payload) > 125 {
		return fmt.Errorf("m2handler: websocket control frame of %d bytes (at most 125)", len(payload))
	}
	return c.Deliver(uuid, ids, AppendWebSocketFrame(nil, opcode, payload))
}

// AppendWebSocketFrame appends a final, unmasked frame carrying payload with
// the given opcode, as a server sends it (RFC 6455 §5.2).
func AppendWebSocketFrame(dst []byte, opcode byte, payload []byte) []byte {
	dst = append(dst, 0x80|opcode&0x0F)
	switch n := len(payload); {
	case n < 126:
		dst = append(dst, byte(n))
	case n <= 0xFFFF:
		dst = append(dst, 126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, payload...)
}
