// Package m2sh is the m2sh command: it builds and inspects the SQLite
// config database a Mongrel2-compatible server runs from (spec §8).
//
// Main takes the arguments after the program name and returns the exit
// status, so the command runs in process in tests; cmd/m2sh is only its
// main. The command line is scanned the way m2sh 1.12.2 scans it
// (`-name value` or `--name value`, flags, quoted values, no positional
// arguments), diagnostics use the server's error-log format, and output
// matches the original byte for byte.
//
// Commands live one group per file: load.go (load, config), query.go
// (servers), info.go (version). `load` differs from m2sh 1.12.2 on purpose:
// a config with errors writes nothing and fails with file:line:col
// messages, and custom mimetypes are inserted (see load.go, compile.go).
//
// This package reaches the server only through the config database, as the
// original did. It imports config and config/m2conf and must not import
// server, bareku or the SQLite driver directly.
package m2sh
