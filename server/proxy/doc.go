// Package proxy forwards requests on Mongrel2 Proxy routes to HTTP/1.x
// backends (spec §6).
//
// One Proxy stands for one row of the proxy table (an address and a port)
// and keeps a small pool of idle keep-alive connections to it. The server
// parses each client request head itself and hands it to Serve together
// with a Client: the request head and body go to the backend byte for byte
// (no Host rewrite, no X-Forwarded-For, no Via), and the backend's response
// comes back unmodified, framed by its own Content-Length, chunked encoding
// or connection close. Bodies stream through a fixed buffer both ways, and a
// chunked body is relayed verbatim while http1.ChunkedScanner finds its end,
// so exactly one request is forwarded at a time and pipelined requests stay
// in order. An upgrade request answered with 101 turns the exchange into a
// two-way byte tunnel (websockets to HTTP backends, Mongrel2 issue #196).
//
// The package knows nothing about routing, the access log or canned
// responses: Serve reports what happened (Result, ErrBackendDown) and the
// server acts on it. It imports only the standard library, config and
// protocol/http1, and must not import any other server package.
package proxy
