// Package server is the Bareku front end: a drop-in replacement for the
// Mongrel2 1.12 server process.
//
// One Server serves one `server` row of a Mongrel2 config database. It
// accepts HTTP/1.x connections (and Mongrel2's NUL-terminated JSON/XML socket
// messages), routes each request by host and path, and dispatches it to a
// target: a ZeroMQ handler (the Mongrel2 handler protocol over PUSH and SUB
// sockets), a Dir or a Proxy.
//
// Shape of the runtime:
//   - one goroutine per client connection reads, parses and routes requests;
//   - replies from handlers are written by a short-lived writer goroutine per
//     connection, started only while output is queued, so an idle connection
//     costs one goroutine and its read buffer;
//   - each handler has one goroutine owning its PUSH socket and one owning its
//     SUB socket (ZeroMQ sockets have a single owner);
//   - the routing tables live in an immutable runtime behind an atomic
//     pointer, loaded once per request.
//
// The package imports config and protocol/*; never m2sh, bareku or handlers.
package server
