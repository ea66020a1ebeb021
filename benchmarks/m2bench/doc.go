// Package m2bench is the load generator behind cmd/m2bench: it measures
// throughput and latency of an HTTP server (keep-alive, one connection per
// request, or websocket echo), of a Mongrel2 handler driven directly over
// ZeroMQ with no HTTP in the way, and compares two HTTP targets in
// alternating rounds.
//
// Load is closed-loop (each connection sends its next request when the
// previous answer arrived) or open-loop at a fixed rate. Open-loop latency is
// measured from the time a request was due to be sent, not from when a
// connection got round to sending it, so a stalled server is charged for
// every request it held up (no coordinated omission). Latencies go into a
// log-linear Histogram whose relative error is below 0.4%.
//
// Results print as text or JSON and render as a self-contained HTML report
// with inline SVG plots.
//
// The package imports the standard library, protocol/zmq, protocol/m2,
// protocol/tnetstring, config (to read a handler row) and
// github.com/gorilla/websocket. It must not import server: it measures the
// server from outside.
package m2bench
