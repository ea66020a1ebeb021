// Package diprocd is the command line of the distributed process manager
// that runs handlers on Bareku's app nodes: `diprocd master`, `client`,
// `worker`, `status` and `scale` (see Main). The daemons themselves live
// in the master, client and worker subpackages; the files they read in
// spec; their messages in proto.
//
// diprocd talks to a front end only through the handlers it runs. It
// imports the standard library, protocol/zmq and its own subpackages; it
// must not import config, server, m2sh or handlers.
package diprocd
