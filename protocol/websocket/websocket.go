package websocket

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
)

// Opcodes (RFC 6455 §5.2).
const (
	OpContinuation byte = 0x0
	OpText         byte = 0x1
	OpBinary       byte = 0x2
	OpClose        byte = 0x8
	OpPing         byte = 0x9
	OpPong         byte = 0xA
)

// Errors. ErrShort means more bytes are needed; every other error is a
// protocol violation after which the connection must be closed.
var (
	ErrShort         = errors.New("websocket: need more bytes")
	ErrNotMasked     = errors.New("websocket: client frame not masked")
	ErrControlLength = errors.New("websocket: control frame payload of 126 bytes or more")
	ErrControlFrag   = errors.New("websocket: fragmented control frame")
	ErrLength        = errors.New("websocket: 64-bit length with the top bit set")
)

// acceptGUID is appended to the client's key (RFC 6455 §1.3).
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// AcceptKey computes Sec-WebSocket-Accept for a Sec-WebSocket-Key value.
func AcceptKey(key []byte) string {
	h := sha1.New()
	h.Write(key)
	h.Write([]byte(acceptGUID))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// Header is a parsed frame header.
type Header struct {
	First   byte // the first byte as sent: FIN, RSV1-3, opcode
	Masked  bool
	Mask    [4]byte
	Length  uint64 // payload length
	HeadLen int    // bytes of header, including the mask
}

// Fin reports whether this is the last frame of a message.
func (h Header) Fin() bool { return h.First&0x80 != 0 }

// Opcode is the frame's opcode.
func (h Header) Opcode() byte { return h.First & 0x0F }

// IsControl reports whether the opcode is a control opcode (close, ping,
// pong and the reserved 0xB-0xF).
func (h Header) IsControl() bool { return h.First&0x08 != 0 }

// ParseClientHeader parses the header of a client-to-server frame at the
// start of b and checks the rules Mongrel2 enforces per frame: masked,
// control frames unfragmented and shorter than 126 bytes, no 64-bit length
// with the top bit set.
func ParseClientHeader(b []byte) (Header, error) {
	if len(b) < 2 {
		return Header{}, ErrShort
	}
	h := Header{First: b[0], Masked: b[1]&0x80 != 0}
	n := uint64(b[1] & 0x7F)
	i := 2
	switch n {
	case 126:
		if len(b) < 4 {
			return Header{}, ErrShort
		}
		n = uint64(binary.BigEndian.Uint16(b[2:]))
		i = 4
	case 127:
		if len(b) < 10 {
			return Header{}, ErrShort
		}
		n = binary.BigEndian.Uint64(b[2:])
		if n>>63 != 0 {
			return Header{}, ErrLength
		}
		i = 10
	}
	if !h.Masked {
		return Header{}, ErrNotMasked
	}
	if h.IsControl() {
		if !h.Fin() {
			return Header{}, ErrControlFrag
		}
		if n >= 126 {
			return Header{}, ErrControlLength
		}
	}
	if len(b) < i+4 {
		return Header{}, ErrShort
	}
	copy(h.Mask[:], b[i:i+4])
	h.Length = n
	h.HeadLen = i + 4
	return h, nil
}

// Unmask XORs p with the mask, where p starts at byte offset pos of the
// payload (so a payload can be unmasked in pieces).
func Unmask(p []byte, mask [4]byte, pos uint64) {
	for i := range p {
		p[i] ^= mask[(pos+uint64(i))&3]
	}
}

// AppendServerHeader appends an unmasked frame header for a payload of
// length n (server-to-client frames are never masked).
func AppendServerHeader(dst []byte, first byte, n int) []byte {
	switch {
	case n < 126:
		return append(dst, first, byte(n))
	case n <= 0xFFFF:
		return append(dst, first, 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, first, 127)
		return binary.BigEndian.AppendUint64(dst, uint64(n))
	}
}
