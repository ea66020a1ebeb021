// Package m2handler is the Go SDK for writing Mongrel2 handlers: programs
// that receive requests from a Mongrel2-compatible server (Mongrel2 itself
// or Bareku) over ZeroMQ and publish replies back (spec §2).
//
// A handler connects a PULL socket to the server's send_spec and a PUB socket
// to its recv_spec:
//
//	conn, err := m2handler.Connect("tcp://127.0.0.1:9997", "tcp://127.0.0.1:9996", senderID)
//	for {
//		req, err := conn.Recv()
//		...
//		conn.ReplyHTTP(req, 200, "OK", nil, []byte("hello"))
//	}
//
// The server never closes a handler's HTTP connection by itself: a handler
// that wants a connection closed sends an empty reply ([Conn.Close]).
//
// The package imports the standard library and the project's protocol
// packages (protocol/m2, protocol/tnetstring, protocol/zmq) only; it must not
// import server, config or m2sh. Subpackage m2handlertest is a fake server
// end for testing handlers.
package m2handler
