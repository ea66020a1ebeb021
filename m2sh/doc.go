// Package m2sh is the m2sh command: it builds and inspects the SQLite
// config database a Mongrel2-compatible server runs from, and starts,
// stops, checks and talks to running servers (spec §8, §11).
//
// Main takes the arguments after the program name and returns the exit
// status, so the command runs in process in tests; cmd/m2sh is only its
// main. The command line is scanned the way m2sh 1.12.2 scans it
// (`-name value` or `--name value`, flags, quoted values, no positional
// arguments), diagnostics use the server's error-log format, and output
// matches the original byte for byte.
//
// Commands live one group per file: load.go (load, config), query.go
// (servers, hosts, routes, log), logging.go (commit), running.go (start,
// stop, reload, running), control.go (control), helpers.go (help, uuid,
// route, access, shell), info.go (version). Where m2sh 1.12.2 is broken
// this package is not, on purpose: `load` of a config with errors writes
// nothing and fails with file:line:col messages, custom mimetypes are
// inserted, the server commands act on every selected server (-every),
// and `control` uses the server's control_port. Each such difference is
// described at the command.
//
// This package reaches a server only through the config database, the
// control port, pid files and signals, as the original did: it imports
// config, config/m2conf, config/route and protocol packages, and must not
// import server, bareku or the SQLite driver directly.
package m2sh
