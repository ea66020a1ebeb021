// Package static serves files for Dir routes, the static-file target of
// Mongrel2 (spec §5).
//
// A Dir maps the part of a request path after the route prefix onto a file
// below its base directory, percent-decodes it, resolves it with realpath
// semantics (".", "..", symlinks) and refuses anything that lands outside
// the base. It answers with Mongrel2's exact bytes: the 200 header with Date,
// Content-Type, Content-Length, Last-Modified and an unquoted ETag, the
// protocol-relative 301 for directories, and the canned 304, 404, 405 and
// 412 responses. Conditional requests follow Mongrel2's order of evaluation,
// with its bugs fixed where the fix is safe (see Serve). File bodies are
// streamed, with sendfile(2) when the connection is a TCP socket.
//
// Two things Mongrel2 lacks can be switched on in Limits: Range requests
// (206 with one range or a multipart/byteranges body, 416, If-Range), and
// precompressed siblings (file.br and file.gz sent to clients that accept
// the coding). With both off, the default of the zero Limits, a Dir answers
// exactly as Mongrel2 1.12.2 does.
//
// The package sees a request only as the parsed head from protocol/http1 and
// its Dir row from config; it knows nothing of connections, routing or the
// access log beyond reporting what should be logged. It imports only the
// standard library, config and protocol/http1, and must not import any other
// server package.
package static
