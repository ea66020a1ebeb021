// Package config is Mongrel2's SQLite configuration database: the read side
// the server starts from and the writer behind `m2sh load` (spec §7).
//
// Load reads one server's configuration with exactly the queries and type
// rules of Mongrel2 1.12.2 (settings, MIME table, server, hosts, routes and
// their targets, filters, xrequests) and returns an immutable Snapshot.
// Any row that Mongrel2 would refuse (a NULL in a TEXT column, an unknown
// route target type, a duplicate MIME extension, a default_host that names
// no host, ...) makes Load fail with an error naming the table, row id and
// column.
//
// Write replaces the whole configuration in one transaction with the schema
// text m2sh 1.12.2 creates (schema.sql, byte for byte) and the built-in MIME
// table in m2sh's id order (mimetypes.tsv); AppendLog adds a row to the
// commit log, which survives reloads.
//
// This package imports only the standard library and the SQLite driver
// (github.com/mattn/go-sqlite3). It must not import server, m2sh, bareku or
// config/m2conf: it knows the tables, not the mongrel2.conf language.
package config
