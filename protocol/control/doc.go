// Package control is the client side of Mongrel2's control port (spec §11,
// §8.4): it turns a line typed at m2sh's control prompt into the request
// [command, {key: value, ...}], and renders a reply dict the way m2sh 1.12.2
// displays it.
//
// It does no I/O on sockets; m2sh owns the ZeroMQ REQ socket. The package
// imports only the standard library and protocol/tnetstring, and must not
// import the server, config or m2sh.
package control
