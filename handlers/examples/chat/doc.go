// Command chat is a broadcasting Mongrel2 handler in the style of
// Mongrel2's chat demo. Clients join by sending JSON socket messages
// (`@chat {...}\x00`) on a connection routed to the handler; every such
// message, and the body of every HTTP POST to the handler's route, is
// echoed to all joined connections in one multi-id reply per server. The
// server base64-encodes replies to socket connections (spec §2.7). A client
// leaves when the server reports its disconnect.
//
// POST answers "HTTP/1.1 200 OK" with the number of connections reached; an
// empty POST is refused with 400 because an empty reply would close every
// joined connection; other HTTP methods get 405.
//
//	chat -send tcp://127.0.0.1:9997 -recv tcp://127.0.0.1:9996 -id <uuid>
//
// It imports handlers/m2handler and the standard library only.
package main
