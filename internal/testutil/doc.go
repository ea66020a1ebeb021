// Package testutil holds helpers shared by the module's tests: running
// Debian's mongrel2 as the oracle of differential tests, free loopback
// ports, and loopback TCP servers. It is internal so that it never becomes API, and it imports only
// the standard library.
package testutil
