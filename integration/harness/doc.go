// Package harness runs Mongrel2-compatible server binaries as black boxes for
// the integration tests: it writes a mongrel2.conf, loads it with an m2sh
// binary, starts the server in a private working directory, connects
// recording ZeroMQ handlers to its handler sockets, and speaks raw TCP to its
// HTTP listener.
//
// The harness knows nothing about the implementation under test: its
// non-test code must not import any package of this module, so that a bug in
// the server's own codecs cannot hide in the tool that checks it. It talks to
// the server only through processes, files, TCP and ZeroMQ, exactly as the
// Debian mongrel2 is driven, so that the same scenario can run against both
// and be compared. Its tests do hold its small message codec to protocol/m2.
package harness
