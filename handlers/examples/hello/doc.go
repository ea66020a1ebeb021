// Command hello is the smallest useful Mongrel2 handler: it answers every
// request with "HTTP/1.1 200 OK" and a plain-text greeting naming the
// requested path. Connections stay open for further requests, except when
// the client asked for a close (HTTP/1.0, or Connection: close), which the
// handler honours with an empty reply since the server never closes a
// handler's connection by itself.
//
//	hello -send tcp://127.0.0.1:9997 -recv tcp://127.0.0.1:9996 -id <uuid>
//
// It imports handlers/m2handler and the standard library only.
package main
