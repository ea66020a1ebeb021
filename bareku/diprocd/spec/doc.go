// Package spec holds diprocd's configuration files: the master's per-node
// process lists, the client's endpoints and node name, the worker's
// process list, and the process description they share. Files are JSON and
// decoded key by key, so an unknown key or a bad value is rejected with the
// file and the key named.
//
// It imports only the standard library; it must not import the rest of
// diprocd, config, server, m2sh or handlers.
package spec
