// Package zmq is the project's only door to ZeroMQ: a thin wrapper over
// github.com/pebbe/zmq4 (cgo over the system libzmq) that binds or connects
// sockets with every option set explicitly (identity, subscription, high-water
// marks, linger, timeouts) and turns libzmq's EAGAIN and ETERM into sentinel
// errors.
//
// ZeroMQ sockets are not safe for concurrent use: each Socket must have one
// owning goroutine, and other goroutines talk to that owner over channels.
//
// This package imports only the standard library and zmq4; it holds no
// policy about what travels over the sockets.
package zmq
