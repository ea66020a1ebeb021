// Package master is diprocd's master: it holds the desired process list of
// every node (from its configuration file, re-read when it changes),
// publishes each node's full, versioned list on a PUB socket on change and
// again periodically, answers snapshot and status requests on a REP
// socket, and collects the clients' heartbeats on a PULL socket to mark
// nodes up or down. A client that reports an older version than the
// current one gets its node's list published again at once.
//
// Each socket has one owning goroutine; they share the node table under a
// mutex.
//
// It imports the standard library, protocol/zmq and diprocd/spec and
// proto; it must not import config, server, m2sh or handlers.
package master
