// Package m2conf reads the mongrel2.conf language that `m2sh load` turns
// into a config database: a lexer, a recursive-descent parser producing an
// AST, and reference resolution (spec §8.3).
//
// The language is a list of assignments `name = value`, where a value is a
// quoted string, a number, a reference to another top-level variable, a
// class call `Name(arg=value, ...)`, a list `[...]` or a dict with quoted
// string keys `{"k": value, ...}`. Commas between elements are optional, a
// single leading comma is tolerated and a trailing comma is a syntax error,
// exactly as in m2sh 1.12.2. Strings are not unescaped: a backslash only
// stops the next character from ending the string and is kept verbatim.
//
// Errors carry `file:line:col` positions. Parse reports every invalid
// character, otherwise the first syntax error, otherwise every reference
// that does not resolve.
//
// Dict.Entries and File.Lookup reproduce the order and duplicate-key rules
// of the ternary search tree m2sh stores these maps in, so a writer that
// walks them inserts rows in the same order (and with the same ids) as the
// original tool.
//
// This package imports only the standard library. It must not import
// config, m2sh, server or protocol: it knows nothing about what the
// variables mean.
package m2conf
