// Package integration holds the black-box differential tests: every scenario
// starts the real Mongrel2 1.12.2 (Debian's /usr/bin/mongrel2, the oracle)
// and this module's cmd/mongrel2 with the same configuration, drives both
// with the same client bytes and handler replies, asserts the behaviour the
// specification states, and compares what clients and handlers saw.
//
// The package has no non-test code. It must not import the server, config or
// protocol packages: the binaries are built and run as separate processes, so
// the tests see only what a user or a handler would see.
package integration
