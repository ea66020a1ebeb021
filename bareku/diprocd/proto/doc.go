// Package proto is diprocd's wire format between master, clients and
// workers: the per-node process list the master publishes, the heartbeats
// clients push, the control requests (snapshot, status) and the status
// file a worker leaves for its client.
//
// A published list is one ZeroMQ frame "<node>\x00<json>". Subscribing to
// "<node>\x00" rather than "<node>" is what keeps node "app1" from
// receiving the lists of "app10": ZeroMQ matches subscriptions as byte
// prefixes, and no node name contains NUL.
//
// It imports the standard library and diprocd/spec only; it must not
// import config, server, m2sh or handlers.
package proto
