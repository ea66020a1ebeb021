// Package http1 parses what a Mongrel2 client connection sends before any
// body: an HTTP/1.0 or HTTP/1.1 request head, or one NUL-terminated JSON or
// XML "socket" message (the Flash XMLSocket heritage of Mongrel2).
//
// Request.Parse reads from the start of a byte slice and reports one of
// three outcomes: the head (or message) is complete and n bytes were
// consumed, more bytes are needed, or the bytes can never form a valid
// request. It keeps no state between calls, so a connection simply calls it
// again from the start of its buffer when more bytes arrive; heads are
// bounded by Options.MaxHeadBytes (limits.buffer_size), which keeps the
// re-scan cheap. A byte that makes the input invalid is reported as soon as
// it is seen, without waiting for the rest of the line.
//
// The grammar is Mongrel2 1.12.2's, byte for byte where it is sane: method
// [A-Z0-9]{1,20}, an RFC 3986 request-target (with Mongrel2's reading of IP
// literals), HTTP/1.0 or HTTP/1.1, CRLF or bare LF line ends, no line
// folding. The places where this package deliberately differs from Mongrel2
// are listed in the Parse documentation.
//
// Parsing allocates nothing once a Request has been used a few times: all
// results are slices of the input, except header names, which are
// lower-cased into the Request's own scratch space (the input is never
// modified).
//
// For the proxy side it also parses what a backend sends back:
// Response.Parse reads a response head (with the request method, which
// decides whether a body follows), and ChunkedScanner finds where a chunked
// body ends, for verbatim relaying, or de-chunks it, for uploads.
//
// The package decides nothing about routing or what to do with a body; the
// server does. It imports only the standard library and must stay that way.
package http1
