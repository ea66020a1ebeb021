// Package client is diprocd's node client: it subscribes to its node's
// process list on the master's PUB socket, applies only versions newer
// than the one it has, rewrites the worker's configuration file atomically
// (and wakes the worker with SIGHUP), and pushes heartbeats with the state
// and resource use of every process to the master's PULL socket.
//
// It imports the standard library, protocol/zmq and diprocd/spec, proto
// and procfs; it must not import config, server, m2sh or handlers.
package client
