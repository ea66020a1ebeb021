// Package route implements Mongrel2's routing: the pattern language (Lua
// patterns with '\' as the escape character and no captures), the route
// table keyed by literal prefixes in a ternary search tree, and the reversed
// (suffix) table used to select hosts.
//
// The behaviour follows Mongrel2 1.12.2 to the letter, quirks included: a
// request path that is a proper prefix of a longer route key selects that
// longer route, and a host name that is a suffix of a host's matching string
// selects that host. See spec §4.
//
// The package is shared by the server and by m2sh's offline `route` command.
// It imports only the standard library and must not import config, server,
// protocol or any other package of this module.
package route
