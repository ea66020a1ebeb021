// Package websocket holds the RFC 6455 pieces a Mongrel2-style front end
// needs: the handshake's accept key, client-frame header parsing with the
// validation Mongrel2 applies, unmasking, and server-frame headers.
//
// The front end does not interpret messages: it reassembles fragments and
// passes payloads to handlers, which write frames back themselves. So this
// package is a codec, not a connection API. It imports only the standard
// library.
package websocket
