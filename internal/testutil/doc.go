// Package testutil holds helpers shared by the module's tests: running
// Debian's mongrel2 as the oracle of differential tests, and free loopback
// ports. It is internal so that it never becomes API, and it imports only
// the standard library.
package testutil
